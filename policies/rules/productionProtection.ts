// Hardening: a production stack's data survives `pulumi destroy` and routine changes. What holds or
// opens the data is found by what it is, not by its name: the VMs (their disks), containers with a
// writable mount or volume, every generated password or byte string, and every private key that
// signs a certificate itself (the CA's, the SAML service provider's: replacing one orphans what it
// signed or the identity provider's registration).
// Decidable from the engine's policy interface: `protect` (opts.protect). Not decidable:
// retainOnDelete, which the analyzer protocol does not carry to policies (AnalyzerResourceOptions has
// protect, ignoreChanges, deleteBeforeReplace, aliases, customTimeouts, additionalSecretOutputs).
import { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { hostPaths, volumePaths } from "../models/dockerContainer";
import { PVE_TYPES } from "../models/pveResources";
import { isProductionStack, ofType, TYPES } from "./common";
import { dataLossFindings } from "./dataLoss";

/** Private keys a certificate is signed with: a self-signed certificate's own key, a CA's key. */
function signingKeys(resources: readonly PolicyResource[]): PolicyResource[] {
    const signers = [...ofType(resources, TYPES.selfSignedCert), ...ofType(resources, TYPES.locallySignedCert)];
    return ofType(resources, TYPES.privateKey).filter((key) => signers.some((cert) => cert.dependencies.some((d) => d.urn === key.urn)));
}

const holdsData = (container: PolicyResource) => [...hostPaths(container.props), ...volumePaths(container.props, "")].some((m) => !m.readOnly);

export const productionProtection: StackValidationPolicy = {
    name: "production-data-protected",
    description: "On a production stack, the VMs are protected in Proxmox and in Pulumi; containers that hold data, generated secrets, the keys that sign certificates and every Proxmox firewall object are protected in Pulumi; eLabFTW's uploads are on a mount; no step destroys data (a delete that removes files or disks, db:install -r, SQL DROP/TRUNCATE); eLabFTW does not migrate at start (AUTO_DB_UPDATE); MySQL's datadir is on a mount; no command Pulumi runs removes a data-disk folder with rm -r; no installed job purges the data disk (find -delete, find -exec rm); no script wipes the LUKS recovery passphrase's keyslot; mysqld keeps its doublewrite buffer and its durability (no innodb_flush_method=nosync, innodb_flush_log_at_trx_commit 1, no innodb_force_recovery); no VM disk with cache=unsafe; no scheduled restore; no DELETE or CREATE EVENT sent to MySQL, and no script the deployment runs or installs deletes eLabFTW's rows (DELETE, TRUNCATE, DROP TABLE outside the drill's scratch database) or resets its settings (DELETE /config). No script drops the live database; no file system without its journal or write barriers.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        if (!isProductionStack(args.resources)) return;
        for (const vm of ofType(args.resources, TYPES.vm)) {
            if (vm.props.protection !== true || !vm.opts.protect) {
                reportViolation(`${vm.name}: a production VM that \`pulumi destroy\` could delete. Fix: stackKind production sets protection and protect; do not unset them.`, vm.urn);
            }
        }
        for (const container of ofType(args.resources, TYPES.container).filter((c) => holdsData(c) && !c.opts.protect)) {
            reportViolation(`${container.name}: a production container holding data (a writable mount) that \`pulumi destroy\` or a replacement could delete. Fix: keep protect on the database and eLabFTW containers.`, container.urn);
        }
        // A destroy or a replacement of a firewall object deletes it in Proxmox: the VM's rules, IP
        // filter or input policy are gone while the VM runs (the program protects them all).
        const firewall = args.resources.filter((r) => (Object.values(PVE_TYPES) as string[]).includes(r.type) && r.type !== PVE_TYPES.vm);
        for (const object of firewall.filter((r) => !r.opts.protect)) {
            reportViolation(`${object.name}: an unprotected Proxmox firewall object on a production stack: a destroy or a replacement deletes it, and the VM runs without that part of its firewall. Fix: keep protect on every firewall resource (stackKind production sets it).`, object.urn);
        }
        for (const finding of dataLossFindings(args.resources)) reportViolation(`${finding.resource.name}: ${finding.problem} on a production stack. Fix: ${finding.fix}.`, finding.resource.urn);
        const secrets = [...ofType(args.resources, TYPES.randomPassword), ...ofType(args.resources, TYPES.randomBytes), ...signingKeys(args.resources)];
        for (const secret of secrets.filter((s) => !s.opts.protect)) {
            reportViolation(`${secret.name}: an unprotected secret on a production stack (replacing it would orphan what it opens or signed). Fix: keep protect on the Secrets component's resources and the signing keys.`, secret.urn);
        }
    },
};
