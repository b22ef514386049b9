// The real Pulumi engine for the engine tests: the CLI and language host built by
// tools/pulumi-toolchain/build.sh, the stand-in provider plugins (test/engine/plugins/), a file
// backend and a PULUMI_HOME of the test's own, and a scratch copy of the project (the CLI writes
// stack files beside Pulumi.yaml; the repository's own are never touched).
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { REPO } from "../../components/config/stackFile";

const TOOLCHAIN = path.join(REPO, ".toolchain");

export interface Run {
    readonly status: number;
    readonly stdout: string;
    readonly stderr: string;
    readonly seconds: number;
}

/** One engine event of `--json` with streaming (PULUMI_ENABLE_STREAMING_JSON_PREVIEW). */
export type EngineEvent = Record<string, any>;

export class Engine {
    readonly root = mkdtempSync(path.join(tmpdir(), "elabftw-engine-"));
    readonly project = path.join(this.root, "project");
    readonly home = path.join(this.root, "home");
    readonly commandLog = path.join(this.root, "remote-commands.jsonl");
    private readonly env: NodeJS.ProcessEnv;
    private proxmoxApi?: ChildProcess;
    /** The stand-in's API token: the program reads VMs' host keys through the Proxmox API with it. */
    static readonly API_TOKEN = "pulumi@pve!engine-test=00000000-1111-2222-3333-444444444444";

    constructor() {
        mkdirSync(path.join(this.home, "state"), { recursive: true });
        symlinkSync(path.join(TOOLCHAIN, "plugins"), path.join(this.home, "plugins"));
        mkdirSync(this.project);
        for (const entry of ["index.ts", "components", "policies", "Pulumi.yaml", "Pulumi.dev.yaml", "package.json", "tsconfig.json"]) {
            cpSync(path.join(REPO, entry), path.join(this.project, entry), { recursive: true, filter: (source) => !source.includes("node_modules") });
        }
        symlinkSync(path.join(REPO, "node_modules"), path.join(this.project, "node_modules"));
        this.env = {
            ...process.env,
            PATH: `${path.join(TOOLCHAIN, "bin")}:${process.env.PATH}`,
            PULUMI_HOME: this.home,
            // The program keeps the VMs' pinned known_hosts under $HOME: the test's own, not the user's.
            HOME: this.home,
            PULUMI_SKIP_UPDATE_CHECK: "true",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
            PULUMI_CONFIG_PASSPHRASE: "engine-test-passphrase",
            PULUMI_ENABLE_STREAMING_JSON_PREVIEW: "1",
            // Remote commands "succeed" without SSH (no VM exists here) and are recorded.
            PULUMI_COMMAND_STAND_IN_REMOTE: "record",
            PULUMI_COMMAND_STAND_IN_LOG: this.commandLog,
        };
        const login = this.pulumi(["login", `file://${path.join(this.home, "state")}`]);
        if (login.status !== 0) throw new Error(`pulumi login failed: ${login.stderr}`);
    }

