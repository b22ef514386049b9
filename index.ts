// Entry point of `pulumi up`: validate the stack config before anything exists, build the
// platform, and export what operators and the network team need.
import * as pulumi from "@pulumi/pulumi";
import { DATA_MOUNT } from "./components/cloudInit";
import { loadConfig } from "./components/config";
import { ElabftwPlatform } from "./components/platform";

const { config, sshPrivateKey } = loadConfig();
const platform = new ElabftwPlatform("elabftw", { config, sshPrivateKey });

const vmOutput = (role: "web" | "db") => ({
    name: config.vms[role].name,
    vmId: platform.vms[role].vm.vmId,
    address: config.vms[role].address,
    dataMount: DATA_MOUNT,
});

export const stackKind = config.stackKind;
export const webVm = vmOutput("web");
export const dbVm = vmOutput("db");
export const siteUrl = config.site.siteUrl;
/** The CNRS requirement: the unit's dedicated external address for outgoing web-service calls. */
export const egressPublicAddress = config.endpoints.egressPublic;
export const diskEncryption = config.diskEncryption;
/** Escrow these with the unit's disaster-recovery material: they open the data disks without the vTPM. */
export const luksRecoveryPassphrases = pulumi.secret(platform.secrets.luksRecoveryPassphrases);
