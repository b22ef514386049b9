// What the dossier states about the deployment, decided from the resources the program registers
// (their types and inputs), never from the config or a substring of a script.
import type { CapturedResource } from "../offline/mockEngine";

export type Resources = readonly CapturedResource[];

export const TYPES = {
    vm: "proxmoxve:index/vmLegacy:VmLegacy",
    command: "command:remote:Command",
    alias: "proxmoxve:firewall/aliasLegacy:AliasLegacy",
    ipset: "proxmoxve:firewall/ipsetLegacy:IpsetLegacy",
    rules: "proxmoxve:firewall/rulesLegacy:RulesLegacy",
    options: "proxmoxve:firewall/optionsLegacy:OptionsLegacy",
    clusterFirewall: "proxmoxve:cluster/firewallLegacy:FirewallLegacy",
    container: "docker:index/container:Container",
    dockerProvider: "pulumi:providers:docker",
    handOff: "elabftw:firewall:EdgeHandOff",
    settings: "elabftw:app:ElabftwSettings",
} as const;

export const of = (resources: Resources, type: string) => resources.filter((r) => r.type === type);
export const vms = (resources: Resources) => of(resources, TYPES.vm);
export const vmAddress = (vm: CapturedResource): string => String(vm.inputs.initialization?.ipConfigs?.[0]?.ipv4?.address ?? "").split("/")[0];
export const vmRole = (vm: CapturedResource): "web" | "db" => ((vm.inputs.tags ?? []) as string[]).includes("db") || String(vm.name).endsWith("-db") ? "db" : "web";
export const roleTitle = (role: "web" | "db") => (role === "db" ? "the MySQL VM" : "the eLabFTW VM");
export const onHost = (resources: Resources, address: string) => of(resources, TYPES.command).filter((c) => c.inputs.connection?.host === address);

/** The text after the script a command sends: its own command line ("luks-format.sh --device ..."). */
const invocation = (command: CapturedResource) => {
    const create = String(command.inputs.create ?? "");
    return create.slice(create.lastIndexOf("'") + 1).trim();
};

export interface DataDiskEncryption {
    /** The command that formats the data disk with LUKS2, when the program does so inside the VM. */
    readonly luksBy?: string;
    /** The VM boots with a vTPM that unlocks the disk. */
    readonly tpm: boolean;
    /** Every datastore the VM's volumes sit on. */
    readonly datastores: readonly string[];
}

/** The data disk (not scsi0) is LUKS-formatted by a command that runs luks-format.sh on that disk's device and opened through crypttab. */
export function dataDiskEncryption(resources: Resources, vm: CapturedResource): DataDiskEncryption {
    const disks = (vm.inputs.disks ?? []) as { interface?: string; serial?: string; datastoreId?: string }[];
    const serial = disks.find((d) => d.interface !== "scsi0" && d.serial)?.serial;
    const device = serial && `/dev/disk/by-id/scsi-0QEMU_QEMU_HARDDISK_${serial}`;
    const commands = onHost(resources, vmAddress(vm));
    const formatting = device ? commands.find((c) => invocation(c).startsWith(`luks-format.sh --device ${device} `)) : undefined;
    const opened = device ? commands.some((c) => invocation(c).startsWith(`data-disk-mount.sh --device ${device} `) && invocation(c).includes("--luks-name ")) : false;
    const datastores = [...disks.map((d) => d.datastoreId), vm.inputs.efiDisk?.datastoreId, vm.inputs.tpmState?.datastoreId, vm.inputs.initialization?.datastoreId].filter((id): id is string => typeof id === "string");
    return {
        luksBy: formatting && opened ? formatting.name : undefined,
        tpm: vm.inputs.tpmState !== undefined && /--tpm2 yes\b/.test(formatting ? invocation(formatting) : ""),
        datastores: [...new Set(datastores)],
    };
}

/**
 * Proxmox aliases and IP sets by name ("+name" for a set), resolved to their addresses as one VM's
 * rules see them: the VM's own first, then the datacenter's (pve-firewall resolve_alias).
 */
export function firewallNames(resources: Resources, vmId: unknown): Map<string, string> {
    const names = new Map<string, string>();
    for (const scope of [undefined, vmId]) {
        for (const alias of of(resources, TYPES.alias).filter((a) => a.inputs.vmId === scope)) names.set(String(alias.inputs.name), String(alias.inputs.cidr));
        for (const set of of(resources, TYPES.ipset).filter((s) => s.inputs.vmId === scope)) names.set(`+${set.inputs.name}`, ((set.inputs.cidrs ?? []) as { name: string }[]).map((c) => c.name).join(", "));
    }
    return names;
}

/** The Borg repository each VM backs up to, and the encryption mode its init command uses. */
export function backupRepositories(resources: Resources): { vm: CapturedResource; repository: string; encryption?: string; initBy?: string }[] {
    return vms(resources).flatMap((vm) => {
        const commands = onHost(resources, vmAddress(vm));
        // borg.env holds single-quoted values (backupPlan.ts envLine): the dossier shows the value itself.
        const env = commands
            .map((c) => /^BORG_REPO=(.+)$/m.exec(String(c.inputs.stdin ?? ""))?.[1])
            .find((repo) => repo !== undefined)
            ?.replace(/^'(.*)'$/, "$1");
        const init = commands.find((c) => /^elabftw-backup\.sh init /.test(invocation(c)));
        const encryption = init && /borg init --encryption[= ](\S+)/.exec(String(init.inputs.create))?.[1];
        return env ? [{ vm, repository: env, encryption, initBy: init?.name }] : [];
    });
}

/** The stack kind as the resources carry it (the VMs' tags). */
export const isProduction = (resources: Resources) => vms(resources).some((vm) => ((vm.inputs.tags ?? []) as string[]).includes("production"));

/** The instance settings eLabFTW receives (its config keys), when the program manages them. */
export const instanceSettings = (resources: Resources): Record<string, string> | undefined => of(resources, TYPES.settings)[0]?.inputs.config;
