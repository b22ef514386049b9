// Builds the command line that runs one of the repository's VM scripts (components/vm/scripts/*.sh)
// over SSH as root. The script travels inside the command; secrets never do: they go through stdin.
import { readFileSync } from "node:fs";
import * as path from "node:path";

export const SCRIPTS_DIR = path.join(__dirname, "scripts");

/** Quotes one word for a POSIX shell. */
export function shellQuote(word: string): string {
    return /^[A-Za-z0-9_./=:@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

export function scriptText(script: string): string {
    return readFileSync(path.join(SCRIPTS_DIR, script), "utf8");
}

/** `sudo bash -c '<common.sh><script>' <name> <args...>`: runs the script as root with its arguments. */
export function scriptCommand(script: string, args: readonly string[] = []): string {
    return ["sudo", "/bin/bash", "-c", `${scriptText("common.sh")}\n${scriptText(script)}`, script, ...args].map(shellQuote).join(" ");
}
