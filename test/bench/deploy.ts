// npm run bench: how fast the program converges, measured, not asserted.
//  1. critical path: the real program under mocks where every resource takes LATENCY_MS to create;
//     the longest chain of real dependencies (inputs that consume outputs, and dependsOn) against
//     the wall-clock time; resources that started later than their dependencies allowed are listed;
//  2. determinism: two runs give byte-identical inputs (see test/convergence.test.ts);
//  3. feedback time: the program and the full policy pack under mocks, in a fresh process.
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { CapturedResource } from "../../tools/offline/mockEngine";
import { graphOf } from "../support/twoRuns";

const LATENCY_MS = 50;
/** A resource that starts later than this after its last dependency ended waited for nothing real. */
const SLACK_MS = 15;

function criticalPath(resources: CapturedResource[]) {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const custom = resources.filter((r) => r.custom);
    const depth = new Map<string, number>();
    // Components pass their dependencies through to their children: follow them to custom resources.
    const customDeps = (r: CapturedResource, seen = new Set<string>()): CapturedResource[] =>
        r.dependencies.flatMap((urn) => {
            const d = byUrn.get(urn);
            if (!d || seen.has(urn)) return [];
            seen.add(urn);
            return d.custom ? [d] : customDeps(d, seen);
        });
    const depthOf = (r: CapturedResource): number => {
        if (!depth.has(r.urn)) depth.set(r.urn, 1 + Math.max(0, ...customDeps(r).map(depthOf)));
        return depth.get(r.urn)!;
    };
    const longest = Math.max(...custom.map(depthOf));
    const start = Math.min(...custom.map((r) => r.startedAt));
    const end = Math.max(...custom.map((r) => r.endedAt));
    const waited = custom
        .map((r) => ({ name: r.name, late: r.startedAt - Math.max(start, ...customDeps(r).map((d) => d.endedAt)) }))
        .filter((w) => w.late > SLACK_MS)
        .sort((a, b) => b.late - a.late);
    // The chain that ended last, walked back through the dependency that ended last at each step.
    const chain: CapturedResource[] = [];
    for (let r: CapturedResource | undefined = custom.sort((a, b) => b.endedAt - a.endedAt)[0]; r; r = customDeps(r).sort((a, b) => b.endedAt - a.endedAt)[0]) chain.unshift(r);
    const chainWorkMs = chain.reduce((sum, r) => sum + (r.endedAt - r.startedAt), 0);
    return { resources: custom.length, depth: longest, wallMs: end - start, waited, chain, chainWorkMs };
}

function main() {
    const timed = JSON.parse(
        execFileSync(process.execPath, ["--import", "tsx", path.join(__dirname, "..", "support", "graphDump.ts")], {
            // Deterministic stand-ins: openssl calls would block the event loop and blur the timings.
            env: { ...process.env, ELABFTW_TEST_LATENCY_MS: String(LATENCY_MS), ELABFTW_TEST_DETERMINISTIC: "1" },
            encoding: "utf8",
            maxBuffer: 64 * 1024 * 1024,
        }),
    ).resources as CapturedResource[];
    const path1 = criticalPath(timed);
    const ratio = path1.wallMs / (path1.depth * LATENCY_MS);
    // Each simulated creation really lasts a little over LATENCY_MS (timer granularity, serialisation):
    // against the creations' measured durations along the chain, the ratio is what the program adds.
    const measuredRatio = path1.wallMs / path1.chainWorkMs;
    console.log(`critical path: ${path1.resources} resources, depth ${path1.depth}: ${path1.chain.map((r) => r.name).join(" -> ")}`);
    console.log(`wall clock ${path1.wallMs.toFixed(0)} ms; depth x ${LATENCY_MS} ms = ${path1.depth * LATENCY_MS} ms: ratio ${ratio.toFixed(3)}; against the chain's measured creation times (${path1.chainWorkMs.toFixed(0)} ms): ratio ${measuredRatio.toFixed(3)} (target <= 1.05)`);
    const t0 = Math.min(...timed.filter((r) => r.custom).map((r) => r.startedAt));
    const startOf = (name: string) => timed.filter((r) => r.custom && r.name === name).map((r) => `${r.name} ${(r.startedAt - t0).toFixed(0)} ms`);
    const firsts = ["elabftw-pki-ca-key", "elabftw-secrets-db-root-password", "elabftw-web-user-data", "elabftw-db-user-data", "elabftw-web", "elabftw-db"];
    console.log(`starts (the VMs wait for their snippets only): ${firsts.flatMap(startOf).join(", ")}`);
    console.log(path1.waited.length === 0 ? "no resource waited without a dependency" : `waited without a dependency: ${path1.waited.map((w) => `${w.name} (+${w.late.toFixed(0)} ms)`).join(", ")}`);

    const [a, b] = [graphOf({}, true), graphOf({}, true)];
    const inputs = (g: typeof a) => new Map(g.resources.map((r) => [r.urn, JSON.stringify(r.rawInputs)]));
    const [ia, ib] = [inputs(a), inputs(b)];
    const differing = [...ia].filter(([urn, text]) => ib.get(urn) !== text).length;
    console.log(`determinism: ${ia.size} resources, ${differing} with different inputs between two runs`);

    const started = Date.now();
    const feedback = execFileSync(process.execPath, ["--import", "tsx", path.join(__dirname, "feedback.ts")], { encoding: "utf8" });
    console.log(`feedback: ${feedback.trim()}; whole process ${((Date.now() - started) / 1000).toFixed(2)} s (target < 3 s)`);
    if (measuredRatio > 1.05 || path1.waited.length > 0 || differing > 0) process.exitCode = 1;
}

main();
