// The author's feedback loop, timed in one fresh process: run the program under mocks with the
// example stack, then the whole policy pack over its graph.
const started = performance.now();
import("../../tools/offline/mockEngine").then(async ({ runProgram }) => {
    const run = await runProgram();
    const programMs = performance.now() - started;
    const { rules } = await import("../../policies/rules");
    const { evaluate } = await import("../../tools/offline/policyEngine");
    const { violations } = await evaluate(rules, run.resources);
    console.log(`program ${(programMs / 1000).toFixed(2)} s + policy pack ${((performance.now() - started - programMs) / 1000).toFixed(2)} s (${run.resources.length} resources, ${violations.length} violations)`);
});
