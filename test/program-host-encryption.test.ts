// The program when the site encrypts on the host (diskEncryption: host-datastore): no LUKS step,
// no recovery passphrase, the data disk mounted directly. The same stack is a unit rebuilt from its
// backups: it reuses the escrowed SECRET_KEY instead of generating one.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { Output } from "@pulumi/pulumi";
import { randomBytes } from "node:crypto";
import { defuseAsciiSafeKey } from "../components/pki/defuseKey";
import { ProgramRun, runProgram, valueOf } from "../tools/offline/mockEngine";

const ESCROWED_KEY = defuseAsciiSafeKey(randomBytes(32).toString("hex"));

let run: ProgramRun;
before(async () => {
    run = await runProgram({
        overrides: {
            "elabftw-onprem:diskEncryption": "host-datastore",
            "elabftw-onprem:encryptedDatastores": JSON.stringify(["local-zfs"]),
            "elabftw-onprem:elabftwSecretKey": ESCROWED_KEY,
        },
        secretKeys: ["elabftw-onprem:elabftwSecretKey"],
    });
});

describe("program graph (host-datastore encryption)", () => {
    it("creates no LUKS step and no recovery passphrase", async () => {
        assert.equal(run.resources.filter((r) => r.name.endsWith("-luks-format")).length, 0);
        assert.equal(run.ofType("random:index/randomPassword:RandomPassword").filter((p) => p.name.includes("luks")).length, 0);
        assert.deepEqual(await valueOf(run.outputs.luksRecoveryPassphrases as Output<Record<string, string>>), {});
    });

    it("mounts the raw data disk after cloud-init", () => {
        for (const role of ["web", "db"]) {
            const mount = run.one("command:remote:Command", `-${role}-data-mount`);
            assert.match(mount.inputs.create, /data-disk-mount\.sh --device \/dev\/disk\/by-id\/scsi-0QEMU_QEMU_HARDDISK_elabftw-data --mount-point \/srv\/elabftw --label elabdata$/);
            assert.ok(mount.dependencies.includes(run.one("command:remote:Command", `-${role}-cloud-init`).urn));
        }
    });

    it("reuses the escrowed SECRET_KEY and generates none", () => {
        assert.equal(run.ofType("random:index/randomBytes:RandomBytes").length, 0);
        const envs: string[] = run.one("docker:index/container:Container", "-elabftw-container").inputs.envs;
        assert.ok(envs.includes(`SECRET_KEY=${ESCROWED_KEY}`));
    });
});
