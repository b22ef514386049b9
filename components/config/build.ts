// Builds the platform config from the parsed values (every check has passed).
import { prefixLength } from "../network/addresses";
import { StorageKind } from "./keys";
import { matrixOf, Parsed, parseBackupTarget } from "./parsed";
import { CloudImage, InstanceSettings, PlatformConfig, Role, SamlIdp, VmSpec } from "./types";

function settingsOf(c: Parsed, siteUrl: string): InstanceSettings {
    const idp: SamlIdp = c.samlIdpMetadataUrl
        ? { kind: "metadata", name: c.samlIdpName, metadataUrl: c.samlIdpMetadataUrl }
        : {
              kind: "manual",
              name: c.samlIdpName,
              entityId: c.samlIdpEntityId!,
              ssoUrl: c.samlIdpSsoUrl!,
              sloUrl: c.samlIdpSloUrl,
              certificate: c.samlIdpCertificate!,
              attributes: { email: c.samlEmailAttribute, firstName: c.samlFirstNameAttribute, lastName: c.samlLastNameAttribute },
          };
    return {
        saml: c.samlEnabled ? { idp, spEntityId: c.samlSpEntityId ?? siteUrl, teamDefault: c.samlTeamDefault, teamCreate: c.samlTeamCreate } : undefined,
        proxy: c.httpProxy,
        localLogin: c.localLogin,
        localLoginHidden: c.localLoginHidden,
        mfa: c.mfaEnforcement,
        password: { minLength: c.passwordMinLength, complexity: c.passwordComplexity, maxAgeDays: c.passwordMaxAgeDays },
        loginAttempts: c.loginAttempts,
        rememberMeMinutes: c.rememberMeMinutes,
        rememberMe: c.rememberMe,
        auditLogs: c.auditLogs,
        localRegistration: c.localRegistration,
        adminsCreateUsers: c.adminsCreateUsers,
        anonymousUsers: c.anonymousUsers,
        allowedEmailDomains: c.allowedEmailDomains,
        loginAnnouncement: c.loginAnnouncement,
        timestamping: { authority: c.timestampAuthority, url: c.timestampUrl, hash: c.timestampHash, login: c.timestampLogin },
        smtp: c.smtpHost ? { host: c.smtpHost, port: c.smtpPort, from: c.smtpFrom!, user: c.smtpUser, verifyCert: c.smtpVerifyCert } : undefined,
    };
}

function vmSpec(c: Parsed, role: Role): VmSpec {
    const sizing = role === "web"
        ? { vmId: c.webVmId, address: c.webAddress, cores: c.webCores, memoryMiB: c.webMemoryMiB, osDiskGiB: c.webOsDiskGiB, dataDiskGiB: c.webDataDiskGiB }
        : { vmId: c.dbVmId, address: c.dbAddress, cores: c.dbCores, memoryMiB: c.dbMemoryMiB, osDiskGiB: c.dbOsDiskGiB, dataDiskGiB: c.dbDataDiskGiB };
    return { role, name: `${c.unit}-elabftw-${role}`, node: (role === "web" ? c.webNode : c.dbNode) ?? c.proxmoxNode, ...sizing };
}

function datastoreMap(entries: readonly string[]): Record<StorageKind, string> {
    const map = {} as Record<StorageKind, string>;
    for (const entry of entries) {
        const [id, kinds] = entry.split("=");
        for (const kind of kinds.split(",")) map[kind.trim() as StorageKind] = id;
    }
    return map;
}

export function build(c: Parsed): PlatformConfig {
    const searchDomain = c.searchDomain ?? c.fqdn.split(".").slice(1).join(".");
    const siteUrl = c.siteUrl ?? `https://${c.fqdn}`;
    const cloudImage: CloudImage = c.cloudImageUrl
        ? { kind: "download", url: c.cloudImageUrl, sha512: c.cloudImageChecksum!, fileName: c.cloudImageUrl.split("/").pop()!.replace(/\.img$/, ".qcow2") }
        : { kind: "volume", volumeId: c.cloudImageVolume! };
    return {
        stackKind: c.stackKind,
        unit: c.unit,
        proxmoxNode: c.proxmoxNode,
        highAvailability: c.highAvailability,
        pool: `elabftw-${c.unit}`,
        datastores: datastoreMap(c.datastores),
        encryptedDatastores: c.encryptedDatastores,
        sharedDatastores: c.sharedDatastores,
        diskEncryption: c.diskEncryption,
        cloudImage,
        network: {
            bridge: c.bridge,
            vlanId: c.vlanId === 0 ? undefined : c.vlanId,
            subnet: c.serverSubnet,
            prefixLength: prefixLength(c.serverSubnet),
            gateway: c.gateway,
            dnsServers: c.dnsServers,
            searchDomain,
        },
        vms: { web: vmSpec(c, "web"), db: vmSpec(c, "db") },
        endpoints: {
            edgeFirewall: c.edgeFirewallAddress,
            vpnClients: c.vpnClientRange,
            labSubnet: c.labSubnet,
            adminNetwork: c.adminNetwork,
            syslog: c.syslogAddress,
            filer: c.filerAddress,
            egressPublic: c.egressPublicAddress,
        },
        site: { fqdn: c.fqdn, siteUrl, timezone: c.timezone },
        versions: { elabftw: c.elabftwVersion, mysql: c.mysqlVersion },
        imageDigests: { elabftw: c.elabftwImageDigest, mysql: c.mysqlImageDigest },
        backupTarget: c.backupTarget,
        backup: {
            target: parseBackupTarget(c.backupTarget),
            hostKey: c.backupHostKey?.trim(),
            time: c.backupTime,
            keepDaily: c.backupKeepDaily,
            keepMonthly: c.backupKeepMonthly,
            drillCalendar: c.restoreDrillCalendar,
        },
        admin: { user: c.adminUser, sshKeys: c.adminSshKeys },
        dbHost: c.dbHost ?? `${c.unit}-elabftw-db.${searchDomain}`,
        flows: matrixOf(c),
        firewall: { guest: c.guestFirewall, manageCluster: c.manageClusterFirewall, importManagementIpset: c.importManagementIpset },
        httpProxy: c.httpProxy,
        sysadmin: { email: c.sysadminEmail, firstName: c.sysadminFirstName, lastName: c.sysadminLastName },
        tls: {
            certValidityDays: c.certValidityDays,
            caValidityDays: c.caValidityDays,
            renewBeforeDays: c.certRenewBeforeDays,
            institutionalCertificate: c.httpsCertificate,
        },
        settings: settingsOf(c, siteUrl),
    };
}

