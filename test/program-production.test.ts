// The program as a production stack: a downloaded, checksummed image, VMs and secrets protected,
// and the data path retained if a resource ever leaves the program.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { ProgramRun, runProgram } from "../tools/offline/mockEngine";
import { IMAGE_SHA512 as SHA512, IMAGE_URL, PRODUCTION_OVERRIDES } from "./support/stacks";

const VM = "proxmoxve:index/vmLegacy:VmLegacy";

let run: ProgramRun;
before(async () => {
    run = await runProgram({ overrides: PRODUCTION_OVERRIDES });
});

describe("program graph (production stack)", () => {
    it("downloads the image once, verified against its SHA-512, and imports it into both OS disks", () => {
        const [image, ...others] = run.ofType("proxmoxve:download/file:File");
        assert.equal(others.length, 0);
        assert.deepEqual(
            { ...image.inputs },
            {
                checksum: SHA512,
                checksumAlgorithm: "sha512",
                contentType: "import",
                datastoreId: "local",
                fileName: "demo-debian-13-generic-amd64-20261101-2300.qcow2",
                nodeName: "pve1",
                overwrite: false,
                overwriteUnmanaged: false,
                uploadTimeout: 1800,
                url: IMAGE_URL,
                verify: true,
            },
        );
        for (const vm of run.ofType(VM)) {
            assert.equal(vm.inputs.disks[0].importFrom, "local:import/demo-debian-13-generic-amd64-20261101-2300.qcow2");
            assert.ok(vm.dependencies.includes(image.urn));
        }
    });

    it("protects both VMs in Pulumi and in Proxmox, and retains them (with their data disks) on delete", () => {
        for (const vm of run.ofType(VM)) {
            assert.equal(vm.protect, true);
            assert.equal(vm.retainOnDelete, true);
            assert.equal(vm.inputs.protection, true);
            assert.equal(vm.inputs.stopOnDestroy, false);
            assert.deepEqual(vm.inputs.tags.includes("production"), true);
        }
    });

    it("protects every generated secret and the CA key: a replaced one would orphan what it opens or signs", () => {
        const secrets = [...run.ofType("random:index/randomPassword:RandomPassword"), ...run.ofType("random:index/randomBytes:RandomBytes")];
        assert.equal(secrets.length, 8, "2 LUKS passphrases, 2 database passwords, the sysadmin password, the 2 backup passphrases (one per repository), SECRET_KEY's hex digits");
        for (const s of secrets) assert.equal(s.protect, true, s.name);
        assert.equal(run.one("tls:index/privateKey:PrivateKey", "-ca-key").protect, true);
    });

    it("keeps the snippets a production VM refers to", () => {
        for (const s of run.ofType("proxmoxve:index/fileLegacy:FileLegacy")) assert.equal(s.retainOnDelete, true);
    });
});
