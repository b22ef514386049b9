// `npx tsx test/engine/offlineFindings.ts <stack file>`: what the offline engine (tools/offline/) and
// its policy evaluation report for the first preview of that stack, as one JSON line: the policies
// with a violation and those that met an unknown value ("can't run during preview"). The engine test
// compares it with what the real engine reports for the same stack file. One program run per
// process: Pulumi's runtime state is global.
import { rules } from "../../policies/rules";
import { runProgram } from "../../tools/offline/mockEngine";
import { evaluate } from "../../tools/offline/policyEngine";

const names = (list: readonly string[]) => [...new Set(list)].sort();

(async () => {
    const stackFile = process.argv[2];
    if (!stackFile) throw new Error("usage: offlineFindings.ts <stack file>");
    const run = await runProgram({ preview: true, stackFile });
    const { violations, skippedInPreview } = await evaluate(rules, run.resources);
    const mandatory = new Set(rules.filter((r) => r.enforcementLevel === "mandatory").map((r) => r.name));
    console.log(
        JSON.stringify({
            violated: names(violations.map((v) => v.policy).filter((p) => mandatory.has(p))),
            skipped: names(skippedInPreview.map((s) => s.split(" on ")[0]).filter((p) => mandatory.has(p))),
        }),
    );
})().catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
});
