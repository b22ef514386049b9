// Prints the resource graph of one program run as JSON, for tests that compare two runs (each
// needs a fresh process: Pulumi's runtime state is global). Overrides come as JSON in
// ELABFTW_TEST_OVERRIDES.
import { runProgram } from "./harness";

runProgram({ overrides: JSON.parse(process.env.ELABFTW_TEST_OVERRIDES ?? "{}") }).then(
    (run) => process.stdout.write(JSON.stringify({ resources: run.resources })),
    (error) => {
        console.error(error);
        process.exit(1);
    },
);
