// cloud-init user-data for both VMs, built as data and serialised with the yaml library.
// It carries no secret: the snippet sits in plaintext on the node's storage.
import { stringify } from "yaml";

/** Where the encrypted data disk is mounted; Docker's data-root and every bind mount live below it. */
export const DATA_MOUNT = "/srv/elabftw";
export const DOCKER_DATA_ROOT = `${DATA_MOUNT}/docker`;

export interface UserDataInput {
    readonly hostname: string;
    readonly domain: string;
    readonly timezone: string;
    readonly adminUser: string;
    readonly sshKeys: readonly string[];
    readonly syslogAddress: string;
    /** http://a.b.c.d:port: apt and Docker go through it. */
    readonly httpProxy?: string;
    /** Destinations reached without the proxy. */
    readonly noProxy?: readonly string[];
}

/** Where the VMs' installed scripts and systemd units go. */
export const SCRIPT_DIR = "/usr/local/sbin";
export const UNIT_DIR = "/etc/systemd/system";

/** Debian 13 packages: the Docker engine from Debian, LUKS with TPM2 unlocking, and the tools of operations. */
export const PACKAGES = [
    "borgbackup",
    "cryptsetup",
    "curl",
    "docker.io",
    "jq",
    "nftables",
    "openssl",
    "qemu-guest-agent",
    "rsyslog",
    "systemd-cryptsetup",
    "tpm2-tools",
    "unattended-upgrades",
] as const;

function sshdHardening(adminUser: string): string {
    return [
        "# Managed by elabftw-onprem: key-only logins for the administrator, no forwarding.",
        // The one host key the program pins (read through the guest agent): offer no other.
        "HostKey /etc/ssh/ssh_host_ed25519_key",
        "PermitRootLogin no",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "AuthenticationMethods publickey",
        `AllowUsers ${adminUser}`,
        "MaxAuthTries 3",
        "LoginGraceTime 30",
        "X11Forwarding no",
        "AllowAgentForwarding no",
        "AllowTcpForwarding no",
        "PermitTunnel no",
        "ClientAliveInterval 300",
        "ClientAliveCountMax 2",
        "",
    ].join("\n");
}

function dockerDaemon(input: UserDataInput): string {
    const proxies = input.httpProxy
        ? { proxies: { "http-proxy": input.httpProxy, "https-proxy": input.httpProxy, "no-proxy": ["localhost", "127.0.0.1", ...(input.noProxy ?? [])].join(",") } }
        : {};
    return `${JSON.stringify({ "data-root": DOCKER_DATA_ROOT, "log-driver": "journald", "live-restore": true, "no-new-privileges": true, ...proxies }, null, 2)}\n`;
}

/** Docker must never start before the data disk is mounted, or it would write to the plaintext OS disk. */
function dockerWaitsForDataDisk(): string {
    return ["[Unit]", `RequiresMountsFor=${DATA_MOUNT}`, `ConditionPathIsMountPoint=${DATA_MOUNT}`, ""].join("\n");
}

function syslogForwarding(address: string): string {
    return `# Managed by elabftw-onprem: forward everything to the unit's syslog server (514/udp).\n*.* action(type="omfwd" target="${address}" port="514" protocol="udp")\n`;
}

const AUTO_UPGRADES = 'APT::Periodic::Update-Package-Lists "1";\nAPT::Periodic::Unattended-Upgrade "1";\n';

export function userData(input: UserDataInput): Record<string, unknown> {
    return {
        hostname: input.hostname,
        fqdn: `${input.hostname}.${input.domain}`,
        manage_etc_hosts: true,
        timezone: input.timezone,
        ssh_pwauth: false,
        // One fresh ed25519 host key made in the VM at first boot (any key from the image deleted);
        // its private half never leaves the VM, and the program pins its public half.
        ssh_deletekeys: true,
        ssh_genkeytypes: ["ed25519"],
        disable_root: true,
        users: [
            {
                name: input.adminUser,
                gecos: "eLabFTW administrator",
                groups: ["sudo"],
                shell: "/bin/bash",
                lock_passwd: true,
                sudo: "ALL=(ALL) NOPASSWD:ALL",
                ssh_authorized_keys: [...input.sshKeys],
            },
        ],
        ...(input.httpProxy ? { apt: { http_proxy: input.httpProxy, https_proxy: input.httpProxy } } : {}),
        package_update: true,
        package_upgrade: true,
        package_reboot_if_required: false,
        packages: [...PACKAGES],
        write_files: [
            { path: "/etc/ssh/sshd_config.d/10-elabftw-hardening.conf", permissions: "0644", content: sshdHardening(input.adminUser) },
            { path: "/etc/docker/daemon.json", permissions: "0644", content: dockerDaemon(input) },
            { path: "/etc/systemd/system/docker.service.d/10-data-disk.conf", permissions: "0644", content: dockerWaitsForDataDisk() },
            { path: "/etc/rsyslog.d/90-elabftw-forward.conf", permissions: "0644", content: syslogForwarding(input.syslogAddress) },
            { path: "/etc/apt/apt.conf.d/20auto-upgrades", permissions: "0644", content: AUTO_UPGRADES },
        ],
        // No swap at all: a swap area would hold decrypted pages in plaintext on the OS disk.
        swap: { size: 0 },
        runcmd: [
            ["systemctl", "mask", "--now", "swap.target"],
            ["systemctl", "daemon-reload"],
            ["systemctl", "restart", "ssh", "rsyslog"],
            ["systemctl", "start", "qemu-guest-agent"],
            // The docker group exists only once docker.io is installed, which happens before runcmd.
            ["usermod", "--append", "--groups", "docker", input.adminUser],
        ],
    };
}

export function renderUserData(input: UserDataInput): string {
    return `#cloud-config\n${stringify(userData(input), { lineWidth: 0 })}`;
}

/**
 * The VM's cloud-init instance-id: fixed by what identifies the VM (unit, role, VM ID), so a
 * rewritten user-data snippet or a new NIC never makes cloud-init treat a reboot as a first boot.
 * A recreated VM with the same ID starts from a blank OS disk, where any instance-id is new.
 */
export function instanceId(unit: string, role: string, vmId: number): string {
    return `elabftw-${unit}-${role}-${vmId}`;
}

/** The NoCloud meta-data snippet (Proxmox's cicustom `meta=`); cloud-init reads instance-id from it. */
export function renderMetaData(id: string, hostname: string): string {
    return stringify({ "instance-id": id, "local-hostname": hostname }, { lineWidth: 0 });
}
