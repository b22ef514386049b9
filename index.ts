// Entry point of `pulumi up`: validate the stack config before anything exists, build the
// platform, and export what operators and the network team need.
import * as pulumi from "@pulumi/pulumi";
import { DATA_MOUNT, knownHostsLine } from "./components/vm";
import { loadConfig } from "./components/config";
import { ElabftwPlatform } from "./components/platform";

const loaded = loadConfig();
const { config } = loaded;
const platform = new ElabftwPlatform("elabftw", loaded);

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
/** The VMs' SSH host keys as the program pinned them (public): `npm run status` and ssh trust these only. */
export const sshKnownHosts = {
    web: platform.vms.web.connection.hostKey.apply((key) => knownHostsLine(config.vms.web.address, key)),
    db: platform.vms.db.connection.hostKey.apply((key) => knownHostsLine(config.vms.db.address, key)),
};
/** The CNRS requirement: the unit's dedicated external address for outgoing web-service calls. */
export const egressPublicAddress = platform.edge.egressPublicAddress;
export const diskEncryption = config.diskEncryption;
/** Escrow these with the unit's disaster-recovery material: they open the data disks without the vTPM. */
export const luksRecoveryPassphrases = pulumi.secret(platform.secrets.luksRecoveryPassphrases);
/** With the passphrases: restores a damaged LUKS header (base64 | gunzip > f; cryptsetup luksHeaderRestore DEV --header-backup-file f). */
export const luksHeaderBackups = pulumi.secret({ web: platform.vms.web.dataDisk.luksHeaderBackup, db: platform.vms.db.dataDisk.luksHeaderBackup });

/** Public: what the reverse proxy and operators trust for the site and the database. */
export const caCertificate = platform.pki.caCertPem;
export const dbHost = config.dbHost;
export const sysadminEmail = config.sysadmin.email;
export const sysadminPassword = pulumi.secret(platform.secrets.sysadminPassword);
/** Escrow with the backups: without it a restored database's stored credentials cannot be decrypted. */
export const elabftwSecretKey = pulumi.secret(platform.secrets.elabftwSecretKey);
export const dbRootPassword = pulumi.secret(platform.secrets.dbRootPassword);
/** For the mysql client from an admin workstation: mysql --ssl-ca --ssl-cert --ssl-key ... */
export const operatorClientCertificate = platform.pki.operatorClient.certPem;
export const operatorClientKey = pulumi.secret(platform.pki.operatorClient.privateKeyPem);

/** For the network team: the rules their edge firewall must apply (the program cannot configure it). */
export const edgeFirewallRules = platform.edge.rules;
export const edgeFirewallRulesMarkdown = platform.edge.markdown;

/** Escrow with SECRET_KEY: each Borg repository opens with its key and its own passphrase only. */
export const backupPassphrases = platform.backup.passphrases;
/** For the backup host's prune job (its own key, not the VMs' append-only ones): docs/operating.md. */
export const backupPruneCommands = platform.backup.pruneCommands;
export const backupRepositoryKeys = platform.backup.repositoryKeys;
/** Add each line to the Borg user's ~/.ssh/authorized_keys on the backup host. */
export const backupAuthorizedKeys = platform.backup.authorizedKeys;

/** Register at the identity provider (Janus+): eLabFTW's service-provider certificate (public). */
export const samlServiceProviderCertificate = platform.settings.samlSpCertificate;
/** eLabFTW's SAML metadata, to hand to the identity provider's administrators. */
export const samlServiceProviderMetadataUrl = config.settings.saml ? `${config.site.siteUrl}/metadata.php` : undefined;
