// Every Fix line fixes its problem: the Fix is applied, as `pulumi config` would, to the example
// stack's config, and the problem is gone. A stand-in of the CLI's `config set`, `config set --path`
// and `config rm` on the string map Pulumi hands the program (arrays as JSON), nothing more.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, KEYS, KEY_NAMES, validateConfig } from "../components/config";
import { KeySpec } from "../components/config/keys";
import { projectKeys, readStackConfig } from "../components/config/stackFile";

const BASE = projectKeys(readStackConfig("Pulumi.dev.yaml"));

/** Shell words of one command: "..." and '...' quoting, a # comment ends it. */
function words(command: string): string[] {
    const found: string[] = [];
    for (const match of command.matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'|(#.*$)|([^\s"'#]+)/g)) {
        if (match[3] !== undefined) break;
        found.push(match[1] ?? match[2] ?? match[4]);
    }
    return found;
}

/** A Fix without its trailing comment (a "#" after a blank, outside quotes). */
function withoutComment(fix: string): string {
    let quote = "";
    for (let i = 0; i < fix.length; i++) {
        if (quote) quote = fix[i] === quote ? "" : quote;
        else if (fix[i] === '"' || fix[i] === "'") quote = fix[i];
        else if (fix[i] === "#" && /\s/.test(fix[i - 1] ?? " ")) return fix.slice(0, i).trimEnd();
    }
    return fix;
}

