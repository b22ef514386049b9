// Over 300 lines on purpose: one engine session (init, previews, up, destroy) whose tests share its state, in order.
// The program and the policy pack under the real Pulumi engine (CLI v3.248.0 built from its Go
// modules by tools/pulumi-toolchain/build.sh): the CLI's own config handling, `pulumi preview
// --policy-pack policies` of the example and production stacks, non-compliant stacks refused,
// `pulumi up`, a second `up` with no change, an upgrade without replacement, `pulumi destroy` of a
// test stack and its refusal on a production stack, and the exported state scanned for plaintext
// secrets.
// Real: the engine (steps, diffs, state, secrets encryption, protection, the policy analyzer
// protocol and the pack itself). Stand-ins, since no cluster, registry or VM exists here (each
// plugin's header says what it reproduces): the five provider plugins and the Node.js language
// host (the Go module proxy refuses the real ones: tools/pulumi-toolchain/README.md). Remote
// commands are recorded, not run.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { parse, stringify } from "yaml";
import { rules } from "../../policies/rules";
import { Engine, eventsOf, policyFindings, stepsOf } from "./harness";
import { spawnSync } from "node:child_process";
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { REPO } from "../../components/config/stackFile";
import { PRODUCTION_OVERRIDES } from "../support/stacks";

const MANDATORY = new Set(rules.filter((rule) => (rule.enforcementLevel ?? "advisory") === "mandatory").map((rule) => rule.name));
const PROJECT = "elabftw-onprem";

/** The production example with its placeholders filled, as a unit would before `stack init`. */
function productionStackFile(): string {
    const text = readFileSync(path.join(REPO, "Pulumi.prod.yaml.example"), "utf8");
    const document = parse(text) as { config: Record<string, unknown> };
    document.config[`${PROJECT}:egressPublicAddress`] = "147.210.1.25";
    // No real digest of these images is known here: digests of the right shape (test/support/stacks.ts).
    document.config[`${PROJECT}:elabftwImageDigest`] = PRODUCTION_OVERRIDES[`${PROJECT}:elabftwImageDigest`];
    document.config[`${PROJECT}:mysqlImageDigest`] = PRODUCTION_OVERRIDES[`${PROJECT}:mysqlImageDigest`];
    for (const [key, value] of Object.entries(document.config)) {
        assert.ok(!(typeof value === "string" && value.startsWith("REPLACE")), `${key} still holds a placeholder the test does not fill`);
    }
    return stringify(document);
}

function preview(engine: Engine, stack: string, extra: string[] = [], pack = "policies") {
    const run = engine.pulumi(["preview", "--stack", stack, "--policy-pack", pack, "--json", ...extra]);
    return { run, events: eventsOf(run), findings: policyFindings(eventsOf(run)) };
}

/** First previews judged by the real engine: the stack file as previewed, and the mandatory policies it reported. */
const judged: { name: string; stackFile: string; violated: string[]; skipped: string[] }[] = [];

function keepJudged(engine: Engine, name: string, stack: string, result: ReturnType<typeof preview>): void {
    const stackFile = path.join(engine.root, `judged-${judged.length}.yaml`);
    writeFileSync(stackFile, engine.readStackFile(stack));
    const names = (list: readonly string[]) => [...new Set(list)].filter((p) => MANDATORY.has(p)).sort();
    judged.push({ name, stackFile, violated: names(result.findings.mandatory.map((m) => m.split(":")[0])), skipped: names(result.findings.skipped.map((s) => s.policy)) });
}

/** Exit 0, no mandatory violation, and every mandatory policy run: none left as "can't run during preview". */
function assertCompliantPreview(result: ReturnType<typeof preview>, stack: string) {
    assert.equal(result.run.status, 0, `${stack}: ${result.run.stderr.slice(-3000)}`);
    assert.deepEqual(result.findings.mandatory, [], `${stack}: mandatory violations`);
    const skippedMandatory = [...new Set(result.findings.skipped.map((s) => s.policy).filter((policy) => MANDATORY.has(policy)))].sort();
    console.log(`engine: ${stack}: mandatory policies not run in this preview: ${skippedMandatory.join(", ") || "none"}`);
    assert.deepEqual(skippedMandatory, [], `${stack}: mandatory policies the engine could not run in preview`);
    assert.ok(result.events.some((e) => e.policyAnalyzeStackSummaryEvent), `${stack}: the stack policies ran`);
}

