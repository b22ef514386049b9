// Regenerates the two documents that follow the config table (components/config/keys.ts): the
// `config:` section of Pulumi.yaml and the keys table of the README. `npm run config:docs`;
// test/projectFile.test.ts fails when either is out of step.
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parseDocument } from "yaml";
import { z } from "zod";
import { KEYS, KEY_NAMES, KeySpec } from "../../components/config/keys";
import { REPO } from "./stackConfig";

const spec = (key: string) => (KEYS as Record<string, KeySpec>)[key];
const defaultOf = (key: string) => (spec(key).schema as z.ZodType).safeParse(undefined);

export function projectConfigSection(): Record<string, unknown> {
    return Object.fromEntries(
        KEY_NAMES.map((key) => {
            const parsed = defaultOf(key);
            const declaration: Record<string, unknown> = { type: spec(key).type };
            if (spec(key).type === "array") declaration.items = { type: "string" };
            declaration.description = spec(key).description;
            // The CLI requires every declared key that has no default: optional keys default to "" (not set).
            if (parsed.success) declaration.default = parsed.data ?? "";
            return [key, declaration];
        }),
    );
}

export function readmeKeysTable(): string {
    const escape = (text: string) => text.replace(/\|/g, "\\|").replace(/</g, "&lt;").replace(/>/g, "&gt;");
    const rows = KEY_NAMES.map((key) => {
        const parsed = defaultOf(key);
        const fallback = !parsed.success ? "**required**" : parsed.data === undefined ? "not set" : `\`${JSON.stringify(parsed.data)}\``;
        return `| \`${key}\` | ${spec(key).type}${spec(key).secret ? " (secret)" : ""} | ${fallback} | ${escape(spec(key).description)} |`;
    });
    return ["| Key | Type | Default | Meaning |", "|---|---|---|---|", ...rows].join("\n");
}

export const TABLE_START = "<!-- config-keys:start -->";
export const TABLE_END = "<!-- config-keys:end -->";

if (require.main === module) {
    const projectFile = path.join(REPO, "Pulumi.yaml");
    const document = parseDocument(readFileSync(projectFile, "utf8"));
    document.set("config", projectConfigSection());
    writeFileSync(projectFile, document.toString({ lineWidth: 0 }));

    const readmeFile = path.join(REPO, "README.md");
    const readme = readFileSync(readmeFile, "utf8");
    const start = readme.indexOf(TABLE_START);
    const end = readme.indexOf(TABLE_END);
    if (start < 0 || end < start) throw new Error(`README.md lacks the ${TABLE_START} ... ${TABLE_END} markers`);
    writeFileSync(readmeFile, `${readme.slice(0, start + TABLE_START.length)}\n${readmeKeysTable()}\n${readme.slice(end)}`);
    console.log("Pulumi.yaml and README.md updated from components/config/keys.ts");
}
