// One hardened Proxmox VM (used for the eLabFTW Docker host and for the MySQL host): UEFI with
// Secure Boot keys, q35, vTPM 2.0, virtio-scsi with iothreads, serial console, guest agent, a NIC
// filtered by the Proxmox firewall, a cloud-init snippet without secrets, and a separate data disk
// encrypted and mounted by DataDisk.
import * as command from "@pulumi/command";
import * as proxmoxve from "@muhlba91/pulumi-proxmoxve";
import * as pulumi from "@pulumi/pulumi";
import { instanceId, renderMetaData, renderUserData } from "./cloudInit";
import { PlatformConfig, ProxmoxApiAccess, VmSpec } from "../config";
import { DATA_DISK_SERIAL, DataDisk } from "./dataDisk";
import { scriptCommand } from "./remoteScript";
import { FIRST_BOOT_DONE_FILE, HOST_KEY_FILE, readHostKeyCommand } from "./hostKey";

export interface SecureVmArgs {
    readonly spec: VmSpec;
    readonly platform: PlatformConfig;
    /** Volume id of the cloud image to import as the OS disk. */
    readonly cloudImageId: pulumi.Input<string>;
    /** LUKS recovery passphrase of the data disk (guest-luks mode). */
    readonly recoveryPassphrase?: pulumi.Input<string>;
    /** Key the program logs in with; undefined uses the workstation's ssh-agent. */
    readonly sshPrivateKey?: pulumi.Input<string>;
    /** The unit's resource pool. */
    readonly pool: proxmoxve.PoolLegacy;
    /** Proxmox HA restarts the VM on another node: the node it runs on is the cluster's decision then. */
    readonly haManaged: boolean;
    /** Where the VM's host key is read from (the Proxmox API, through the guest agent). */
    readonly proxmoxApi: ProxmoxApiAccess;
}

/** Sorted, as Proxmox stores them: unsorted tags would show a diff on every run. */
export function vmTags(platform: PlatformConfig, spec: VmSpec): string[] {
    return ["elabftw", spec.role, platform.unit, platform.stackKind].filter((tag, i, all) => all.indexOf(tag) === i).sort();
}

/**
 * Properties whose change would make the provider replace the VM, and with it the data disk:
 * the cloud-init snippets (first-boot only anyway; metaDataFileId also keeps VMs created before it
 * existed) and the image the OS disk was imported from.
 */
export const VM_IGNORED_CHANGES = ["initialization.userDataFileId", "initialization.metaDataFileId", "disks[0].importFrom"];

/**
 * An HA-managed VM runs where the HA manager put it; the provider reads that node back on every
 * refresh, and a node change replaces the VM unless migrate is true (bpg's ForceNewIf on node_name).
 * Ignoring the node leaves placement to HA (move such a VM with `ha-manager crm-command migrate`).
 */
export function vmIgnoredChanges(haManaged: boolean): string[] {
    return haManaged ? [...VM_IGNORED_CHANGES, "nodeName"] : VM_IGNORED_CHANGES;
}

/**
 * What identifies one VM's life, from what the program and Proxmox's configuration decide: the VM
 * ID and the MAC address Proxmox gave the NIC at creation (kept in the VM's config, new when the
 * VM is recreated). Not `macAddresses`: bpg reads those from the guest agent (lo, docker0, veth*),
 * so they change whenever a container restarts.
 */
export function vmIdentity(vm: proxmoxve.VmLegacy): pulumi.Output<unknown>[] {
    return [vm.vmId, vm.networkDevices.apply((nics) => nics?.[0]?.macAddress ?? null)];
}
export class SecureVm extends pulumi.ComponentResource {
    public readonly vm: proxmoxve.VmLegacy;
    public readonly userData: proxmoxve.FileLegacy;
    public readonly metaData: proxmoxve.FileLegacy;
    /** cloud-init has finished the first boot. */
    public readonly ready: command.remote.Command;
    public readonly dataDisk: DataDisk;
    /** How later components reach this VM over SSH. */
    public readonly connection: command.types.input.remote.ConnectionArgs & { readonly hostKey: pulumi.Output<string> };
    public readonly address: string;
    /** Reads the VM's SSH host key before any SSH connection: every channel accepts that key only. */
    public readonly hostKey: command.local.Command;

