// Prints the resource graph of one program run as JSON, for tests that compare two runs (each
// needs a fresh process: Pulumi's runtime state is global). Overrides come as JSON in
// ELABFTW_TEST_OVERRIDES; ELABFTW_TEST_DETERMINISTIC=1 derives generated values from names.
import { runProgram } from "./harness";

runProgram({ overrides: JSON.parse(process.env.ELABFTW_TEST_OVERRIDES ?? "{}"), deterministic: process.env.ELABFTW_TEST_DETERMINISTIC === "1" }).then(
    (run) => process.stdout.write(JSON.stringify({ resources: run.resources })),
    (error) => {
        console.error(error);
        process.exit(1);
    },
);
