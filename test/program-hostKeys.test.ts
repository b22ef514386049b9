// The real program under mocks (Pulumi.dev.yaml): every SSH channel to a VM pins the host key the
// program read from that VM through the Proxmox API, and the reader gets its token on stdin only.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import { parse } from "yaml";
import { MOCK_HOST_KEY, ProgramRun, runProgram } from "../tools/offline/mockEngine";
import { knownHostsFor } from "../tools/status/results";

let run: ProgramRun;
before(async () => {
    run = await runProgram({ overrides: { "proxmoxve:apiToken": "pulumi@pve!elabftw=00000000-1111-2222-3333-444444444444" }, secretKeys: ["proxmoxve:apiToken"] });
});

const ADDRESSES = { web: "10.20.30.10", db: "10.20.30.11" } as const;

describe("SSH host keys in the program graph", () => {
    it("gives every remote command its VM's pinned host key (62 commands, none without)", () => {
        const commands = run.ofType("command:remote:Command");
        assert.ok(commands.length > 40);
        for (const command of commands) {
            const role = command.inputs.connection.host === ADDRESSES.web ? "web" : "db";
            assert.equal(command.inputs.connection.host, ADDRESSES[role]);
            assert.equal(command.inputs.connection.hostKey, MOCK_HOST_KEY(`elabftw-${role}-host-key`), `${command.name} does not pin its VM's key`);
        }
    });

    it("runs the Docker provider's ssh with the VM's key only and StrictHostKeyChecking=yes", () => {
        for (const role of ["web", "db"] as const) {
            const provider = run.one("pulumi:providers:docker", `elabftw-${role}-docker`);
            const opts: string[] = JSON.parse(provider.inputs.sshOpts);
            const option = (name: string) => opts.filter((o, i) => opts[i - 1] === "-o" && o.startsWith(`${name}=`)).map((o) => o.slice(name.length + 1));
            assert.deepEqual(option("StrictHostKeyChecking"), ["yes"]);
            // A fixed path (the provider is configured in a first preview), which the program fills with the key it read.
            const file = `.local/state/elabftw-onprem/known_hosts/elabftw-onprem.dev.elabftw-${role}-docker`;
            assert.deepEqual(option("UserKnownHostsFile"), [`\${HOME}/${file}`]);
            assert.deepEqual(option("GlobalKnownHostsFile"), ["/dev/null"]);
            assert.equal(readFileSync(path.join(run.home, file), "utf8"), `${ADDRESSES[role]} ${MOCK_HOST_KEY(`elabftw-${role}-host-key`)}\n`);
            assert.ok(!opts.some((o) => /accept-new|StrictHostKeyChecking=no/.test(o)));
        }
    });

    it("exports both VMs' pinned lines as sshKnownHosts, in the form npm run status trusts", async () => {
        const exported = run.outputs.sshKnownHosts as Record<"web" | "db", { apply<U>(f: (v: string) => U): unknown }>;
        const line = (role: "web" | "db") => new Promise<string>((resolve) => exported[role].apply(resolve));
        const lines = { web: await line("web"), db: await line("db") };
        for (const role of ["web", "db"] as const) assert.equal(lines[role], `${ADDRESSES[role]} ${MOCK_HOST_KEY(`elabftw-${role}-host-key`)}`);
        assert.equal(knownHostsFor(lines, [ADDRESSES.web, ADDRESSES.db]), `${lines.web}\n${lines.db}\n`);
    });

    it("reads each key after the VM exists, with the API token on stdin (secret), never in the command", () => {
        for (const role of ["web", "db"] as const) {
            const reader = run.one("command:local:Command", `elabftw-${role}-host-key`);
            assert.deepEqual(reader.secretInputs, ["stdin"]);
            assert.equal(JSON.parse(reader.inputs.stdin).apiToken, "pulumi@pve!elabftw=00000000-1111-2222-3333-444444444444");
            assert.ok(!reader.inputs.create.includes("00000000-1111"));
            assert.ok(reader.dependencies.includes(run.one("proxmoxve:index/vmLegacy:VmLegacy", `elabftw-${role}`).urn));
        }
    });

    it("lets the VM make its only host key itself: the snippet holds no host key, sshd offers ed25519 alone", () => {
        // The user-data snippets (the meta-data snippets beside them carry only the instance-id).
        const userDataSnippets = run.ofType("proxmoxve:index/fileLegacy:FileLegacy").filter((s) => String(s.inputs.sourceRaw.data).startsWith("#cloud-config"));
        assert.equal(userDataSnippets.length, 2);
        for (const snippet of userDataSnippets) {
            const userData = parse(snippet.inputs.sourceRaw.data);
            assert.equal(userData.ssh_keys, undefined);
            assert.deepEqual(userData.ssh_genkeytypes, ["ed25519"]);
            assert.equal(userData.ssh_deletekeys, true);
            const sshd = userData.write_files.find((f: { path: string }) => f.path.startsWith("/etc/ssh/sshd_config.d/")).content;
            assert.deepEqual(sshd.split("\n").filter((l: string) => l.startsWith("HostKey")), ["HostKey /etc/ssh/ssh_host_ed25519_key"]);
            assert.doesNotMatch(snippet.inputs.sourceRaw.data, /PRIVATE KEY/);
        }
    });
});

describe("LUKS header escrow in the program graph", () => {
    it("backs up each data disk's header after its vTPM enrolment, as a secret kept out of the log", async () => {
        for (const role of ["web", "db"] as const) {
            const backup = run.one("command:remote:Command", `elabftw-${role}-data-luks-header-backup`);
            assert.ok(backup.additionalSecretOutputs.includes("stdout"));
            assert.equal(backup.inputs.logging, "stderr");
            assert.match(backup.inputs.create, /luks-header-backup\.sh.*--device/s);
            assert.ok(backup.dependencies.includes(run.one("command:remote:Command", `elabftw-${role}-data-luks-format`).urn));
        }
        const output = run.outputs.luksHeaderBackups as { isSecret: Promise<boolean> };
        assert.equal(await output.isSecret, true);
    });
});