describe("the real Pulumi engine", { concurrency: false }, () => {
    let engine: Engine;
    before(async () => {
        engine = new Engine();
        engine.writeStackFile("prod", productionStackFile());
        for (const stack of ["dev", "prod"]) assert.equal(engine.pulumi(["stack", "init", stack]).status, 0);
        await engine.startProxmoxApi(["dev", "prod"]);
    });
    after(() => engine?.remove());

    it("accepts Pulumi.yaml and the stack files with the CLI's own config handling", () => {
        for (const stack of ["dev", "prod"]) {
            const listed = engine.pulumi(["config", "--stack", stack, "--json"]);
            assert.equal(listed.status, 0, listed.stderr);
            const config = JSON.parse(listed.stdout) as Record<string, { value?: unknown; secret: boolean }>;
            assert.equal(config[`${PROJECT}:stackKind`].value, stack === "dev" ? "test" : "production");
            assert.ok(Object.keys(config).length > 30, `${stack}: the CLI lists the stack's keys`);
        }
        // A secret set the CLI's way is encrypted in the stack file and marked secret in the listing.
        const set = engine.pulumi(["config", "set", "--stack", "dev", "--secret", `${PROJECT}:smtpPassword`, "engine-test-smtp-secret"]);
        assert.equal(set.status, 0, set.stderr);
        assert.doesNotMatch(engine.readStackFile("dev"), /engine-test-smtp-secret/);
        const listed = JSON.parse(engine.pulumi(["config", "--stack", "dev", "--json"]).stdout);
        assert.equal(listed[`${PROJECT}:smtpPassword`].secret, true);
        assert.equal(engine.pulumi(["config", "rm", "--stack", "dev", `${PROJECT}:smtpPassword`]).status, 0);
    });

    for (const stack of ["dev", "prod"]) {
        it(`previews the ${stack} stack with the policy pack: every mandatory policy runs in its first preview, none is violated`, () => {
            const result = preview(engine, stack);
            assertCompliantPreview(result, stack);
            keepJudged(engine, stack, stack, result);
            const created = stepsOf(result.events).filter((s) => s.op === "create").length;
            console.log(`engine: preview ${stack} with the policy pack: ${result.run.seconds.toFixed(1)} s, ${created} resources to create`);
        });
    }

    it("runs the pack from a copy of policies/ alone, installed by npm in its own folder (as `pulumi policy publish` ships it)", () => {
        const pack = path.join(engine.root, "pack");
        cpSync(path.join(REPO, "policies"), pack, { recursive: true, filter: (source) => !source.includes("node_modules") });
        const install = spawnSync("npm", ["install", "--no-audit", "--no-fund", "--no-package-lock"], { cwd: pack, encoding: "utf8", timeout: 10 * 60 * 1000 });
        assert.equal(install.status, 0, install.stderr.slice(-2000));
        const typecheck = spawnSync(path.join(pack, "node_modules", ".bin", "tsc"), ["-p", pack], { encoding: "utf8" });
        assert.equal(typecheck.status, 0, typecheck.stdout + typecheck.stderr);
        const result = preview(engine, "dev", [], pack);
        assertCompliantPreview(result, "dev (standalone pack)");
        assert.ok(result.events.some((e) => e.policyLoadEvent), "the engine loaded the standalone pack");
    });

    // Realistic mistakes that the config validator accepts but the requirements refuse, each judged
    // in the stack's first preview; `deployed`: also as a change to the deployed stack (after `up`).
    const NON_COMPLIANT: { name: string; stack: "dev" | "prod"; set: Record<string, string>; policy: string; deployed?: boolean }[] = [
        { name: "host-datastore encryption on storage the security officer did not declare", stack: "dev", set: { diskEncryption: "host-datastore", encryptedDatastores: '["local-zfs"]' }, policy: "cnrs-disk-encryption", deployed: true },
        { name: "SAML off on production", stack: "prod", set: { samlEnabled: "false", localLogin: "everyone" }, policy: "saml-sso-on-production" },
        { name: "MFA off", stack: "dev", set: { mfaEnforcement: "off" }, policy: "password-policy-baseline" },
        { name: "weak passwords", stack: "dev", set: { passwordComplexity: "weak" }, policy: "password-policy-baseline" },
        { name: "SMTP without certificate check", stack: "dev", set: { smtpHost: "smtp.lab.example.org", smtpFrom: "elabftw@lab.example.org", smtpVerifyCert: "false", extraFlows: '["allow tcp web -> 10.20.60.25 587 # SMTP relay"]' }, policy: "smtp-verifies-certificate" },
        { name: "anonymous users on production", stack: "prod", set: { anonymousUsers: "true" }, policy: "accountability-on-production" },
        { name: "audit logs off on production", stack: "prod", set: { auditLogs: "false" }, policy: "accountability-on-production" },
        // (The lab or the VPN toward the web VM is refused by the config already, before any resource.)
        { name: "HTTPS opened to a partner's public network, around the reverse proxy", stack: "dev", set: { extraFlows: '["allow tcp 198.51.100.0/24 -> web 443 # a partner institute"]' }, policy: "cnrs-no-access-from-outside", deployed: true },
    ];

    for (const violation of NON_COMPLIANT) {
        it(`refuses a stack with ${violation.name} (${violation.policy})`, () => assertRefused(engine, violation, (result) => keepJudged(engine, violation.name, violation.stack, result)));
    }

    it("agrees with the offline engine (npm run report, the graph tests): same violations, same skips, stack by stack", () => {
        assert.ok(judged.length >= 10, `the real engine judged ${judged.length} stacks`);
        const differences: string[] = [];
        for (const real of judged) {
            const child = spawnSync(process.execPath, ["--import", "tsx", path.join(__dirname, "offlineFindings.ts"), real.stackFile], { cwd: REPO, encoding: "utf8", timeout: 5 * 60 * 1000 });
            assert.equal(child.status, 0, `${real.name}: ${child.stderr}`);
            const offline = JSON.parse(child.stdout.trim().split("\n").pop()!) as { violated: string[]; skipped: string[] };
            if (JSON.stringify(offline.violated) !== JSON.stringify(real.violated) || JSON.stringify(offline.skipped) !== JSON.stringify(real.skipped)) {
                differences.push(`${real.name}: real ${JSON.stringify({ violated: real.violated, skipped: real.skipped })}, offline ${JSON.stringify(offline)}`);
            }
        }
        console.log(`engine: offline and real engines compared on ${judged.length} first previews, ${differences.length} differ`);
        assert.deepEqual(differences, []);
    });

    it("creates the test stack (stand-ins), keeps every secret encrypted in the state, and returns them on demand", () => {
        // --skip-preview: the events are those of the update alone, where every value is known.
        const up = engine.pulumi(["up", "--stack", "dev", "--yes", "--skip-preview", "--policy-pack", "policies", "--json"]);
        assert.equal(up.status, 0, up.stderr.slice(-3000));
        const findings = policyFindings(eventsOf(up));
        assert.deepEqual(findings.mandatory, []);
        assert.deepEqual(findings.skipped.filter((s) => MANDATORY.has(s.policy)), [], "every mandatory policy runs on the real state at up");
        console.log(`engine: up dev (stand-ins): ${up.seconds.toFixed(1)} s`);

        const exported = engine.pulumi(["stack", "export", "--stack", "dev"]);
        const revealed = engine.pulumi(["stack", "export", "--stack", "dev", "--show-secrets"]);
        assert.equal(exported.status, 0, exported.stderr);
        const outputs = engine.pulumi(["stack", "output", "--stack", "dev", "--json", "--show-secrets"]);
        const values = JSON.parse(outputs.stdout);
        const hidden = JSON.parse(engine.pulumi(["stack", "output", "--stack", "dev", "--json"]).stdout);
        const secretOutputs = Object.fromEntries(Object.entries(values).filter(([key]) => hidden[key] === "[secret]"));
        assert.ok(Object.keys(secretOutputs).length >= 6, "the secret outputs are marked secret");
        const secrets = secretValues(JSON.parse(revealed.stdout), secretOutputs);
        assert.ok(secrets.length >= 15, `the state holds the generated secrets (found ${secrets.length})`);
        // The same search finds them in the export that reveals them: the scan can fail.
        assert.ok(secrets.filter((secret) => revealed.stdout.includes(JSON.stringify(secret).slice(1, -1))).length >= 10, "the scan finds the secrets where they are shown");
        const leaks = secrets.filter((secret) => exported.stdout.includes(secret));
        assert.deepEqual(leaks.map((l) => `${l.slice(0, 6)}…`), [], "a secret value appears in plaintext in the exported state");

        // bpg's schema defaults a rule's unset fields to "" (the stand-in does as the bridge does): the
        // pack passed on rules whose dport is "", which the Proxmox firewall reads as every port.
        type Rule = Record<string, unknown>;
        const rules = (JSON.parse(exported.stdout).deployment.resources as { type: string; outputs: { rules?: Rule[] } }[])
            .filter((r) => r.type === "proxmoxve:firewall/rulesLegacy:RulesLegacy")
            .flatMap((r) => r.outputs.rules ?? []);
        assert.ok(rules.length >= 10 && rules.every((r) => typeof r.dport === "string" && typeof r.source === "string"), JSON.stringify(rules.slice(0, 3)));
        assert.ok(rules.some((r) => r.dport === ""), "some rule has no port: its dport is stored as \"\"");

        assert.match(values.elabftwSecretKey, /^def00000[0-9a-f]{128}$/);
        assert.ok(secrets.includes(values.sysadminPassword), "the sysadmin password comes back with --show-secrets");
        assert.equal(hidden.sysadminPassword, "[secret]");
    });

    for (const violation of NON_COMPLIANT.filter((v) => v.deployed)) {
        it(`refuses a change to the deployed stack: ${violation.name} (${violation.policy})`, () => assertRefused(engine, violation));
    }

    it("converges: a second up changes nothing, and an eLabFTW upgrade replaces no VM and no data-disk step", () => {
        const again = engine.pulumi(["preview", "--stack", "dev", "--expect-no-changes", "--json"]);
        assert.equal(again.status, 0, `a second run would change something:\n${again.stderr.slice(-2000)}`);
        const changed = stepsOf(eventsOf(again)).filter((s) => s.op !== "same");
        assert.deepEqual(changed, []);

        const before = engine.readStackFile("dev");
        try {
            assert.equal(engine.pulumi(["config", "set", "--stack", "dev", `${PROJECT}:elabftwVersion`, "5.6.13"]).status, 0);
            const upgrade = preview(engine, "dev");
            assertCompliantPreview(upgrade, "dev upgrade");
            const steps = stepsOf(upgrade.events).filter((s) => s.op !== "same");
            const replaced = steps.filter((s) => /replace/.test(s.op)).map((s) => s.urn.split("::").pop()!);
            assert.ok(steps.length > 0, "the upgrade changes something");
            assert.ok(!replaced.some((name) => /-vm$|luks|mount|ready|cloud-init/.test(name)), `replaced: ${replaced.join(", ")}`);
            assert.ok(replaced.some((name) => /elabftw-container|elabftw-image/.test(name)), `the eLabFTW container is recreated on the new image: ${replaced.join(", ")}`);
        } finally {
            engine.writeStackFile("dev", before);
        }
    });

    it("destroys the test stack entirely", () => {
        const destroy = engine.pulumi(["destroy", "--stack", "dev", "--yes"]);
        assert.equal(destroy.status, 0, destroy.stderr.slice(-3000));
        console.log(`engine: destroy dev (stand-ins): ${destroy.seconds.toFixed(1)} s`);
        const state = JSON.parse(engine.pulumi(["stack", "export", "--stack", "dev"]).stdout);
        assert.deepEqual(state.deployment.resources ?? [], []);
    });

    it("refuses to destroy a production stack's protected resources", () => {
        const up = engine.pulumi(["up", "--stack", "prod", "--yes", "--skip-preview"]);
        assert.equal(up.status, 0, up.stderr.slice(-3000));
        const destroy = engine.pulumi(["destroy", "--stack", "prod", "--yes"]);
        assert.notEqual(destroy.status, 0, "destroy must fail on a production stack");
        assert.match(destroy.stdout + destroy.stderr, /protected/);
        const left = (JSON.parse(engine.pulumi(["stack", "export", "--stack", "prod"]).stdout).deployment.resources ?? []) as { type: string; protect?: boolean }[];
        const protectedLeft = left.filter((r) => r.protect);
        console.log(`engine: production destroy refused; ${left.length} resources left in the state, ${protectedLeft.length} of them protected`);
        for (const type of ["proxmoxve:index/vmLegacy:VmLegacy", "docker:index/container:Container", "random:index/randomPassword:RandomPassword"]) {
            assert.ok(protectedLeft.some((r) => r.type === type), `a protected ${type} is still there`);
        }
    });
});