/** Applies a Fix (one or several `pulumi config` commands separated by ";") to a config; throws on anything else. */
export function applyFix(config: Record<string, string>, fix: string): Record<string, string> {
    const next = { ...config };
    for (const command of withoutComment(fix).split(/;(?=(?:[^"]*"[^"]*")*[^"]*$)/)) {
        const [pulumi, sub, verb, ...rest] = words(command.trim());
        assert.deepEqual([pulumi, sub], ["pulumi", "config"], `not a pulumi config command: ${command}`);
        const args = rest.filter((w) => w !== "--secret");
        if (verb === "rm") {
            delete next[args[0]];
            continue;
        }
        assert.equal(verb, "set", `unknown verb in ${command}`);
        if (args[0] === "--path") {
            const [, key, index] = /^(\w+)\[(\d+)\]$/.exec(args[1]) ?? assert.fail(`bad --path in ${command}`);
            const list = next[key] ? (JSON.parse(next[key]) as string[]) : [];
            list[Number(index)] = args[2];
            next[key] = JSON.stringify(list);
        } else {
            assert.equal(args.length, 2, `expected key and value in ${command}`);
            next[args[0]] = args[1];
        }
    }
    return next;
}

function problems(config: Record<string, string | undefined>) {
    try {
        validateConfig(Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined)) as Record<string, string>);
        return [];
    } catch (error) {
        assert.ok(error instanceof ConfigError, String(error));
        return [...error.problems];
    }
}

/** A Fix the test can run as it stands: no placeholder to fill, no file to read. */
const runnable = (fix: string) => !/<|\$\(|\.\.\./.test(fix);

const BAD: Record<KeySpec["type"], string> = { string: "%% not valid %%", integer: "not-a-number", boolean: "maybe", array: '["%% not valid %%"]' };

/** The example's two VMs share node pve1: the clusterNodes example (two nodes) then asks for another node for dbNode, as it should. */
const KNOCK_ON = [
    // A relay named in the example: its flow is the next problem, with its own Fix (tested below).
    "smtpHost -> smtpFrom: is required with smtpHost",
    "smtpHost -> smtpHost: has no flow from the web VM to the relay on port 587: the firewall would drop eLabFTW's mail",
    // The example has no relay: a sender alone is then refused, with its own Fix (rm, tested below).
    "smtpFrom -> smtpFrom: is set but smtpHost is not: set smtpHost too, or remove it",
    "clusterNodes -> dbNode: puts the MySQL VM on pve1, the eLabFTW VM's node, on a cluster of 2 nodes: one node's failure would stop both (or set allowSameNode true)"];

describe("Fix lines", () => {
    it("the applier refuses what is not a pulumi config command (so the test below cannot pass vacuously)", () => {
        assert.throws(() => applyFix(BASE, "edit the file by hand"), /not a pulumi config command/);
        assert.deepEqual(applyFix({ a: "1" }, 'pulumi config set --path "l[1]" "x # y; z"; pulumi config rm a   # why; pulumi config rm l'), { l: JSON.stringify([null, "x # y; z"]) });
    });

    it("each runnable Fix of a key, applied to a stack where that key is wrong, leaves no problem", () => {
        const tried: string[] = [];
        const knockOn: string[] = [];
        for (const key of KEY_NAMES) {
            const spec = KEYS[key] as KeySpec;
            if (!runnable(spec.fix)) continue;
            const broken = { ...BASE, [key]: BAD[spec.type] };
            const before = problems(broken).filter((p) => p.key === key);
            if (before.length === 0) continue; // free text: nothing to fix
            assert.ok(before.every((p) => p.fix === spec.fix));
            const after = problems(applyFix(broken, spec.fix));
            const same = after.filter((p) => before.some((b) => b.key === p.key && b.message === p.message));
            assert.deepEqual(same.map((p) => p.message), [], `${key}: the Fix "${spec.fix}" leaves its problem`);
            // The fixed value may meet another check on this stack (it is an example): listed below, so none goes unnoticed.
            for (const p of after) knockOn.push(`${key} -> ${p.key}: ${p.message}`);
            tried.push(key);
        }
        console.log(`${tried.length} runnable Fix lines applied: ${tried.join(", ")}`);
        assert.deepEqual(knockOn.sort(), [...KNOCK_ON].sort(), "a Fix now raises another key's problem");
        assert.ok(tried.length >= 40, `only ${tried.length} Fix lines tried`);
    });

    it("the mail relay without a flow: the Fix adds the flow at the next free index (placeholder filled), and the error is gone", () => {
        const smtp = { ...BASE, smtpHost: "smtp.lab.example.org", smtpFrom: "elabftw@lab.example.org", extraFlows: JSON.stringify(["allow tcp adminNetwork -> db 33060 # X protocol"]) };
        const [problem, ...others] = problems(smtp);
        assert.deepEqual(others, []);
        assert.equal(problem.key, "smtpHost");
        assert.match(problem.fix, /extraFlows\[1\]/, "the existing flow 0 must not be overwritten");
        const fixed = applyFix(smtp, problem.fix.replace("<relay IPv4 address>", "10.20.60.25"));
        assert.deepEqual(problems(fixed), []);
        assert.equal(JSON.parse(fixed.extraFlows).length, 2);
    });

    it("a misspelt key: the Fix removes it, and sets the key it was meant to be", () => {
        const { stackKind, ...rest } = BASE;
        const [problem, ...others] = problems({ ...rest, stackKnd: stackKind });
        assert.deepEqual(others.map((p) => p.key), ["stackKind"], "the real key is then missing");
        assert.match(problem.fix, /^pulumi config rm stackKnd; pulumi config set stackKind /);
        assert.deepEqual(problems(applyFix({ ...rest, stackKnd: stackKind }, problem.fix.replace("...", "test"))), []);
    });

    it("the version Fix lines name the releases the example stack runs (they cannot drift apart)", () => {
        for (const key of ["mysqlVersion", "elabftwVersion"] as const) assert.equal(KEYS[key].fix, `pulumi config set ${key} ${BASE[key]}`);
        assert.deepEqual(problems(applyFix({ ...BASE, mysqlVersion: "8.0.36" }, KEYS.mysqlVersion.fix)), []);
    });
});

describe("Fix lines of the checks across keys", () => {
    // Each: a broken stack, the key of its problem, and what fills the Fix's placeholder, if any.
    const SCENARIOS: { name: string; changes: Record<string, string | undefined>; key: string }[] = [
        { name: "local login limited without SAML", changes: { samlEnabled: "false", localLogin: "sysadmin-only" }, key: "localLogin" },
        { name: "a manual IdP key beside the metadata URL", changes: { samlIdpMetadataUrl: "https://idp.lab.example.org/idp/shibboleth" }, key: "samlIdpEntityId" },
        { name: "a timestamping URL for a named authority", changes: { timestampUrl: "https://tsa.example.org/tsr" }, key: "timestampUrl" },
        { name: "a timestamping login the authority does not use", changes: { timestampLogin: "unit" }, key: "timestampLogin" },
        { name: "a mail sender without a relay", changes: { smtpHost: undefined, smtpFrom: "elabftw@lab.example.org" }, key: "smtpFrom" },
        { name: "a checksum without an image URL", changes: { cloudImageChecksum: "a".repeat(128) }, key: "cloudImageChecksum" },
        { name: "HA with volumes on storage not declared shared", changes: { highAvailability: "true" }, key: "highAvailability" },
        { name: "a hidden local form without SAML", changes: { samlEnabled: "false", localLogin: "everyone", localLoginHidden: "true" }, key: "localLoginHidden" },
        { name: "host encryption on storages not declared encrypted", changes: { diskEncryption: "host-datastore", encryptedDatastores: '["other"]' }, key: "encryptedDatastores" },
    ];
    for (const { name, changes, key } of SCENARIOS) {
        it(`${name}: its Fix, applied, leaves a valid stack`, () => {
            const broken = Object.fromEntries(Object.entries({ ...BASE, ...changes }).filter(([, v]) => v !== undefined)) as Record<string, string>;
            const found = problems(broken);
            assert.ok(found.some((p) => p.key === key), `${name}: no problem about ${key}`);
            let fixed = broken;
            for (const problem of found) {
                assert.ok(runnable(withoutComment(problem.fix)), `${problem.key}: "${problem.fix}" is not a command one can run as it stands`);
                fixed = applyFix(fixed, problem.fix);
            }
            assert.deepEqual(problems(fixed).map((p) => `${p.key}: ${p.message}`), []);
        });
    }
});
