// npm run status -- --stack Pulumi.<stack>.yaml [--json] [--known-hosts FILE] [--identity FILE]
// Asks both VMs, over SSH from the admin network as the program's admin user and with their host
// keys pinned, to run the read-only status script (sent as the program sends scripts), then prints
// one table (or JSON for a monitoring system). Exit 0 ok, 1 warning, 2 failure, 3 a VM not reached.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { ConfigError, validateConfig } from "../components/config";
import { projectKeys, readStackConfig, REPO } from "../components/config/stackFile";
import type { PlatformConfig, Role } from "../components/config/types";
import { areaConstants, STATUS_SCRIPT, statusArgs } from "../components/monitoring";
import { scriptCommand } from "../components/vm/remoteScript";
import { CheckResult, EXIT, exitCode, knownHostsFor, parseStatusLines, renderJson, renderTable, VmError } from "./status/results";

const USAGE = "usage: npm run status -- --stack Pulumi.<stack>.yaml [--json] [--known-hosts FILE] [--identity FILE]";
const HELP = `${USAGE}

Runs the read-only status checks on both VMs over SSH and prints them as a table (--json: for a
monitoring system). Host keys are pinned: --known-hosts FILE, or the stack output sshKnownHosts
read with the Pulumi CLI; an unknown or changed key stops the connection.
  --stack FILE        the stack's config file (Pulumi.<stack>.yaml)
  --json              JSON instead of the table
  --known-hosts FILE  known_hosts holding both VMs' keys (default: pulumi stack output sshKnownHosts)
  --identity FILE     the admin's SSH private key (default: ssh-agent and ~/.ssh)
Exit: 0 all ok, 1 a warning, 2 a failure, 3 a VM not reached, 64 usage, 78 configuration.
Checks and alarms: docs/operating.md, "Day 2: status and alarms".`;

function fail(message: string, code: number): never {
    console.error(message);
    process.exit(code);
}

function options() {
    try {
        return parseArgs({
            options: { stack: { type: "string" }, json: { type: "boolean" }, "known-hosts": { type: "string" }, identity: { type: "string" }, help: { type: "boolean", short: "h" } },
            allowPositionals: false,
        }).values;
    } catch (error) {
        return fail(`${(error as Error).message.split("\n")[0]} (${USAGE})`, EXIT.usage);
    }
}

/** The pinned keys: a file, or the stack output the program exports. */
function knownHosts(stackFile: string, file: string | undefined, addresses: string[]): string {
    if (file) return knownHostsFor(readFileSync(file, "utf8"), addresses);
    const stack = /^Pulumi\.(.+)\.yaml$/.exec(path.basename(stackFile))?.[1];
    const output = spawnSync("pulumi", ["stack", "output", "--json", "sshKnownHosts", ...(stack ? ["--stack", stack] : [])], { cwd: REPO, encoding: "utf8" });
    if (output.error || output.status !== 0) {
        throw new Error(`cannot read the stack output sshKnownHosts (${output.error?.message ?? output.stderr.trim().split("\n")[0]}): pass --known-hosts FILE`);
    }
    return knownHostsFor(JSON.parse(output.stdout), addresses);
}

/** One VM's checks, or why it could not be asked. */
function ask(config: PlatformConfig, role: Role, knownHostsFile: string, identity?: string): Promise<CheckResult[] | VmError> {
    const ssh = [
        "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", `UserKnownHostsFile=${knownHostsFile}`, "-o", "GlobalKnownHostsFile=/dev/null",
        "-o", "ConnectTimeout=15", ...(identity ? ["-i", identity, "-o", "IdentitiesOnly=yes"] : []),
        "-l", config.admin.user, config.vms[role].address, "--", scriptCommand(STATUS_SCRIPT, statusArgs(config, role, areaConstants(config))),
    ];
    return new Promise((resolve) => {
        const child = spawn("ssh", ssh, { stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (chunk) => (stdout += chunk));
        child.stderr.on("data", (chunk) => (stderr += chunk));
        child.on("error", (error) => resolve({ vm: role, error: error.message }));
        child.on("close", (code) => {
            if (code !== 0) return resolve({ vm: role, error: `ssh ${config.admin.user}@${config.vms[role].address} exited ${code}: ${stderr.replace(/\r/g, "").trim().split("\n").slice(-2).join(" ")}` });
            try {
                resolve(parseStatusLines(role, stdout));
            } catch (error) {
                resolve({ vm: role, error: (error as Error).message });
            }
        });
    });
}

async function main() {
    const args = options();
    if (args.help) {
        console.log(HELP);
        return;
    }
    if (!args.stack) fail(`--stack is required (${USAGE})`, EXIT.usage);
    let config: PlatformConfig;
    try {
        config = validateConfig(projectKeys(readStackConfig(args.stack))).config;
    } catch (error) {
        fail(error instanceof ConfigError ? error.message : `${args.stack}: ${(error as Error).message}`, EXIT.config);
    }
    const roles: Role[] = ["web", "db"];
    let pinned: string;
    try {
        pinned = knownHosts(args.stack, args["known-hosts"], roles.map((role) => config.vms[role].address));
    } catch (error) {
        fail((error as Error).message, EXIT.config);
    }
    const dir = mkdtempSync(path.join(tmpdir(), "elabftw-status-"));
    const knownHostsFile = path.join(dir, "known_hosts");
    writeFileSync(knownHostsFile, pinned, { mode: 0o600 });
    try {
        const answers = await Promise.all(roles.map((role) => ask(config, role, knownHostsFile, args.identity)));
        const results = answers.filter((answer): answer is CheckResult[] => Array.isArray(answer)).flat();
        const errors = answers.filter((answer): answer is VmError => !Array.isArray(answer));
        process.stdout.write(args.json ? renderJson(config.unit, results, errors, new Date()) : renderTable(results, errors));
        process.exitCode = exitCode(results, errors);
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}

main().catch((error) => fail(`status: ${(error as Error).stack ?? error}`, 70));
