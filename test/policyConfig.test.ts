// The example policy-pack config file names only real policies and keys, with the schemas' types.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { rules } from "../policies/rules";
import { REPO } from "./support/stackConfig";

describe("policies/config.example.json", () => {
    const config = JSON.parse(readFileSync(path.join(REPO, "policies", "config.example.json"), "utf8")) as Record<string, unknown>;

    it("configures existing policies with keys of their schemas, holding the schemas' defaults", () => {
        for (const [name, value] of Object.entries(config)) {
            const policy = rules.find((p) => p.name === name);
            assert.ok(policy, `no policy named ${name}`);
            if (typeof value === "string") {
                assert.ok(["advisory", "mandatory", "remediate", "disabled"].includes(value), `${name}: ${value}`);
                continue;
            }
            const properties = (policy.configSchema?.properties ?? {}) as Record<string, { default?: unknown }>;
            for (const [key, setting] of Object.entries(value as Record<string, unknown>)) {
                assert.ok(key in properties, `${name} has no setting ${key}`);
                assert.deepEqual(setting, properties[key].default, `${name}.${key}: the example shows the default`);
            }
        }
    });
});
