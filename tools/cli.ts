// The command line of every tool (report, edge-rules, config-docs): node:util's parseArgs in strict
// mode, one-line usage errors, and exit codes that a script can rely on.
import { existsSync, statSync } from "node:fs";
import * as path from "node:path";
import { parseArgs, ParseArgsConfig } from "node:util";
import { ConfigError } from "../components/config/problems";
import { REPO, StackFileError } from "../components/config/stackFile";

/** Exit codes, the same for every tool (docs/dossier.md, "Exit codes and mistakes"). */
export const EXIT = {
    /** Done; for the report, every mandatory policy passed. */
    ok: 0,
    /** The report: at least one mandatory policy failed (the dossier is still written). */
    policyFailed: 1,
    /** The stack file's configuration is invalid (each problem with its fix); nothing written. */
    invalidConfig: 2,
    /** A mistake on the command line (unknown option, missing value, missing file). */
    usage: 64,
    /** A bug in the tool: the message and stack trace belong in an issue. */
    internal: 70,
} as const;

export class UsageError extends Error {}

export interface Command {
    /** `npm run <name>` */
    readonly name: string;
    /** The synopsis, e.g. "[--stack FILE | FILE] [--out DIR]". */
    readonly synopsis: string;
    /** The rest of --help: what the tool does, its options and exit codes. */
    readonly help: string;
    readonly options: NonNullable<ParseArgsConfig["options"]>;
    /** How many positional arguments are allowed (0 or 1). */
    readonly positionals: number;
}

const usageLine = (command: Command) => `usage: npm run ${command.name}${command.synopsis ? ` -- ${command.synopsis}` : ""}`;

/** Parses argv strictly; throws UsageError with a one-line reason. `--help` is handled by the caller. */
export interface CommandLine {
    readonly values: Readonly<Record<string, string | boolean | undefined>>;
    readonly positionals: readonly string[];
}

export function parseCommandLine(command: Command, argv: readonly string[]): CommandLine {
    let parsed;
    try {
        parsed = parseArgs({ args: [...argv], options: { ...command.options, help: { type: "boolean", short: "h" } }, allowPositionals: true, strict: true });
    } catch (error) {
        const code = (error as { code?: string }).code;
        const option = /'(-[^' ,]+)/.exec(String((error as Error).message))?.[1] ?? "?";
        if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
            const known = Object.keys(command.options).map((name) => `--${name}`);
            const near = known.find((name) => name.startsWith(option.slice(0, 4)) || option.startsWith(name.slice(0, 5)));
            throw new UsageError(`unknown option ${option}${near ? ` (did you mean ${near}?)` : ""}; known: ${[...known, "--help"].join(", ")}`);
        }
        if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
            const name = /--[\w-]+/.exec(option)?.[0] ?? option;
            throw new UsageError(command.options[name.slice(2)]?.type === "boolean" ? `${name} takes no value` : `${name} needs a value`);
        }
        throw new UsageError(String((error as Error).message).split("\n")[0]);
    }
    for (const [name, value] of Object.entries(parsed.values)) if ((value as unknown) === "") throw new UsageError(`--${name} needs a value`);
    if (parsed.positionals.length > command.positionals) {
        throw new UsageError(`unexpected argument${parsed.positionals.length - command.positionals > 1 ? "s" : ""} ${parsed.positionals.slice(command.positionals).join(" ")}`);
    }
    return parsed;
}

/** A file that exists, relative to where the user typed the command (npm run moves to the repository) or else to the repository. */
export function existingFile(file: string, what = "stack file"): string {
    const candidates = [path.resolve(process.env.INIT_CWD ?? process.cwd(), file), path.resolve(REPO, file)];
    const found = candidates.find((candidate) => existsSync(candidate) && statSync(candidate).isFile());
    if (!found) throw new UsageError(`${file}: no such ${what}${what === "stack file" ? " (give its path, e.g. Pulumi.dev.yaml)" : ""}`);
    return found;
}

/**
 * Runs a tool's main: --help prints the usage (exit 0); a UsageError prints one line and the usage
 * (exit 64); a ConfigError prints every problem with its fix (exit 2); anything else is a bug (exit 70).
 * `main` returns the exit code and its own closing line.
 */
export async function runCommand(command: Command, main: (args: CommandLine) => Promise<number> | number): Promise<void> {
    try {
        const args = parseCommandLine(command, process.argv.slice(2));
        if (args.values.help) {
            console.log(`${usageLine(command)}\n\n${command.help}`);
            process.exitCode = EXIT.ok;
            return;
        }
        process.exitCode = await main(args);
    } catch (error) {
        if (error instanceof UsageError) {
            console.error(`${command.name}: ${error.message}. Try: npm run ${command.name} -- --help`);
            process.exitCode = EXIT.usage;
        } else if (error instanceof ConfigError) {
            console.error(error.message);
            console.error(`${error.source ?? "the stack"}: invalid configuration (${error.problems.length} problem${error.problems.length === 1 ? "" : "s"}); nothing written`);
            process.exitCode = EXIT.invalidConfig;
        } else if (error instanceof StackFileError) {
            console.error(`${error.message}\n${error.file}: not valid YAML; nothing written`);
            process.exitCode = EXIT.invalidConfig;
        } else {
            console.error(`${command.name}: internal error, please report it with this output:`, error);
            process.exitCode = EXIT.internal;
        }
    }
}

/** The exit codes as --help shows them. */
export const EXIT_CODES_HELP = [
    "Exit codes: 0 done (the report: compliant), 1 a mandatory policy failed (report only),",
    "2 invalid stack configuration (nothing written), 64 command-line mistake, 70 internal error.",
].join("\n");
