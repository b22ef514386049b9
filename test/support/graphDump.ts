// Prints the resource graph of one program run as JSON, for tests that compare two runs (each
// needs a fresh process: Pulumi's runtime state is global). Overrides come as JSON in
// ELABFTW_TEST_OVERRIDES; ELABFTW_TEST_DETERMINISTIC=1 derives generated values from names;
// ELABFTW_TEST_LATENCY_MS makes every resource creation take that long; ELABFTW_TEST_REPORTED (JSON)
// is what the provider reads back from the cluster (ReportedState).
import { runProgram } from "../../tools/offline/mockEngine";

// null stands for a key to remove (JSON has no undefined).
const overrides = Object.fromEntries(Object.entries(JSON.parse(process.env.ELABFTW_TEST_OVERRIDES ?? "{}")).map(([key, value]) => [key, value ?? undefined])) as Record<string, string | undefined>;

runProgram({
    overrides,
    deterministic: process.env.ELABFTW_TEST_DETERMINISTIC === "1",
    latencyMs: Number(process.env.ELABFTW_TEST_LATENCY_MS ?? 0) || undefined,
    reported: process.env.ELABFTW_TEST_REPORTED ? JSON.parse(process.env.ELABFTW_TEST_REPORTED) : undefined,
}).then(
    (run) => process.stdout.write(JSON.stringify({ resources: run.resources })),
    (error) => {
        console.error(error);
        process.exit(1);
    },
);