    constructor(name: string, args: SecureVmArgs, opts?: pulumi.ComponentResourceOptions) {
        super("elabftw:vm:SecureVm", name, {}, opts);
        const { spec, platform } = args;
        const production = platform.stackKind === "production";
        const ds = platform.datastores;
        // Production: the VM holds the data disk, so Pulumi refuses to delete it and leaves it on the
        // cluster if it is ever removed from the program.
        const dataOpts = { parent: this, protect: production, retainOnDelete: production };

        // A fixed instance-id: without it Proxmox derives one from the user-data and network config
        // (qemu-server Cloudinit.pm, nocloud_gen_metadata), so a rewritten snippet would make the next
        // cold start a first boot again (new host keys, runcmd again).
        this.metaData = new proxmoxve.FileLegacy(
            `${name}-meta-data`,
            {
                nodeName: spec.node,
                datastoreId: ds.snippets,
                contentType: "snippets",
                sourceRaw: { fileName: `${spec.name}-meta-data.yaml`, data: renderMetaData(instanceId(platform.unit, spec.role, spec.vmId), spec.name) },
            },
            { parent: this, deleteBeforeReplace: true, retainOnDelete: production },
        );
        this.userData = new proxmoxve.FileLegacy(
            `${name}-user-data`,
            {
                nodeName: spec.node,
                datastoreId: ds.snippets,
                contentType: "snippets",
                sourceRaw: {
                    fileName: `${spec.name}-user-data.yaml`,
                    data: renderUserData({
                        hostname: spec.name,
                        domain: platform.network.searchDomain,
                        timezone: platform.site.timezone,
                        adminUser: platform.admin.user,
                        sshKeys: platform.admin.sshKeys,
                        syslogAddress: platform.endpoints.syslog,
                        httpProxy: platform.httpProxy,
                        noProxy: [platform.network.subnet],
                    }),
                },
            },
            // Same file name on update: delete the old file first. Production VMs keep referring to it.
            { parent: this, deleteBeforeReplace: true, retainOnDelete: production },
        );

        const disk = { iothread: true, discard: "on", ssd: true, fileFormat: "raw" };
        this.vm = new proxmoxve.VmLegacy(
            name,
            {
                nodeName: spec.node,
                vmId: spec.vmId,
                poolId: args.pool.poolId,
                name: spec.name,
                description: `eLabFTW ${spec.role === "web" ? "application (Docker)" : "database (MySQL)"} VM of unit ${platform.unit}. Managed by Pulumi (elabftw-onprem): change it through the program, not by hand.`,
                tags: vmTags(platform, spec),
                bios: "ovmf",
                machine: "q35",
                efiDisk: { datastoreId: ds.efi, type: "4m", preEnrolledKeys: true, fileFormat: "raw" },
                tpmState: { datastoreId: ds.tpm, version: "v2.0" },
                operatingSystem: { type: "l26" },
                cpu: { cores: spec.cores, type: "x86-64-v2-AES" },
                memory: { dedicated: spec.memoryMiB },
                agent: { enabled: true, trim: true, timeout: "20m" },
                scsiHardware: "virtio-scsi-single",
                disks: [
                    { ...disk, interface: "scsi0", datastoreId: ds.os, importFrom: args.cloudImageId, size: spec.osDiskGiB },
                    { ...disk, interface: "scsi1", datastoreId: ds.data, size: spec.dataDiskGiB, serial: DATA_DISK_SERIAL },
                ],
                networkDevices: [{ bridge: platform.network.bridge, vlanId: platform.network.vlanId, model: "virtio", firewall: true }],
                serialDevices: [{ device: "socket" }],
                vga: { type: "serial0" },
                initialization: {
                    datastoreId: ds.cloudinit,
                    ipConfigs: [{ ipv4: { address: `${spec.address}/${platform.network.prefixLength}`, gateway: platform.network.gateway } }],
                    dns: { servers: [...platform.network.dnsServers], domain: platform.network.searchDomain },
                    userDataFileId: this.userData.id,
                    metaDataFileId: this.metaData.id,
                },
                onBoot: true,
                started: true,
                protection: production,
                stopOnDestroy: !production,
                // A deliberate change of webNode/dbNode migrates the VM (with its local disks) instead
                // of recreating it; HA-managed VMs ignore the node altogether (vmIgnoredChanges).
                migrate: true,
            },
            { ...dataOpts, ignoreChanges: vmIgnoredChanges(args.haManaged) },
        );

        this.address = spec.address;
        // What the program decides (VM id, configured MAC), never runtime state: see vmIdentity.
        const identity = vmIdentity(this.vm);
        const api = args.proxmoxApi;
        // The key the VM generated at first boot, read through the API's authenticated guest-agent
        // channel (docs/security.md, "SSH host keys"); the API token goes on stdin, never on a command line.
        this.hostKey = new command.local.Command(
            `${name}-host-key`,
            {
                create: readHostKeyCommand(),
                stdin: pulumi.secret(
                    pulumi.output(api.apiToken).apply((apiToken) =>
                        JSON.stringify({ node: spec.node, vmId: spec.vmId, file: HOST_KEY_FILE, readyFile: FIRST_BOOT_DONE_FILE, endpoint: api.endpoint, apiToken, insecure: api.insecure }),
                    ),
                ),
                triggers: identity,
            },
            { parent: this, dependsOn: [this.vm] },
        );
        this.connection = {
            host: spec.address,
            hostKey: this.hostKey.stdout,
            user: platform.admin.user,
            privateKey: args.sshPrivateKey,
            // The first boot installs packages before sshd accepts the key: keep dialling for ~10 minutes.
            dialErrorLimit: 60,
            perDialTimeout: 10,
        };
        this.ready = new command.remote.Command(
            `${name}-cloud-init`,
            { connection: this.connection, create: scriptCommand("wait-cloud-init.sh"), triggers: identity },
            { parent: this, dependsOn: [this.vm] },
        );
        // cloud-init writes the keys at first boot only: later changes of adminSshKeys arrive this way.
        new command.remote.Command(
            `${name}-admin-keys`,
            {
                connection: this.connection,
                create: `sudo install -m 0600 -o ${platform.admin.user} -g ${platform.admin.user} /dev/stdin /home/${platform.admin.user}/.ssh/authorized_keys`,
                stdin: `${platform.admin.sshKeys.join("\n")}\n`,
            },
            { parent: this, dependsOn: [this.ready] },
        );
        // The serial console must not boot an edited kernel command line while the vTPM unlocks the disk.
        new command.remote.Command(
            `${name}-grub-lock`,
            { connection: this.connection, create: scriptCommand("grub-lock.sh"), triggers: identity },
            { parent: this, dependsOn: [this.ready] },
        );
        this.dataDisk = new DataDisk(
            `${name}-data`,
            { connection: this.connection, encryption: platform.diskEncryption, recoveryPassphrase: args.recoveryPassphrase, vmIdentity: identity, after: this.ready },
            { parent: this },
        );
        this.registerOutputs({ vmId: this.vm.vmId, address: this.address });
    }
}