/** Sets the violation's keys the CLI's way, previews with the pack, and restores the stack file. */
function assertRefused(engine: Engine, violation: { stack: string; set: Record<string, string>; policy: string }, keep?: (result: ReturnType<typeof preview>) => void): void {
    const before = engine.readStackFile(violation.stack);
    try {
        for (const [key, value] of Object.entries(violation.set)) {
            const args = ["config", "set", "--stack", violation.stack, `${PROJECT}:${key}`, value];
            if (value.startsWith("[")) {
                // Arrays: one --path entry per item, as the docs say.
                engine.pulumi(["config", "rm", "--stack", violation.stack, `${PROJECT}:${key}`]);
                (JSON.parse(value) as string[]).forEach((item, index) => {
                    const set = engine.pulumi(["config", "set", "--stack", violation.stack, "--path", `${PROJECT}:${key}[${index}]`, item]);
                    assert.equal(set.status, 0, set.stderr);
                });
            } else {
                const set = engine.pulumi(args);
                assert.equal(set.status, 0, set.stderr);
            }
        }
        const result = preview(engine, violation.stack);
        keep?.(result);
        assert.notEqual(result.run.status, 0, "the preview must fail");
        assert.ok(
            result.findings.mandatory.some((v) => v.startsWith(`${violation.policy}:`)),
            `expected ${violation.policy} among: ${result.findings.mandatory.join("\n") || result.run.stderr.slice(-2000)}`,
        );
    } finally {
        engine.writeStackFile(violation.stack, before);
    }
}

