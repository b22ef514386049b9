// The declared Node version is the truth `npm ci` checks against: every locked package must accept
// the oldest Node release the project claims to support (no EBADENGINE warning on it).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { it } from "node:test";
import semver from "semver";
import { REPO } from "../components/config/stackFile";

const json = (file: string) => JSON.parse(readFileSync(path.join(REPO, file), "utf8"));

/** The locked packages whose engines.node refuses `version`. */
export function refusing(lock: { packages: Record<string, { engines?: { node?: string } }> }, version: string): string[] {
    return Object.entries(lock.packages)
        .filter(([, meta]) => typeof meta.engines?.node === "string" && !semver.satisfies(version, meta.engines.node, { includePrerelease: true }))
        .map(([name, meta]) => `${name.replace(/^.*node_modules\//, "")} requires node ${meta.engines!.node}`);
}

it("every locked dependency runs on the oldest Node release package.json declares", () => {
    const declared = json("package.json").engines.node as string;
    const oldest = semver.minVersion(declared)!.version;
    assert.deepEqual(refusing(json("package-lock.json"), oldest), [], `package.json declares node ${declared}`);
    assert.ok(semver.satisfies(process.version, declared), `this Node (${process.version}) is older than the declared ${declared}`);
});

it("the check catches the dependency that once required Node 22.19 (json-schema-ref-parser 16)", () => {
    const lock = { packages: { "node_modules/@apidevtools/json-schema-ref-parser": { engines: { node: ">=22.19.0" } } } };
    assert.deepEqual(refusing(lock, "20.17.0"), ["@apidevtools/json-schema-ref-parser requires node >=22.19.0"]);
});
