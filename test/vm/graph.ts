// What the VM test takes from the program: the web VM's rendered user-data, its network settings,
// its data disk's serial, and the remote commands that run on it, from the dev stack's graph under
// the offline engine, in dependency order. Nothing here is rewritten: the test follows the program.
import { runProgram, valueOf, type CapturedResource } from "../../tools/offline/mockEngine";

export interface RemoteStep {
    readonly name: string;
    readonly create: string;
    readonly stdin?: string;
}

export interface GuestPlan {
    readonly userData: string;
    readonly hostname: string;
    readonly address: string;
    readonly prefixLength: number;
    readonly gateway: string;
    readonly dnsServers: readonly string[];
    readonly dnsDomain: string;
    readonly adminUser: string;
    readonly dataSerial: string;
    readonly syslogAddress: string;
    readonly steps: readonly RemoteStep[];
    readonly recoveryPassphrase: string;
    /** The Borg repository (ssh://user@host:port/path) and the line the program gives the backup host for the VM's key (append-only). */
    readonly backupTarget: string;
    readonly backupAuthorizedKey: string;
}

const COMMAND = "command:remote:Command";
const VM = "proxmoxve:index/vmLegacy:VmLegacy";

/** Commands on `host` in dependency order, leaving out those that need a container (no registry here). */
export function stepsFor(resources: readonly CapturedResource[], host: string): RemoteStep[] {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const needsContainer = (r: CapturedResource, seen = new Set<string>()): boolean =>
        r.type.startsWith("docker:") ||
        r.dependencies.some((urn) => !seen.has(urn) && (seen.add(urn), byUrn.has(urn)) && needsContainer(byUrn.get(urn)!, seen));
    const wanted = resources.filter((r) => r.type === COMMAND && r.inputs.connection?.host === host && !needsContainer(r));
    const ordered: CapturedResource[] = [];
    const visit = (r: CapturedResource) => {
        if (ordered.includes(r)) return;
        for (const urn of r.dependencies) {
            const dependency = byUrn.get(urn);
            if (dependency && wanted.includes(dependency)) visit(dependency);
        }
        ordered.push(r);
    };
    wanted.forEach(visit);
    return ordered.map((r) => ({ name: r.name, create: String(r.inputs.create), ...(r.inputs.stdin !== undefined ? { stdin: String(r.inputs.stdin) } : {}) }));
}

/**
 * The web VM's plan, with the test's own public key as the administrator's key and the test's Borg
 * host's key as the pinned backupHostKey (the program's known_hosts then names the host the test runs).
 */
export async function webGuestPlan(adminPublicKey: string, backupHostKey: string): Promise<GuestPlan> {
    const run = await runProgram({ overrides: { "elabftw-onprem:adminSshKeys": JSON.stringify([adminPublicKey]), "elabftw-onprem:backupHostKey": backupHostKey } });
    const vm = run.one(VM, "elabftw-web");
    const init = vm.inputs.initialization;
    const [address, prefix] = String(init.ipConfigs[0].ipv4.address).split("/");
    const dataDisk = (vm.inputs.disks as { serial?: string }[]).find((disk) => disk.serial);
    if (!dataDisk?.serial) throw new Error("the web VM has no data disk with a serial");
    const userData = String(run.one("proxmoxve:index/fileLegacy:FileLegacy", "elabftw-web-user-data").inputs.sourceRaw.data);
    const recovery = (await valueOf(run.outputs.luksRecoveryPassphrases as any)) as Record<string, string>;
    const authorizedKeys = (await valueOf(run.outputs.backupAuthorizedKeys as any)) as Record<string, string>;
    const borgEnv = run.one(COMMAND, "elabftw-backup-web-borg-env").inputs.stdin as string;
    // borg.env quotes its values (BORG_REPO='ssh://...').
    const repo = /^BORG_REPO='?([^'\s]+)'?$/m.exec(borgEnv)?.[1];
    if (!authorizedKeys?.web || !repo) throw new Error("the web VM's Borg authorized_keys line or repository is missing from the graph");
    const syslog = /target="([^"]+)"/.exec(userData)?.[1];
    if (!syslog) throw new Error("no syslog forwarding target in the web VM's user-data");
    return {
        userData,
        hostname: /^hostname: (\S+)$/m.exec(userData)![1],
        address,
        prefixLength: Number(prefix),
        gateway: init.ipConfigs[0].ipv4.gateway,
        dnsServers: init.dns.servers,
        dnsDomain: init.dns.domain,
        adminUser: vm.inputs.initialization.userAccount?.username ?? run.one(COMMAND, "elabftw-web-cloud-init").inputs.connection.user,
        dataSerial: dataDisk.serial,
        syslogAddress: syslog,
        steps: stepsFor(run.resources, address),
        recoveryPassphrase: recovery.web ?? Object.values(recovery)[0],
        backupTarget: repo,
        backupAuthorizedKey: authorizedKeys.web,
    };
}
