// The project card stays true: Pulumi.yaml declares exactly the keys the program validates, with
// the same types and defaults; the example stack sets every required key and holds no secret.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import { KEYS, KEY_NAMES, KeySpec } from "../components/config/keys";
import { existsSync, readFileSync } from "node:fs";
import { parse } from "yaml";
import { validateConfig } from "../components/config";
import * as path from "node:path";
import { projectDefaults, projectKeys, REPO, readYaml } from "./support/stackConfig";
import { productionExample, TABLE_END, TABLE_START, projectConfigSection, keysTable } from "../tools/configDocs";

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

    it("gives every default the declared type (the Pulumi CLI refuses the project file otherwise)", () => {
        const typeOf = (value: unknown) => (Array.isArray(value) ? "array" : Number.isInteger(value) ? "integer" : typeof value);
        for (const key of KEY_NAMES) {
            const declared = project.config[key];
            if (declared.default !== undefined) assert.equal(typeOf(declared.default), declared.type, `${key}: default ${JSON.stringify(declared.default)}`);
        }
    });

    it("accepts each default as the program would receive it", () => {
        for (const key of KEY_NAMES) {
            const declared = project.config[key];
            if (declared.default === undefined || declared.default === "") continue;
            const text = typeof declared.default === "string" ? declared.default : JSON.stringify(declared.default);
            const parsed = (spec(key).schema as z.ZodType).safeParse(declared.type === "string" ? text : JSON.parse(text));
            assert.ok(parsed.success, `${key}: the default ${text} is refused by the program's own schema`);
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

describe("README.md and docs/", () => {
    const readme = readFileSync(path.join(REPO, "README.md"), "utf8");
    const reference = readFileSync(path.join(REPO, "docs", "configuration.md"), "utf8");

    it("documents every config key in the configuration reference (npm run config:docs)", () => {
        assert.ok(reference.includes(`${TABLE_START}\n${keysTable()}\n${TABLE_END}`), "docs/configuration.md's keys table is out of date");
        for (const key of KEY_NAMES) assert.ok(reference.includes(`| \`${key}\` |`), `docs/configuration.md lacks a row for ${key}`);
    });

    it("keeps the README a short front door whose links all resolve", () => {
        assert.ok(readme.split("\n").length <= 200, "README.md is over 200 lines: move the detail into docs/");
        for (const [, target] of readme.matchAll(/\]\(((?:docs\/)?[^)#:]+)\)/g)) {
            assert.ok(existsSync(path.join(REPO, target)), `README links to ${target}, which does not exist`);
        }
    });

    it("gives the two set-up commands and the policy-pack command", () => {
        for (const command of ["npm ci", "npm test", "pulumi preview --policy-pack policies", "pulumi up", "pulumi destroy"]) {
            assert.ok(readme.includes(command), command);
        }
    });
});

describe("Pulumi.prod.yaml.example", () => {
    const text = readFileSync(path.join(REPO, "Pulumi.prod.yaml.example"), "utf8");

    it("is up to date (npm run config:docs) and explains every key", () => {
        assert.equal(text, productionExample());
        for (const key of KEY_NAMES) assert.match(text, new RegExp(`^  (# )?elabftw-onprem:${key}:`, "m"), key);
    });

    it("is a valid production stack once its placeholder is replaced, with no secret in it", () => {
        const replaced = text
            .replace("REPLACE-with-the-unit-public-address", "147.210.1.25")
            .replace(/REPLACE-with-the-digest-of-\S+/g, `sha256:${"0".repeat(64)}`);
        const stack = parse(replaced) as { config: Record<string, unknown> };
        const raw = Object.fromEntries(Object.entries(stack.config).map(([key, value]) => [key, typeof value === "string" ? value : JSON.stringify(value)]));
        const { config } = validateConfig(projectKeys({ ...projectDefaults(), ...raw }));
        assert.equal(config.stackKind, "production");
        assert.deepEqual([config.vms.web.node, config.vms.db.node], ["pve1", "pve2"]);
        assert.doesNotMatch(text, /PRIVATE KEY|secure:/);
        assert.throws(() => validateConfig(projectKeys({ ...projectDefaults(), ...Object.fromEntries(Object.entries(parse(text).config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)])) })), /egressPublicAddress/);
    });
});