/** Fields of generated secrets: the random provider's results and the TLS provider's private keys. */
const GENERATED: Record<string, readonly string[]> = {
    "random:index/randomPassword:RandomPassword": ["result", "bcryptHash"],
    "tls:index/privateKey:PrivateKey": ["privateKeyPem", "privateKeyOpenssh", "privateKeyPemPkcs8"],
};

/**
 * Every value the stand-ins generated as a secret (read from the export with --show-secrets) and every
 * secret stack output, in the encodings a leak could take: as is, a PEM key's body on one line, and the
 * base64 of hex digits (a random provider's id is the base64 of its bytes).
 */
function secretValues(revealed: { deployment: { resources?: { type: string; outputs?: Record<string, unknown> }[] } }, secretOutputs: Record<string, unknown>): string[] {
    const found: string[] = [];
    const add = (value: unknown) => {
        if (typeof value !== "string" || value.length < 12) return;
        found.push(value);
        if (/^([0-9a-f]{2}){12,}$/.test(value)) found.push(Buffer.from(value, "hex").toString("base64").replace(/=+$/, ""));
        // A PEM key's body, reflowed elsewhere (single lines are not used: an RSA key's lines can
        // coincide with its own public key's base64, which is public).
        if (value.startsWith("-----BEGIN")) found.push(value.split("\n").filter((line) => line && !line.startsWith("-----")).join(""));
    };
    const plain = (value: unknown): unknown => {
        const envelope = value as Record<string, unknown> | null;
        return envelope && typeof envelope === "object" && typeof envelope.plaintext === "string" ? JSON.parse(envelope.plaintext) : value;
    };
    for (const resource of revealed.deployment.resources ?? []) {
        for (const field of GENERATED[resource.type] ?? []) add(plain(resource.outputs?.[field]));
    }
    const walk = (value: unknown): void => {
        if (typeof value === "string") add(value);
        else if (Array.isArray(value)) value.forEach(walk);
        else if (value && typeof value === "object") Object.values(value).forEach(walk);
    };
    walk(secretOutputs);
    return found;
}
