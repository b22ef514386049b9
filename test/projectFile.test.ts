// The project card stays true: Pulumi.yaml declares exactly the keys the program validates, with
// the same types and defaults; the example stack sets every required key and holds no secret.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import { KEYS, KEY_NAMES, KeySpec } from "../components/config/keys";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { REPO, readYaml } from "./support/stackConfig";
import { TABLE_END, TABLE_START, projectConfigSection, readmeKeysTable } from "./support/configDocs";

const project = readYaml("Pulumi.yaml");
const dev = readYaml("Pulumi.dev.yaml");
const spec = (key: string) => (KEYS as Record<string, KeySpec>)[key];

describe("Pulumi.yaml", () => {
    it("names the project and the TypeScript runtime", () => {
        assert.equal(project.name, "elabftw-onprem");
        assert.equal(project.runtime.name, "nodejs");
    });

    it("declares exactly the program's keys with their types, descriptions and defaults (npm run config:docs)", () => {
        assert.deepEqual(project.config, projectConfigSection());
    });

    it("declares no default for a required key, and a default for every optional one", () => {
        for (const key of KEY_NAMES) {
            const required = !(spec(key).schema as z.ZodType).safeParse(undefined).success;
            assert.equal(project.config[key].default === undefined, required, key);
        }
    });
});

describe("Pulumi.dev.yaml", () => {
    const config: Record<string, unknown> = dev.config;

    it("is a test stack that sets every required key", () => {
        assert.equal(config["elabftw-onprem:stackKind"], "test");
        for (const key of KEY_NAMES.filter((k) => project.config[k].default === undefined)) {
            assert.ok(`elabftw-onprem:${key}` in config, `required key ${key} is missing`);
        }
    });

    it("holds no secret: no API token, no private key, no encrypted value", () => {
        const text = JSON.stringify(dev);
        assert.ok(!("proxmoxve:apiToken" in config));
        assert.ok(!("elabftw-onprem:sshPrivateKey" in config));
        assert.doesNotMatch(text, /PRIVATE KEY|secure:|![A-Za-z0-9_-]+=[0-9a-f-]{36}/);
        assert.equal(dev.encryptionsalt, undefined);
    });
});

describe("README.md", () => {
    const readme = readFileSync(path.join(REPO, "README.md"), "utf8");

    it("documents every config key in its table (npm run config:docs)", () => {
        assert.ok(readme.includes(`${TABLE_START}\n${readmeKeysTable()}\n${TABLE_END}`), "the README's keys table is out of date");
        for (const key of KEY_NAMES) assert.ok(readme.includes(`| \`${key}\` |`), `README lacks a row for ${key}`);
    });

    it("gives the two set-up commands and the policy-pack command", () => {
        for (const command of ["npm ci", "npm test", "pulumi preview --policy-pack policies", "pulumi up", "pulumi destroy"]) {
            assert.ok(readme.includes(command), command);
        }
    });
});
