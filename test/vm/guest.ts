// The machinery of the VM test: a network namespace standing for the unit's networks (the guest's
// gateway, the admin network the test connects from, the syslog server and the Borg host are
// addresses on one bridge in it, so the guest reaches nothing outside), swtpm as the vTPM, QEMU
// with OVMF Secure Boot, and SSH. Every process is a direct child, killed by its PID.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

export const OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.ms.fd";
/** Microsoft's and Debian's keys enrolled: Secure Boot on. */
export const OVMF_VARS_SECURE = "/usr/share/OVMF/OVMF_VARS_4M.ms.fd";
/** No keys enrolled: Secure Boot off, so PCR 7 measures another state. */
export const OVMF_VARS_NO_KEYS = "/usr/share/OVMF/OVMF_VARS_4M.fd";

export function run(command: string, args: string[], options: { input?: string; timeoutMs?: number } = {}): { status: number; stdout: string; stderr: string } {
    const result = spawnSync(command, args, { input: options.input, encoding: "utf8", timeout: options.timeoutMs ?? 60_000, maxBuffer: 64 << 20 });
    return { status: result.status ?? -1, stdout: result.stdout ?? "", stderr: `${result.stderr ?? ""}${result.error ? String(result.error) : ""}` };
}

function must(command: string, args: string[], input?: string): string {
    const result = run(command, args, { input });
    if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed (${result.status}): ${result.stderr}`);
    return result.stdout;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Kills what was started, by PID, and waits for it to go (SIGKILL after 10 s). */
export async function stop(child: ChildProcess | undefined): Promise<void> {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    if (!(await waitForExit(child, 10_000))) {
        child.kill("SIGKILL");
        await waitForExit(child, 60_000);
    }
}

/** Waits up to `ms` for a child to exit by itself (a guest's poweroff); false when it did not. */
export async function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
    if (child.exitCode !== null || child.signalCode !== null) return true;
    // The timer is cleared when the child exits: left pending, it kept the test process alive for the
    // rest of its 300 s after the last test (about 3.6 minutes of every run).
    return new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), ms);
        child.once("exit", () => {
            clearTimeout(timer);
            resolve(true);
        });
    });
}

export class Netns {
    readonly name = `elabvm-${process.pid}`;
    private readonly children: ChildProcess[] = [];

    /** A bridge holding the gateway and every host-side address; `tap` is QEMU's port on it. */
    constructor(readonly addresses: { cidr: string }[], readonly tap = "tapvm0") {
        must("ip", ["netns", "add", this.name]);
        const inside = (...args: string[]) => must("ip", ["-n", this.name, ...args]);
        inside("link", "set", "lo", "up");
        inside("link", "add", "br0", "type", "bridge");
        inside("tuntap", "add", "dev", tap, "mode", "tap");
        inside("link", "set", tap, "master", "br0");
        for (const { cidr } of addresses) inside("address", "add", cidr, "dev", "br0");
        inside("link", "set", "br0", "up");
        inside("link", "set", tap, "up");
    }

    /** Starts a long-lived process inside the namespace (nsenter execs it: the PID is the program's). */
    start(command: string, args: string[], log?: string): ChildProcess {
        const child = spawn("nsenter", [`--net=/run/netns/${this.name}`, "--", command, ...args], { stdio: ["ignore", "pipe", "pipe"] });
        if (log) {
            child.stdout?.on("data", (chunk) => writeFileSync(log, chunk, { flag: "a" }));
            child.stderr?.on("data", (chunk) => writeFileSync(log, chunk, { flag: "a" }));
        }
        this.children.push(child);
        return child;
    }

    exec(command: string, args: string[], options: { input?: string; timeoutMs?: number } = {}) {
        return run("nsenter", [`--net=/run/netns/${this.name}`, "--", command, ...args], options);
    }

    async destroy(): Promise<void> {
        for (const child of this.children.reverse()) await stop(child);
        run("ip", ["netns", "delete", this.name]);
    }
}

/** A vTPM whose state lives in `directory` (absolute: swtpm fails on relative paths once started). */
export function createTpmState(directory: string): void {
    mkdirSync(directory, { recursive: true });
    must("swtpm_setup", ["--tpm2", "--tpmstate", path.resolve(directory), "--createek", "--create-ek-cert", "--create-platform-cert", "--overwrite"]);
}

export interface BootOptions {
    readonly directory: string;
    readonly tpmState: string;
    readonly vars: string;
    readonly osDisk: string;
    readonly dataDisk: string;
    readonly dataSerial: string;
    readonly seed: string;
    readonly mac: string;
}

/** Powers the VM on: swtpm, then QEMU (q35 with SMM, secure pflash, TCG), both children of `netns`. */
export async function powerOn(netns: Netns, options: BootOptions): Promise<{ qemu: ChildProcess; swtpm: ChildProcess; console: string }> {
    const socket = path.resolve(options.directory, "swtpm.sock");
    const swtpm = netns.start("swtpm", ["socket", "--tpm2", "--tpmstate", `dir=${path.resolve(options.tpmState)}`, "--ctrl", `type=unixio,path=${socket}`, "--flags", "startup-clear"], path.join(options.directory, "swtpm.log"));
    for (let i = 0; i < 50 && !existsSync(socket); i++) await sleep(100);
    if (!existsSync(socket)) throw new Error("swtpm did not create its socket");
    const console = path.join(options.directory, `console-${Date.now()}.log`);
    const qemu = netns.start("qemu-system-x86_64", [
        "-machine", "q35,smm=on", "-accel", "tcg", "-cpu", "max", "-smp", "2", "-m", "2048", "-nodefaults", "-display", "none", "-no-user-config",
        "-global", "driver=cfi.pflash01,property=secure,value=on",
        "-drive", `if=pflash,format=raw,unit=0,readonly=on,file=${OVMF_CODE}`,
        "-drive", `if=pflash,format=raw,unit=1,file=${options.vars}`,
        "-chardev", `socket,id=chrtpm,path=${socket}`, "-tpmdev", "emulator,id=tpm0,chardev=chrtpm", "-device", "tpm-tis,tpmdev=tpm0",
        // As on Proxmox (scsihw virtio-scsi-single): the serial gives /dev/disk/by-id/scsi-0QEMU_QEMU_HARDDISK_<serial>.
        "-device", "virtio-scsi-pci,id=scsi0",
        "-drive", `if=none,id=os,format=qcow2,file=${options.osDisk}`, "-device", "scsi-hd,drive=os,bus=scsi0.0,bootindex=0",
        "-drive", `if=none,id=data,format=raw,file=${options.dataDisk}`, "-device", `scsi-hd,drive=data,bus=scsi0.0,serial=${options.dataSerial}`,
        "-drive", `if=none,id=seed,format=raw,readonly=on,file=${options.seed}`, "-device", "virtio-blk-pci,drive=seed",
        "-netdev", `tap,id=net0,ifname=${netns.tap},script=no,downscript=no`, "-device", `virtio-net-pci,netdev=net0,mac=${options.mac}`,
        // Proxmox's agent channel (agent enabled): the user-data starts qemu-guest-agent, which waits for it.
        "-chardev", `socket,id=qga0,path=${path.resolve(options.directory, "qga.sock")},server=on,wait=off`,
        "-device", "virtio-serial-pci", "-device", "virtserialport,chardev=qga0,name=org.qemu.guest_agent.0",
        "-serial", `file:${console}`,
    ], path.join(options.directory, "qemu.log"));
    return { qemu, swtpm, console };
}

/** Powers off hard (the test's boots are disposable) and waits until both processes are gone. */
export async function powerOff(machine: { qemu: ChildProcess; swtpm: ChildProcess } | undefined): Promise<void> {
    if (!machine) return;
    await stop(machine.qemu);
    await stop(machine.swtpm);
}

export function copyVars(from: string, to: string): string {
    copyFileSync(from, to);
    return to;
}

/** OpenSSH's messages for a connection lost before the key exchange ended (no remote command started). */
export const PRE_AUTH_FAILURE = /connect to host .*(refused|timed out)|kex_exchange_identification:/;

export class Ssh {
    constructor(readonly netns: Netns, readonly key: string, readonly target: string, readonly source: string) {}

    private args(command: string, connectTimeout = 10): string[] {
        return ["-i", this.key, "-b", this.source, "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
            "-o", "LogLevel=ERROR", "-o", `ConnectTimeout=${connectTimeout}`, "-o", "ServerAliveInterval=15", this.target, command];
    }

    /** Runs one command string as the Command provider does: the string is the remote shell's command. */
    run(command: string, options: { input?: string; timeoutMs?: number } = {}) {
        // Like the provider's dial retries (dialErrorLimit): a connection refused, timed out or cut
        // during the key exchange (cloud-init's runcmd restarts sshd on the first boot; CI once hit
        // "kex_exchange_identification: read: Connection reset by peer") is retried. Each of these
        // fails before authentication, so the command never ran; a command that ran is never retried.
        for (let attempt = 1; ; attempt++) {
            const result = this.netns.exec("ssh", this.args(command), { input: options.input ?? "", timeoutMs: options.timeoutMs ?? 300_000 });
            if (result.status !== 255 || !PRE_AUTH_FAILURE.test(result.stderr) || attempt === 10) return result;
            spawnSync("sleep", ["5"]);
        }
    }

    must(command: string, options: { input?: string; timeoutMs?: number } = {}): string {
        const result = this.run(command, options);
        if (result.status !== 0) throw new Error(`over SSH, exit ${result.status}: ${command.slice(0, 120)}\n${result.stdout}\n${result.stderr}`);
        return result.stdout;
    }

    /**
     * Waits until SSH answers with a boot id other than `previousBootId`; returns it. `failed` is asked
     * between attempts: a reason it returns ends the wait at once (a guest that panicked never answers).
     */
    async waitForBoot(previousBootId: string | undefined, timeoutMs: number, failed: () => string | undefined = () => undefined): Promise<string> {
        const deadline = Date.now() + timeoutMs;
        while (Date.now() < deadline) {
            const reason = failed();
            if (reason) throw new GuestPanic(reason);
            const result = this.netns.exec("ssh", this.args("cat /proc/sys/kernel/random/boot_id", 5), { timeoutMs: 20_000 });
            const bootId = result.stdout.trim();
            if (result.status === 0 && bootId && bootId !== previousBootId) return bootId;
            await sleep(3_000);
        }
        throw new Error(`no SSH on ${this.target} within ${timeoutMs / 1000} s`);
    }
}

/** The guest's kernel panicked while booting: nothing will answer. */
export class GuestPanic extends Error {}

/**
 * The panic line of a serial console log, if the kernel panicked. Under TCG a guest kernel has been
 * seen to oops in its own early boot (int3 in sched_clock_cpu, 2.5 s after start, before any of the
 * program's code runs), once in several dozen boots.
 */
export function kernelPanic(consoleLog: string): string | undefined {
    if (!existsSync(consoleLog)) return undefined;
    return /^.*Kernel panic - not syncing.*$/m.exec(readFileSync(consoleLog, "utf8"))?.[0].trim();
}

/** The NoCloud seed as Proxmox writes it (user-data, meta-data, network-config v1), on a CIDATA FAT disk. */
export function makeSeed(file: string, files: Record<string, string>): void {
    const directory = `${file}.d`;
    mkdirSync(directory, { recursive: true });
    must("mkfs.vfat", ["-C", "-n", "CIDATA", file, "2048"]);
    for (const [name, content] of Object.entries(files)) {
        writeFileSync(path.join(directory, name), content);
        must("mcopy", ["-i", file, path.join(directory, name), `::/${name}`]);
    }
}

/** The Borg host's SSH host key, made before the plan: the program pins its public half (backupHostKey). */
export function makeBorgHostKey(directory: string): string {
    mkdirSync(directory, { recursive: true });
    must("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "root@backup", "-f", path.join(directory, "host_key")]);
    return readFileSync(path.join(directory, "host_key.pub"), "utf8").trim();
}

/**
 * The Borg host: OpenSSH's sshd on the filer's address, in a private mount namespace whose
 * /etc/passwd adds the repository's user (the host's own accounts are untouched); `borg serve` is
 * the host's Borg. authorized_keys holds the program's own line for the VM's key (forced append-only
 * `borg serve`, restricted to its repository), as the backup host's administrator installs it.
 */
export function startBorgHost(netns: Netns, directory: string, options: { address: string; port: number; user: string; authorizedKey: string }): ChildProcess {
    const home = path.resolve(directory, "home");
    mkdirSync(home, { recursive: true });
    const uid = "64123";
    writeFileSync(path.join(directory, "passwd"), `${must("cat", ["/etc/passwd"])}${options.user}:x:${uid}:${uid}:Borg repositories:${home}:/bin/sh\n`);
    // sshd reads the key file as the user: it lives in the user's home, and the folders above it
    // (mkdtemp's 0700) must let that user through.
    writeFileSync(path.join(home, "authorized_keys"), `${options.authorizedKey}\n`);
    for (let folder = path.resolve(directory); folder !== tmpdir() && folder !== "/"; folder = path.dirname(folder)) chmodSync(folder, 0o711);
    writeFileSync(path.join(directory, "sshd_config"), [
        `ListenAddress ${options.address}:${options.port}`, `HostKey ${path.resolve(directory, "host_key")}`, "PidFile none", "UsePAM no",
        `AuthorizedKeysFile ${path.join(home, "authorized_keys")}`, "StrictModes no", `AllowUsers ${options.user}`, "PasswordAuthentication no", "",
    ].join("\n"));
    mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
    const passwd = path.resolve(directory, "passwd");
    return netns.start("unshare", ["--mount", "--propagation", "private", "sh", "-c",
        `mount --bind "$1" /etc/passwd && chown -R ${uid}:${uid} "$2" && exec /usr/sbin/sshd -D -e -f "$3"`, "sh", passwd, home, path.resolve(directory, "sshd_config")],
    path.join(directory, "sshd.log"));
}

/** A UDP syslog listener on `address`:514, appending what it receives to `file`. */
export function startSyslog(netns: Netns, address: string, file: string): ChildProcess {
    return netns.start("socat", ["-u", `UDP4-RECV:514,bind=${address}`, `OPEN:${file},creat,append`]);
}
