// SSH host keys, for real: an OpenSSH server in a network namespace answers with a key the program
// did not read, and the ssh client run with the Docker provider's options (dockerSshOpts) refuses it
// before authenticating or sending a byte of stdin; the VM's own key is accepted. Then the host-key
// reader (local/read-host-key.cjs) against a stand-in for the Proxmox API's agent/file-read endpoint
// (no Proxmox here): it reproduces the endpoint's answers as qemu-server's API2/Qemu/Agent.pm gives
// them (500 while the agent is down or the file is absent, 403 without the privilege, 200 with
// {"data":{"content":...}}), over HTTPS with a certificate the reader must verify.
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, Server } from "node:https";
import { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { dockerSshOpts, FIRST_BOOT_DONE_FILE, HOST_KEY_FILE, knownHostsLine, pinnedKnownHostsFile, readHostKeyCommand, writePinnedKnownHosts } from "../components/vm/hostKey";

const dir = mkdtempSync(path.join(tmpdir(), "elabftw-hostkey-"));
const NETNS = `trust-ssh-${process.pid}`;
const SECRET = "LUKS-recovery-passphrase-that-must-not-travel";

const run = (command: string, args: string[], input = "") => spawnSync(command, args, { input, encoding: "utf8", timeout: 30_000 });
function keygen(name: string): { file: string; publicKey: string } {
    const file = path.join(dir, name);
    assert.equal(run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", file]).status, 0);
    const [type, blob] = readFileSync(`${file}.pub`, "utf8").trim().split(" ");
    return { file, publicKey: `${type} ${blob}` };
}

describe("pinned host key against a real sshd (network namespace)", () => {
    let sshd: ReturnType<typeof spawn>;
    let vmKey: ReturnType<typeof keygen>, impostorKey: ReturnType<typeof keygen>, clientKey: ReturnType<typeof keygen>;
    const address = "127.0.0.1";
    const home = path.join(dir, "home");
    const inNetns = (command: string[], input = "") => run("nsenter", [`--net=/run/netns/${NETNS}`, ...command], input);

    before(async () => {
        vmKey = keygen("vm-host-key");
        impostorKey = keygen("impostor-host-key");
        clientKey = keygen("admin-key");
        assert.equal(run("ip", ["netns", "add", NETNS]).status, 0);
        assert.equal(inNetns(["ip", "link", "set", "lo", "up"]).status, 0);
        run("mkdir", ["-p", "/run/sshd", path.join(home, ".ssh")]);
        writeFileSync(path.join(dir, "authorized_keys"), `${readFileSync(`${clientKey.file}.pub`, "utf8")}`);
        // The operator's own known_hosts already trusts the impostor: pinning must not read it.
        writeFileSync(path.join(home, ".ssh", "known_hosts"), `${address} ${impostorKey.publicKey}\n`);
    });

    after(() => {
        sshd?.kill();
        run("ip", ["netns", "del", NETNS]);
    });

    async function startSshd(hostKeyFile: string) {
        sshd?.kill();
        const config = path.join(dir, "sshd_config");
        writeFileSync(
            config,
            [`ListenAddress ${address}`, "Port 22", `HostKey ${hostKeyFile}`, `AuthorizedKeysFile ${path.join(dir, "authorized_keys")}`,
                "PermitRootLogin prohibit-password", "PasswordAuthentication no", "UsePAM no", "StrictModes no", `PidFile ${path.join(dir, "sshd.pid")}`, ""].join("\n"),
        );
        chmodSync(hostKeyFile, 0o600);
        writeFileSync(path.join(dir, "sshd.log"), "");
        sshd = spawn("nsenter", [`--net=/run/netns/${NETNS}`, "/usr/sbin/sshd", "-D", "-e", "-f", config], { stdio: ["ignore", "ignore", "pipe"] });
        sshd.stderr!.on("data", (chunk) => writeFileSync(path.join(dir, "sshd.log"), chunk, { flag: "a" }));
        for (let i = 0; i < 50 && !readFileSync(path.join(dir, "sshd.log"), "utf8").includes("Server listening"); i++) await new Promise((r) => setTimeout(r, 100));
        assert.match(readFileSync(path.join(dir, "sshd.log"), "utf8"), /Server listening/);
    }

    /**
     * What the Docker provider runs (`ssh <sshOpts> -- user@host <command>`), with a secret on stdin,
     * after the program wrote the pinned key where the options point (ssh expands their ${HOME}).
     */
    function dockerStyleSsh(pinned: string, marker: string) {
        const file = pinnedKnownHostsFile("elabftw-onprem", "dev", "web-docker");
        writePinnedKnownHosts(file, knownHostsLine(address, pinned), home);
        const args = [...dockerSshOpts(file), "-i", clientKey.file, "-l", "root", "--", address, `cat > ${marker}`];
        return run("env", [`HOME=${home}`, "nsenter", `--net=/run/netns/${NETNS}`, "ssh", ...args], SECRET);
    }

    it("refuses a server that presents another key, before authenticating or sending stdin", async () => {
        await startSshd(impostorKey.file);
        const marker = path.join(dir, "received-by-impostor");
        const result = dockerStyleSsh(vmKey.publicKey, marker);
        assert.equal(result.status, 255, result.stderr);
        assert.match(result.stderr, /Host key verification failed/);
        assert.equal(existsSync(marker), false, "the impostor received stdin");
        // The server never saw a login attempt: the client stopped at the key exchange.
        assert.doesNotMatch(readFileSync(path.join(dir, "sshd.log"), "utf8"), /Accepted publickey|Failed publickey|Postponed/);
    });

    it("accepts the VM's own key and delivers stdin (the same check passes when it should)", async () => {
        await startSshd(vmKey.file);
        const marker = path.join(dir, "received-by-vm");
        const result = dockerStyleSsh(vmKey.publicKey, marker);
        assert.equal(result.status, 0, result.stderr);
        assert.equal(readFileSync(marker, "utf8"), SECRET);
    });

    it("builds a known_hosts line only from an IPv4 address and one ed25519 key", () => {
        assert.equal(knownHostsLine("10.0.0.5", vmKey.publicKey), `10.0.0.5 ${vmKey.publicKey}`);
        assert.throws(() => knownHostsLine("10.0.0.5", `${vmKey.publicKey}\n10.0.0.5 ${impostorKey.publicKey}`));
        assert.throws(() => knownHostsLine("* ", vmKey.publicKey));
        assert.throws(() => knownHostsLine("10.0.0.5", "ssh-rsa AAAA%h"));
    });

    it("keeps each stack's pinned keys in a file of its own under $HOME, named only from safe words", () => {
        const file = pinnedKnownHostsFile("elabftw-onprem", "prod", "elabftw-db-docker");
        assert.equal(file, "${HOME}/.local/state/elabftw-onprem/known_hosts/elabftw-onprem.prod.elabftw-db-docker");
        assert.throws(() => pinnedKnownHostsFile("elabftw-onprem", "../x", "vm"), /stack/);
        assert.throws(() => writePinnedKnownHosts(file, "x", "relative/home"), /HOME/);
        writePinnedKnownHosts(file, knownHostsLine("10.0.0.5", vmKey.publicKey), home);
        writePinnedKnownHosts(file, knownHostsLine("10.0.0.5", impostorKey.publicKey), home);
        const written = path.join(home, ".local/state/elabftw-onprem/known_hosts/elabftw-onprem.prod.elabftw-db-docker");
        // A rebuilt VM's new key replaces the old one: never two trusted keys for one address.
        assert.equal(readFileSync(written, "utf8"), `10.0.0.5 ${impostorKey.publicKey}\n`);
    });
});

describe("read-host-key.cjs against a stand-in Proxmox API", () => {
    let server: Server;
    let endpoint: string;
    const calls: { url: string; authorization?: string }[] = [];
    const TOKEN = "pulumi@pve!elabftw=11111111-2222-3333-4444-555555555555";
    let agentDownFor = 0;
    let content = "";
    let readyAfter = 0;
    let status = 200;

    before(async () => {
        const key = path.join(dir, "api.key");
        const cert = path.join(dir, "api.pem");
        const made = run("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost", "-keyout", key, "-out", cert]);
        assert.equal(made.status, 0, made.stderr);
        server = createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (request, response) => {
            calls.push({ url: request.url!, authorization: request.headers.authorization });
            const file = new URL(request.url!, "https://x").searchParams.get("file");
            const send = (code: number, message: string, body: unknown) => {
                response.writeHead(code, message, { "Content-Type": "application/json" });
                response.end(JSON.stringify(body));
            };
            if (request.headers.authorization !== `PVEAPIToken=${TOKEN}` || status === 403) return send(403, "Permission check failed", { data: null });
            if (calls.length <= agentDownFor) return send(500, "QEMU guest agent is not running", { data: null });
            if (file === FIRST_BOOT_DONE_FILE && calls.length <= readyAfter) return send(500, "can't open file - No such file or directory", { data: null });
            send(200, "OK", { data: { content: file === HOST_KEY_FILE ? content : "boot finished\n", "bytes-read": 1 } });
        });
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        endpoint = `https://localhost:${(server.address() as AddressInfo).port}/`;
        process.env.TRUST_TEST_CA = cert;
    });
    after(() => server.close());

    /** The workstation command the program runs, with its JSON on stdin; the CA of the stand-in is trusted. */
    function readKey(input: Record<string, unknown>, env: Record<string, string> = {}) {
        calls.length = 0;
        const stdin = JSON.stringify({ node: "pve1", vmId: 2101, file: HOST_KEY_FILE, readyFile: FIRST_BOOT_DONE_FILE, endpoint, retrySeconds: 0.05, timeoutSeconds: 5, ...input });
        return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
            const child = spawn("/bin/sh", ["-c", readHostKeyCommand()], { env: { PATH: process.env.PATH!, NODE_EXTRA_CA_CERTS: process.env.TRUST_TEST_CA!, ...env } });
            let stdout = "", stderr = "";
            child.stdout.on("data", (c) => (stdout += c));
            child.stderr.on("data", (c) => (stderr += c));
            child.on("close", (code) => resolve({ status: code, stdout, stderr }));
            child.stdin.end(stdin);
        });
    }
    const vmKey = () => keygen(`api-vm-${calls.length}-${Date.now()}`);

    it("waits for the guest agent and the end of the first boot, then prints the key without its comment", async () => {
        const key = vmKey();
        content = `${key.publicKey} root@elabftw-web\n`;
        agentDownFor = 3;
        readyAfter = 5;
        status = 200;
        const result = await readKey({ apiToken: TOKEN });
        assert.equal(result.status, 0, result.stderr);
        assert.equal(result.stdout, key.publicKey);
        const files = calls.map((c) => new URL(c.url, "https://x").searchParams.get("file"));
        assert.deepEqual(files.slice(-2), [FIRST_BOOT_DONE_FILE, HOST_KEY_FILE]);
        assert.ok(calls.every((c) => c.url.startsWith("/api2/json/nodes/pve1/qemu/2101/agent/file-read?")));
    });

    it("takes the token from PROXMOX_VE_API_TOKEN like the provider, never from argv", async () => {
        content = `${vmKey().publicKey}\n`;
        agentDownFor = 0;
        readyAfter = 0;
        const result = await readKey({}, { PROXMOX_VE_API_TOKEN: TOKEN });
        assert.equal(result.status, 0, result.stderr);
        // The token reached the API in the header; the command line is fixed text that takes no argument.
        assert.ok(calls.length > 0 && calls.every((c) => c.authorization === `PVEAPIToken=${TOKEN}`));
    });

    it("stops at once, naming the privilege, when the token may not read through the agent", async () => {
        status = 403;
        const result = await readKey({ apiToken: TOKEN });
        status = 200;
        assert.equal(result.status, 1);
        assert.match(result.stderr, /VM\.GuestAgent\.FileRead on \/vms\/2101/);
        assert.equal(calls.length, 1);
        assert.ok(!result.stderr.includes(TOKEN.split("=")[1]));
    });

    it("refuses to pin anything but exactly one ed25519 key", async () => {
        for (const bad of [`${vmKey().publicKey}\n${vmKey().publicKey}\n`, "ssh-rsa AAAAB3NzaC1yc2E= root@x\n", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 truncated\n", ""]) {
            content = bad;
            const result = await readKey({ apiToken: TOKEN });
            assert.equal(result.status, 1, `accepted ${JSON.stringify(bad)}`);
            assert.match(result.stderr, /is not one ssh-ed25519 public key: refusing to pin it/);
        }
    });

    it("does not trust an API certificate it cannot verify (unless the provider is told insecure)", async () => {
        content = `${vmKey().publicKey}\n`;
        const result = await readKey({ apiToken: TOKEN, timeoutSeconds: 0.3 }, { NODE_EXTRA_CA_CERTS: "" });
        assert.equal(result.status, 1);
        assert.match(result.stderr, /gave up waiting .* \(last answer: 0 .*certificate/);
        assert.equal(calls.length, 0, "a request reached the server over an unverified connection");
    });

    it("never echoes its input when it is not JSON", async () => {
        const child = spawnSync("/bin/sh", ["-c", readHostKeyCommand()], { input: `{"apiToken":"${TOKEN}"`, encoding: "utf8" });
        assert.equal(child.status, 1);
        assert.ok(!child.stderr.includes("pulumi@pve"), child.stderr);
    });
});
