// The layout is the architecture (docs/architecture.md): one folder per area under components/,
// each with an index.ts; pure models that never import Pulumi, transitively; tools outside
// components/; no source file over 300 lines unless its first line says why.
import { strict as assert } from "node:assert";
import { readdirSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { REPO } from "../components/config/stackFile";

const COMPONENTS = path.join(REPO, "components");
const AREAS = ["backup", "config", "database", "elabftw", "monitoring", "network", "pki", "vm"];

/** Files of plain logic: loadable and testable without Pulumi. Every other file uses Pulumi. */
const PURE_MODELS = [
    "backup/backupPlan.ts",
    "config/build.ts",
    "config/checks/application.ts",
    "config/checks/network.ts",
    "config/checks/vms.ts",
    "config/grammars.ts",
    "config/keys.ts",
    "config/parsed.ts",
    "config/problems.ts",
    "config/providerSecrets.ts",
    "config/settingsKeys.ts",
    "config/sshKeys.ts",
    "config/stackFile.ts",
    "config/tlsKeys.ts",
    "config/types.ts",
    "config/validate.ts",
    "elabftw/instanceSettings.ts",
    "monitoring/statusPlan.ts",
    "network/addresses.ts",
    "network/firewallRules.ts",
    "network/flowMatrix.ts",
    "pki/defuseKey.ts",
    "vm/cloudInit.ts",
    "vm/hostKey.ts",
    "vm/nodeSsh.ts",
    "vm/privileges.ts",
    "vm/proxmoxSetup.ts",
    "vm/remoteScript.ts",
    "vm/tpmSeal.ts",
];

const PULUMI_PACKAGE = /^@(pulumi|muhlba91)\//;

function sourceFiles(dir: string): string[] {
    return readdirSync(dir).flatMap((entry) => {
        const full = path.join(dir, entry);
        if (statSync(full).isDirectory()) return entry === "node_modules" ? [] : sourceFiles(full);
        return entry.endsWith(".ts") ? [full] : [];
    });
}

function importsOf(file: string): string[] {
    const text = readFileSync(file, "utf8");
    return [...text.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s+"([^"]+)";/gms)].map((m) => m[1]);
}

function resolveLocal(from: string, specifier: string): string {
    const base = path.resolve(path.dirname(from), specifier);
    for (const candidate of [`${base}.ts`, path.join(base, "index.ts")]) {
        try {
            if (statSync(candidate).isFile()) return candidate;
        } catch {
            // try the next form
        }
    }
    throw new Error(`${path.relative(REPO, from)} imports ${specifier}, which resolves to no file`);
}

/** The packages a file reaches through its local imports, and the chain that reaches each. */
function packagesReached(file: string, seen = new Set<string>()): Map<string, string[]> {
    const reached = new Map<string, string[]>();
    if (seen.has(file)) return reached;
    seen.add(file);
    for (const specifier of importsOf(file)) {
        if (specifier.startsWith(".")) {
            const local = resolveLocal(file, specifier);
            for (const [pkg, chain] of packagesReached(local, seen)) reached.set(pkg, [path.relative(REPO, local), ...chain]);
        } else reached.set(specifier, []);
    }
    return reached;
}

describe("the layout", () => {
    it("has one folder per area, each with the index.ts that is its public face", () => {
        const folders = readdirSync(COMPONENTS).filter((entry) => statSync(path.join(COMPONENTS, entry)).isDirectory()).sort();
        assert.deepEqual(folders, AREAS);
        for (const area of AREAS) assert.ok(statSync(path.join(COMPONENTS, area, "index.ts")).isFile(), `${area}/index.ts`);
        const loose = readdirSync(COMPONENTS).filter((entry) => entry.endsWith(".ts"));
        assert.deepEqual(loose, ["platform.ts"], "only the composition sits beside the areas");
    });

    it("keeps every pure model free of Pulumi, also through what it imports", () => {
        for (const model of PURE_MODELS) {
            const reached = packagesReached(path.join(COMPONENTS, model));
            const pulumi = [...reached].filter(([pkg]) => PULUMI_PACKAGE.test(pkg));
            assert.deepEqual(pulumi.map(([pkg, chain]) => `${pkg} via ${[model, ...chain].join(" -> ")}`), [], model);
        }
    });

    it("classifies every file: a pure model, an area's index, or a file that uses Pulumi", () => {
        for (const file of sourceFiles(COMPONENTS)) {
            const relative = path.relative(COMPONENTS, file);
            if (PURE_MODELS.includes(relative) || path.basename(file) === "index.ts" && relative !== "config/index.ts") continue;
            const direct = importsOf(file).filter((specifier) => PULUMI_PACKAGE.test(specifier));
            assert.ok(direct.length > 0, `${relative} imports no Pulumi package: add it to PURE_MODELS (test/layout.test.ts) or move its logic into a pure model`);
        }
    });

    it("keeps the tools and the offline engine out of components/", () => {
        for (const file of sourceFiles(COMPONENTS)) {
            const text = readFileSync(file, "utf8");
            assert.doesNotMatch(text, /from "(\.\.\/)+(tools|test)\//, `${path.relative(REPO, file)} imports a tool or a test helper`);
        }
    });

    it("has no source file over 300 lines unless its first line says why", () => {
        const roots = ["components", "tools", "policies", "test"].map((dir) => path.join(REPO, dir));
        const long = roots
            .flatMap((root) => sourceFiles(root))
            .filter((file) => !file.includes(`${path.sep}fixtures${path.sep}`))
            .filter((file) => {
                const lines = readFileSync(file, "utf8").split("\n");
                return lines.length > 310 && !/^\/\/ Over 300 lines/.test(lines[0]);
            });
        assert.deepEqual(long.map((file) => path.relative(REPO, file)), []);
    });
});