    /**
     * Starts the stand-in of the Proxmox API's guest-agent file-read (test/engine/proxmox-agent-standin.cjs)
     * and points the stacks at it: the program reads each VM's SSH host key there before its first
     * SSH connection. Its certificate is made here and trusted through NODE_EXTRA_CA_CERTS.
     */
    async startProxmoxApi(stacks: readonly string[]): Promise<void> {
        const key = path.join(this.root, "api.key");
        const cert = path.join(this.root, "api.pem");
        const made = spawnSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost", "-keyout", key, "-out", cert], { encoding: "utf8" });
        if (made.status !== 0) throw new Error(made.stderr);
        const hostKey = path.join(this.root, "ssh_host_ed25519_key");
        spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", hostKey]);
        const hostKeyLine = readFileSync(`${hostKey}.pub`, "utf8").trim().split(" ").slice(0, 2).join(" ");
        this.proxmoxApi = spawn(process.execPath, [path.join(__dirname, "proxmox-agent-standin.cjs")], {
            env: { PATH: process.env.PATH, API_TOKEN: Engine.API_TOKEN, HOST_KEY_LINE: hostKeyLine, TLS_KEY: key, TLS_CERT: cert },
            stdio: ["ignore", "pipe", "inherit"],
        });
        const port = await new Promise<string>((resolve, reject) => {
            this.proxmoxApi!.stdout!.once("data", (chunk: Buffer) => resolve(chunk.toString().trim()));
            this.proxmoxApi!.once("exit", (code) => reject(new Error(`the Proxmox API stand-in exited (${code})`)));
        });
        this.env.NODE_EXTRA_CA_CERTS = cert;
        this.env.PROXMOX_VE_API_TOKEN = Engine.API_TOKEN;
        for (const stack of stacks) {
            const set = this.pulumi(["config", "set", "--stack", stack, "proxmoxve:endpoint", `https://localhost:${port}/`]);
            if (set.status !== 0) throw new Error(set.stderr);
        }
    }

    pulumi(args: readonly string[], options: { env?: NodeJS.ProcessEnv } = {}): Run {
        const started = Date.now();
        const result = spawnSync("pulumi", [...args, "--non-interactive"], {
            cwd: this.project,
            env: { ...this.env, ...options.env },
            encoding: "utf8",
            maxBuffer: 256 * 1024 * 1024,
            timeout: 15 * 60 * 1000,
        });
        return { status: result.status ?? -1, stdout: result.stdout ?? "", stderr: result.stderr ?? "", seconds: (Date.now() - started) / 1000 };
    }

    /** Writes Pulumi.<stack>.yaml in the scratch project. */
    writeStackFile(stack: string, text: string): void {
        writeFileSync(path.join(this.project, `Pulumi.${stack}.yaml`), text);
    }

    readStackFile(stack: string): string {
        return readFileSync(path.join(this.project, `Pulumi.${stack}.yaml`), "utf8");
    }

    remove(): void {
        this.proxmoxApi?.kill("SIGTERM");
        rmSync(this.root, { recursive: true, force: true });
    }
}

/** The engine's JSON events, one per line (`--json` with streaming on). */
export function eventsOf(run: Run): EngineEvent[] {
    return run.stdout
        .split("\n")
        .filter((line) => line.startsWith("{"))
        .map((line) => JSON.parse(line) as EngineEvent);
}

export interface PolicyFindings {
    /** Mandatory violations: "<policy>: <message>". */
    readonly mandatory: string[];
    /** Policies the engine could not run in preview (unknown values), with their enforcement. */
    readonly skipped: { policy: string; level: string; urn: string }[];
    readonly advisory: string[];
}

const SKIP = /^can't run policy '([^']+)'/;

export function policyFindings(events: readonly EngineEvent[]): PolicyFindings {
    const mandatory: string[] = [];
    const skipped: PolicyFindings["skipped"] = [];
    const advisory: string[] = [];
    for (const { policyEvent: p } of events.filter((e) => e.policyEvent)) {
        const skip = SKIP.exec(p.message);
        // The engine reports a skip as advisory; the policy's own level is the pack's.
        if (skip) skipped.push({ policy: skip[1], level: p.enforcementLevel, urn: p.resourceUrn ?? "" });
        else if (p.enforcementLevel === "mandatory") mandatory.push(`${p.policyName}: ${p.message.trim()}`);
        else advisory.push(`${p.policyName}: ${p.message.trim()}`);
    }
    return { mandatory, skipped, advisory };
}

/** The steps of a preview or update: op and type per URN. */
export function stepsOf(events: readonly EngineEvent[]): { op: string; urn: string; type: string }[] {
    return events
        .filter((e) => e.resourcePreEvent)
        .map((e) => ({ op: e.resourcePreEvent.metadata.op, urn: e.resourcePreEvent.metadata.urn, type: e.resourcePreEvent.metadata.type }));
}
