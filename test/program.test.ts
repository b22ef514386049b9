// The real program with the example test stack (Pulumi.dev.yaml), under Pulumi mocks: the VMs,
// every disk's datastore, the data-disk encryption steps, secrets and what a test stack allows.
import * as pulumi from "@pulumi/pulumi";
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { parse } from "yaml";
import { CapturedResource, ProgramRun, runProgram, valueOf } from "../tools/offline/mockEngine";

const VM = "proxmoxve:index/vmLegacy:VmLegacy";
const SNIPPET = "proxmoxve:index/fileLegacy:FileLegacy";
const COMMAND = "command:remote:Command";
const PASSWORD = "random:index/randomPassword:RandomPassword";

let run: ProgramRun;
before(async () => {
    run = await runProgram();
});

/** Every datastore a VM's volumes are placed on, by volume kind. */
function volumeDatastores(vm: CapturedResource): Record<string, string> {
    const i = vm.inputs;
    return {
        os: i.disks.find((d: any) => d.interface === "scsi0").datastoreId,
        data: i.disks.find((d: any) => d.interface === "scsi1").datastoreId,
        efi: i.efiDisk.datastoreId,
        tpm: i.tpmState.datastoreId,
        cloudinit: i.initialization.datastoreId,
    };
}

describe("program graph (Pulumi.dev.yaml, a test stack)", () => {
    it("creates exactly two VMs, web and DB, with their own IDs, names and addresses", () => {
        const vms = run.ofType(VM);
        assert.deepEqual(vms.map((v) => [v.inputs.name, v.inputs.vmId, v.inputs.initialization.ipConfigs[0].ipv4.address]).sort(), [
            ["demo-elabftw-db", 2102, "10.20.30.11/24"],
            ["demo-elabftw-web", 2101, "10.20.30.10/24"],
        ]);
        for (const vm of vms) {
            assert.equal(vm.inputs.nodeName, "pve1");
            assert.equal(vm.inputs.initialization.ipConfigs[0].ipv4.gateway, "10.20.30.1");
            assert.deepEqual(vm.inputs.initialization.dns.servers, ["10.20.60.2", "10.20.60.3"]);
        }
    });

    it("places every volume of every VM on the datastore configured for its kind", () => {
        for (const vm of run.ofType(VM)) {
            assert.deepEqual(volumeDatastores(vm), { os: "local-zfs", data: "local-zfs", efi: "local-zfs", tpm: "local-zfs", cloudinit: "local-zfs" });
            assert.equal(vm.inputs.disks.length, 2, "an OS disk and a data disk, nothing on a default datastore");
        }
    });

    it("builds each VM as UEFI + Secure Boot keys, q35, vTPM 2.0, virtio-scsi with iothreads, serial console, guest agent", () => {
        for (const vm of run.ofType(VM)) {
            const i = vm.inputs;
            assert.equal(i.bios, "ovmf");
            assert.equal(i.machine, "q35");
            assert.deepEqual(i.efiDisk, { datastoreId: "local-zfs", fileFormat: "raw", preEnrolledKeys: true, type: "4m" });
            assert.equal(i.tpmState.version, "v2.0");
            assert.equal(i.scsiHardware, "virtio-scsi-single");
            for (const disk of i.disks) {
                assert.equal(disk.iothread, true);
                assert.equal(disk.discard, "on");
            }
            const [os, data] = i.disks;
            assert.equal(os.importFrom, "local:import/debian-13-generic-amd64.qcow2");
            assert.equal(os.size, 16);
            assert.equal(data.serial, "elabftw-data", "the guest finds its data disk by this serial");
            assert.equal(data.importFrom, undefined, "the data disk starts empty");
            assert.equal(i.agent.enabled, true);
            assert.deepEqual(i.serialDevices, [{ device: "socket" }]);
            assert.equal(i.vga.type, "serial0");
            assert.deepEqual(i.networkDevices, [{ bridge: "vmbr0", firewall: true, model: "virtio", vlanId: 30 }]);
            assert.equal(i.operatingSystem.type, "l26");
        }
        const web = run.one(VM, "-web").inputs;
        assert.equal(web.cpu.cores, 2);
        assert.equal(web.memory.dedicated, 4096);
        assert.equal(web.disks[1].size, 20);
        assert.equal(run.one(VM, "-db").inputs.disks[1].size, 10);
    });

    it("tags VMs sorted, with the unit and the stack kind", () => {
        assert.deepEqual(run.one(VM, "-web").inputs.tags, ["demo", "elabftw", "test", "web"]);
        assert.deepEqual(run.one(VM, "-db").inputs.tags, ["db", "demo", "elabftw", "test"]);
    });

    it("lets a test stack be destroyed completely, but for the datacenter firewall and its management set", () => {
        // Those two stay so that a destroy never locks the admins out (test/noLockout.test.ts).
        const clusterAccess = (name: string) => name.endsWith("-firewall-datacenter") || name.endsWith("-firewall-management");
        for (const r of run.resources) {
            assert.equal(r.protect, false, `${r.name} is protected`);
            assert.equal(r.retainOnDelete, clusterAccess(r.name), `${r.name} would be left behind`);
        }
        for (const vm of run.ofType(VM)) {
            assert.equal(vm.inputs.protection, false);
            assert.equal(vm.inputs.stopOnDestroy, true);
        }
    });

    it("keeps cloud-init and image changes from replacing a VM and its data disk", () => {
        for (const vm of run.ofType(VM)) {
            assert.deepEqual(vm.ignoreChanges, ["initialization.userDataFileId", "initialization.metaDataFileId", "disks[0].importFrom"]);
        }
    });

    it("uploads one cloud-init snippet per VM, named for the unit, and points the VM at it", () => {
        for (const role of ["web", "db"]) {
            const snippet = run.one(SNIPPET, `-${role}-user-data`);
            assert.equal(snippet.inputs.contentType, "snippets");
            assert.equal(snippet.inputs.datastoreId, "local");
            assert.equal(snippet.inputs.sourceRaw.fileName, `demo-elabftw-${role}-user-data.yaml`);
            assert.equal(snippet.deleteBeforeReplace, true, "same file name: the old file must go first");
            const vm = run.one(VM, `-${role}`);
            assert.equal(vm.inputs.initialization.userDataFileId, `local:snippets/demo-elabftw-${role}-user-data.yaml`);
            const userData = parse(snippet.inputs.sourceRaw.data);
            assert.ok(snippet.inputs.sourceRaw.data.startsWith("#cloud-config\n"));
            assert.equal(userData.hostname, `demo-elabftw-${role}`);
            assert.equal(userData.users[0].name, "elabadmin");
            assert.equal(userData.users[0].lock_passwd, true);
            assert.match(userData.users[0].ssh_authorized_keys[0], /^ssh-ed25519 /);
        }
    });

    it("encrypts each data disk with LUKS after cloud-init, then mounts it, in that order", () => {
        for (const role of ["web", "db"]) {
            const ready = run.one(COMMAND, `-${role}-cloud-init`);
            const luks = run.one(COMMAND, `-${role}-data-luks-format`);
            const mount = run.one(COMMAND, `-${role}-data-mount`);
            assert.ok(ready.dependencies.includes(run.one(VM, `-${role}`).urn));
            assert.ok(luks.dependencies.includes(ready.urn), "LUKS waits for the first boot to finish");
            assert.ok(mount.dependencies.includes(luks.urn), "the mount waits for LUKS");
            assert.match(luks.inputs.create, /^sudo \/bin\/bash -c '.*' luks-format\.sh --device \/dev\/disk\/by-id\/scsi-0QEMU_QEMU_HARDDISK_elabftw-data --name elabdata --tpm2 yes$/s);
            assert.match(mount.inputs.create, /data-disk-mount\.sh --device \/dev\/disk\/by-id\/scsi-0QEMU_QEMU_HARDDISK_elabftw-data --mount-point \/srv\/elabftw --label elabdata --luks-name elabdata$/);
            assert.equal(luks.inputs.connection.host, role === "web" ? "10.20.30.10" : "10.20.30.11");
            assert.equal(luks.inputs.connection.user, "elabadmin");
            assert.equal(luks.inputs.connection.privateKey, undefined, "no key configured: the ssh-agent is used");
            assert.equal(luks.inputs.delete, undefined, "destroying the stack never runs anything against the data");
        }
    });

    it("passes each recovery passphrase through stdin, as a secret, and nowhere else", () => {
        assert.equal(run.ofType(PASSWORD).filter((p) => p.name.includes("-luks-recovery-")).length, 2);
        for (const role of ["web", "db"]) {
            const password = run.one(PASSWORD, `-luks-recovery-${role}`);
            assert.deepEqual(password.inputs, { length: 48, special: false });
            const luks = run.one(COMMAND, `-${role}-data-luks-format`);
            assert.ok(luks.secretInputs.includes("stdin"));
            assert.ok(run.generatedSecrets.includes(luks.inputs.stdin));
        }
        const web = run.one(COMMAND, "-web-data-luks-format").inputs.stdin;
        const db = run.one(COMMAND, "-db-data-luks-format").inputs.stdin;
        assert.notEqual(web, db, "each disk has its own passphrase");
    });

    it("never puts a generated secret in a snippet, a command line or any plaintext input", () => {
        assert.ok(run.generatedSecrets.length > 0);
        for (const r of run.resources) {
            const plaintext = Object.fromEntries(Object.entries(r.inputs).filter(([key]) => !r.secretInputs.includes(key)));
            const text = JSON.stringify(plaintext);
            for (const secret of run.generatedSecrets) assert.ok(!text.includes(secret), `${r.type} ${r.name} carries a secret in plaintext`);
        }
        for (const c of run.ofType(COMMAND)) {
            for (const field of ["create", "update", "delete"]) {
                for (const secret of run.generatedSecrets) assert.ok(!String(c.inputs[field] ?? "").includes(secret), `${c.name}.${field}`);
            }
        }
    });

    it("exports the recovery passphrases as a secret and the VMs' facts in the clear", async () => {
        const exported = run.outputs.luksRecoveryPassphrases as pulumi.Output<Record<string, string>>;
        assert.equal(await pulumi.isSecret(exported), true);
        const values = await valueOf(exported);
        assert.deepEqual(Object.keys(values).sort(), ["db", "web"]);
        for (const value of Object.values(values)) assert.ok(run.generatedSecrets.includes(value));
        assert.equal(run.outputs.egressPublicAddress, "203.0.113.25");
        assert.equal(run.outputs.stackKind, "test");
        const webVm = run.outputs.webVm as { name: string; vmId: pulumi.Output<number>; address: string };
        assert.equal(webVm.address, "10.20.30.10");
        assert.equal(await valueOf(webVm.vmId), 2101);
    });

    it("starts both VMs without waiting for each other", () => {
        const web = run.one(VM, "-web");
        const db = run.one(VM, "-db");
        assert.ok(!web.dependencies.includes(db.urn) && !db.dependencies.includes(web.urn));
    });
});
