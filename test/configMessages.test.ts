// What a config error prints: never key material (a private key pasted in the wrong setting, a
// public key's body), the stack file to edit when a tool read one, and YAML mistakes at the line to fix.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { ConfigError, validateConfig } from "../components/config";
import { shownValue } from "../components/config/problems";
import { projectKeys, readStackConfig, REPO, StackFileError } from "../components/config/stackFile";

const dir = mkdtempSync(path.join(tmpdir(), "elabftw-messages-"));
const BASE = projectKeys(readStackConfig("Pulumi.dev.yaml"));

function message(changes: Record<string, string>, source?: string): string {
    try {
        validateConfig({ ...BASE, ...changes }, source);
    } catch (error) {
        assert.ok(error instanceof ConfigError);
        return error.message;
    }
    return assert.fail("accepted");
}

/** A key pair made here, by ssh-keygen (OpenSSH format) and node:crypto (PEM). */
function keys() {
    const file = path.join(dir, `id-${Math.random().toString(36).slice(2)}`);
    const made = spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "op@lab", "-f", file], { encoding: "utf8" });
    assert.equal(made.status, 0, made.stderr);
    return {
        openssh: readFileSync(file, "utf8"),
        publicKey: readFileSync(`${file}.pub`, "utf8").trim(),
        pem: generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ format: "pem", type: "pkcs8" }) as string,
    };
}

const KEY_SHAPED = /[A-Za-z0-9+/]{40,}|PRIVATE KEY|b3BlbnNzaC1rZXktdjE/;

describe("config messages", () => {
    it("never echo a private key pasted into a public-key setting, nor a public key's body", () => {
        const { openssh, publicKey, pem } = keys();
        const texts = [
            message({ adminSshKeys: JSON.stringify([openssh]) }),
            message({ adminSshKeys: JSON.stringify([pem]) }),
            message({ samlIdpCertificate: pem }),
            message({ adminSshKys: JSON.stringify([publicKey]) }), // misspelt key: its value is echoed, shortened
            message({ sshPublicKey: openssh }), // unknown key holding a private key
        ];
        for (const text of texts) {
            assert.doesNotMatch(text, KEY_SHAPED, text);
            for (const line of [...openssh.split("\n"), ...pem.split("\n")].filter((l) => l.length > 20)) assert.ok(!text.includes(line), text);
        }
        assert.match(texts[0], /adminSshKeys = \[key material, not shown\]/);
        assert.match(texts[3], /adminSshKys = "\[\\"ssh-ed25519 AAAAC3NzaC1l\.\.\. op@lab\\"\]"/, "a public key is recognisable by its type, start and comment");
    });

    it("shownValue: the check can fail (a long value and a PEM are replaced, a short one kept)", () => {
        assert.equal(shownValue("10.20.30.10"), '"10.20.30.10"');
        assert.equal(shownValue("-----BEGIN CERTIFICATE-----\nMIIB"), "[key material, not shown]");
        assert.equal(shownValue("x".repeat(300)), "\"xxxxxxxxxxxx...\"");
        assert.match(shownValue("word ".repeat(60)), /\.\.\. \(\d+ characters\)$/);
    });

    it("say where to edit: the stack file a tool read, or Pulumi.<stack>.yaml under the CLI", () => {
        assert.match(message({ webCores: "two" }, "Pulumi.lab.yaml"), /Invalid stack configuration in Pulumi\.lab\.yaml[\s\S]*without the Pulumi CLI, edit the same key \(elabftw-onprem:<key>\) under config: in Pulumi\.lab\.yaml\.$/);
        assert.match(message({ webCores: "two" }), /in Pulumi\.<stack>\.yaml\.$/);
    });
});

describe("YAML mistakes in a stack file", () => {
    const lines = readFileSync(path.join(REPO, "Pulumi.dev.yaml"), "utf8").split("\n");
    const at = lines.findIndex((l) => l.startsWith("  elabftw-onprem:unit:"));
    /** The example stack with line `index` (0-based) replaced; the error for that file. */
    function errorWith(index: number, replacement: string, name: string): StackFileError {
        const file = path.join(dir, name);
        writeFileSync(file, [...lines.slice(0, index), replacement, ...lines.slice(index + 1)].join("\n"));
        try {
            readStackConfig(file);
        } catch (error) {
            assert.ok(error instanceof StackFileError, String(error));
            return error;
        }
        return assert.fail("parsed");
    }

    it("an unclosed [ is reported at its own line, not where the parser noticed it", () => {
        const error = errorWith(at, "  elabftw-onprem:unit: [demo", "Pulumi.bracket.yaml");
        assert.equal(error.line, at + 1);
        assert.match(error.message, new RegExp(`^${dir.replace(/[/.]/g, "\\$&")}/Pulumi\\.bracket\\.yaml, line ${at + 1}: the \\[ opened here is never closed`));
    });

    it("an unclosed quote, a key indented too deep and a duplicated key: each at its line, with the file", () => {
        assert.equal(errorWith(at, '  elabftw-onprem:unit: "demo', "Pulumi.quote.yaml").line, at + 1);
        const deeper = errorWith(at, "   elabftw-onprem:unit: demo", "Pulumi.indent.yaml");
        assert.equal(deeper.line, at + 1);
        assert.match(deeper.message, /Pulumi\.indent\.yaml, line \d+: this line is indented deeper than the key above it/);
        const duplicated = errorWith(at + 1, lines[at], "Pulumi.twice.yaml");
        assert.equal(duplicated.line, at + 2);
        assert.match(duplicated.message, /Map keys must be unique/);
    });
});
