// Over 300 lines on purpose: the one table of every key, kept whole so that each key reads in one place.
// Every stack config key of the project, in one table: its Pulumi type, what it means, how to fix
// a bad value, and the zod schema of one value. Pulumi.yaml, docs/configuration.md and the validator all
// follow this table (test/projectFile.test.ts keeps Pulumi.yaml in step with it).
import { z } from "zod";
import { isIpv4, isIpv4Network } from "../network/addresses";
import { parseExtraFlow } from "../network/flowMatrix";
import { sshPrivateKeyProblem, sshPublicKeyProblem } from "./sshKeys";
import { siteCertificateProblem, siteKeyProblem } from "./tlsKeys";
import { SETTINGS_KEYS } from "./settingsKeys";
import { EMAIL, EMAIL_RULE, FILE_URL, SITE_URL } from "./grammars";

export type PulumiConfigType = "string" | "integer" | "boolean" | "array";

export interface KeySpec {
    readonly type: PulumiConfigType;
    readonly description: string;
    /** How to set a good value: ends every error message about this key. */
    readonly fix: string;
    readonly schema: z.ZodType;
    readonly secret?: boolean;
}

export const STORAGE_KINDS = ["os", "data", "efi", "tpm", "cloudinit", "snippets", "import"] as const;
export type StorageKind = (typeof STORAGE_KINDS)[number];

const storageId = /^(?=.{2,100}$)[a-z][a-z0-9._-]*[a-z0-9]$/;
const ipv4 = z.string().refine(isIpv4, "is not an IPv4 address (a.b.c.d)");
const network = z.string().refine(isIpv4Network, "is not an IPv4 network in CIDR form with host bits zero (a.b.c.0/24)");
const vmId = z.number().int().min(100).max(999_999_999);
/** The one grammar of backupTarget: it ends up in an env file and an authorized_keys forced command. */
const SAFE_PATH = /^\/[A-Za-z0-9._\/-]+$/;
export function backupTargetProblem(target: string): string | undefined {
    if (target.length > 255) return "is longer than 255 characters";
    const ssh = /^ssh:\/\/([a-z_][a-z0-9_-]{0,31})@([0-9.]+)(?::(\d{1,5}))?(\/.*)$/.exec(target);
    if (target.startsWith("ssh:")) {
        if (!ssh || !isIpv4(ssh[2])) return "is not ssh://user@IPv4[:port]/path (give its IPv4 address, which the firewall rules need, and a plain user name)";
        if (ssh[3] && (Number(ssh[3]) < 1 || Number(ssh[3]) > 65535)) return "has a port outside 1-65535";
        if (!SAFE_PATH.test(ssh[4]) || ssh[4].split("/").includes("..")) return "has a path with characters other than letters, digits and . _ / - (or a .. step)";
        return undefined;
    }
    if (!SAFE_PATH.test(target) || target.split("/").includes("..")) return "is neither ssh://user@IPv4[:port]/path nor an absolute path of letters, digits and . _ / - (no .. step)";
    return undefined;
}
const size = (min: number, max: number) => z.number().int().min(min).max(max);
const hostName = z.string().regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/, "is not a fully qualified lowercase host name");
// Passed to eLabFTW's command line: letters (any script), spaces, apostrophes, hyphens, dots.
const personName = z.string().regex(/^[\p{L}][\p{L} .'-]{0,63}$/u, "must be 1-64 letters, spaces, apostrophes, hyphens or dots");
const nodeName = z.string().regex(/^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/, "is not a valid node name");
const floatingTag = /^(latest|stable|lts|innovation|\d+|\d+\.\d+)$/i;

/** A string that `problemOf` finds nothing wrong with; its finding is the message. */
function checkedBy(problemOf: (text: string) => string | undefined) {
    return z.string().superRefine((text, ctx) => {
        const problem = problemOf(text);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
    });
}

function versionSchema(product: string, exact: RegExp, rule: string) {
    return z.string().superRefine((value, ctx) => {
        if (floatingTag.test(value)) {
            ctx.addIssue({ code: "custom", message: `is a floating tag: it moves under you, so two runs may deploy different ${product} versions` });
        } else if (!exact.test(value)) {
            ctx.addIssue({ code: "custom", message: `is not a supported ${product} version (${rule})` });
        }
    });
}

const datastoreEntry = z.string().superRefine((value, ctx) => {
    const match = /^([^=]+)=(.+)$/.exec(value);
    if (!match || !storageId.test(match[1])) {
        ctx.addIssue({ code: "custom", message: `entry "${value}" is not of the form <storage id>=<kind>[,<kind>...]` });
        return;
    }
    const unknown = match[2].split(",").filter((kind) => !(STORAGE_KINDS as readonly string[]).includes(kind.trim()));
    if (unknown.length > 0) {
        ctx.addIssue({ code: "custom", message: `entry "${value}" names unknown kind(s) ${unknown.join(", ")}` });
    }
});

export const KEYS = {
    stackKind: {
        type: "string",
        description: "test (destroyable, tagged test) or production (VMs protected, data retained on delete).",
        fix: "pulumi config set stackKind test   # or production",
        schema: z.enum(["test", "production"]),
    },
    unit: {
        type: "string",
        description: "Short name of the research unit (2-16 lowercase letters, digits, hyphens); prefixes VM names and snippet files so several units share one cluster.",
        fix: "pulumi config set unit <short name, e.g. umr5095>",
        schema: z.string().regex(/^[a-z][a-z0-9-]{0,14}[a-z0-9]$/, "must be 2-16 characters: lowercase letters, digits and inner hyphens"),
    },
    proxmoxNode: {
        type: "string",
        description: "Name of the Proxmox VE node of the VMs (as shown under Datacenter in the web UI); webNode and dbNode override it per VM.",
        fix: "pulumi config set proxmoxNode <node name, e.g. pve1>",
        schema: nodeName,
    },
    webNode: {
        type: "string",
        description: "Node of the eLabFTW VM (defaults to proxmoxNode).",
        fix: "pulumi config set webNode <node name>",
        schema: nodeName.optional(),
    },
    dbNode: {
        type: "string",
        description: "Node of the MySQL VM (defaults to proxmoxNode). On a cluster of two nodes or more it must differ from the eLabFTW VM's.",
        fix: "pulumi config set dbNode <another node than webNode>",
        schema: nodeName.optional(),
    },
    clusterNodes: {
        type: "array",
        description: "The cluster's nodes. With two or more, the two VMs must run on different nodes (unless allowSameNode).",
        fix: 'pulumi config set --path "clusterNodes[0]" pve1; pulumi config set --path "clusterNodes[1]" pve2',
        schema: z.array(nodeName).default([]),
    },
    allowSameNode: {
        type: "boolean",
        description: "Accept both VMs on one node of a multi-node cluster (one node's failure then stops both).",
        fix: "pulumi config set allowSameNode false",
        schema: z.boolean().default(false),
    },
    highAvailability: {
        type: "boolean",
        description: "Register both VMs as Proxmox HA resources (state started), so the cluster restarts them on another node. Needs every disk kind and the snippets on storages listed in sharedDatastores.",
        fix: "pulumi config set highAvailability false   # true needs every volume on storage listed in sharedDatastores",
        schema: z.boolean().default(false),
    },
    vmIdRange: {
        type: "string",
        description: 'The VM IDs this unit owns on a shared cluster, "first-last" (e.g. 2100-2199); webVmId and dbVmId must be inside.',
        fix: "pulumi config set vmIdRange 2100-2199",
        schema: z
            .string()
            .regex(/^\d{3,9}-\d{3,9}$/, 'is not "first-last"')
            .refine((range) => Number(range.split("-")[0]) <= Number(range.split("-")[1]), "starts after it ends")
            .optional(),
    },
    datastores: {
        type: "array",
        description: `Where each kind of volume goes, as "<storage id>=<kind>,<kind>" entries. Kinds: ${STORAGE_KINDS.join(", ")}. Every kind must be placed exactly once.`,
        fix: 'pulumi config set --path "datastores[0]" "local-zfs=os,data,efi,tpm,cloudinit"; pulumi config set --path "datastores[1]" "local=snippets,import"',
        schema: z.array(datastoreEntry).min(1),
    },
    sharedDatastores: {
        type: "array",
        description: "Storage ids every node of the cluster reaches (Ceph RBD, CephFS, NFS, iSCSI/LVM shared). HA needs the os, data, efi, tpm, cloudinit and snippets kinds on them; an import storage listed here gets one image download for all nodes.",
        fix: 'pulumi config set --path "sharedDatastores[0]" <storage id>',
        schema: z.array(z.string().regex(storageId, "is not a Proxmox storage id")).default([]),
    },
    encryptedDatastores: {
        type: "array",
        description: "Storage ids that the site encrypts on the host (ZFS native encryption, Ceph encrypted OSDs, LUKS under LVM). Required for every disk kind when diskEncryption is host-datastore.",
        fix: 'pulumi config set --path "encryptedDatastores[0]" <storage id>',
        schema: z.array(z.string().regex(storageId, "is not a Proxmox storage id")).default([]),
    },
    diskEncryption: {
        type: "string",
        description: "guest-luks (default: the data disk is LUKS2 inside the guest, unlocked by the vTPM) or host-datastore (every disk on a datastore listed in encryptedDatastores).",
        fix: "pulumi config set diskEncryption guest-luks   # or host-datastore",
        schema: z.enum(["guest-luks", "host-datastore"]).default("guest-luks"),
    },
    cloudImageUrl: {
        type: "string",
        description: "https URL of a dated Debian generic cloud image (qcow2), downloaded to the node's import storage. Give cloudImageChecksum with it, or use cloudImageVolume instead.",
        fix: "pulumi config set cloudImageUrl https://cloud.debian.org/images/cloud/trixie/<date>/debian-13-generic-amd64-<date>.qcow2",
        schema: z
            .string()
            .regex(FILE_URL, "is not an https URL of letters, digits and . _ ~ + - (no query, no spaces or shell characters)")
            .refine((url) => !/\/(latest|daily)\//.test(url), "points at a moving image (latest/daily): pick a dated folder")
            .refine((url) => /\.(qcow2|raw|img)$/.test(url), "must end in .qcow2, .raw or .img")
            .optional(),
    },
    cloudImageChecksum: {
        type: "string",
        description: "SHA-512 of the image at cloudImageUrl (128 hex digits), from the SHA512SUMS file in the same folder.",
        fix: "pulumi config set cloudImageChecksum <128 hex digits from SHA512SUMS>",
        schema: z.string().regex(/^[0-9a-f]{128}$/, "is not a SHA-512 digest (128 lowercase hex digits)").optional(),
    },
    cloudImageVolume: {
        type: "string",
        description: "Volume id of a cloud image already on the node's import storage (e.g. local:import/debian-13-generic-amd64-<date>.qcow2), instead of cloudImageUrl.",
        fix: "pulumi config set cloudImageVolume <storage>:import/<file>.qcow2",
        schema: z.string().regex(/^(?=.{1,255}$)[a-z][a-z0-9._-]*:import\/[A-Za-z0-9._-]+\.(qcow2|raw|vmdk)$/, "is not an import volume id (<storage>:import/<file>.qcow2)").optional(),
    },
    bridge: {
        type: "string",
        description: "Proxmox bridge (or SDN vnet) of the server network.",
        fix: "pulumi config set bridge vmbr0",
        schema: z.string().regex(/^[a-zA-Z][a-zA-Z0-9_.-]{0,14}$/, "is not a bridge name").default("vmbr0"),
    },
    vlanId: {
        type: "integer",
        description: "VLAN tag of the server network on the bridge; 0 for an untagged bridge.",
        fix: "pulumi config set vlanId <1-4094, or 0 for untagged>",
        schema: z.number().int().min(0).max(4094).default(0),
    },
    serverSubnet: {
        type: "string",
        description: "The server network of both VMs, in CIDR form.",
        fix: "pulumi config set serverSubnet 10.20.30.0/24",
        schema: network,
    },
    gateway: {
        type: "string",
        description: "Default gateway of the server network (inside serverSubnet).",
        fix: "pulumi config set gateway <an address inside serverSubnet>",
        schema: ipv4,
    },
    dnsServers: {
        type: "array",
        description: "Resolvers the VMs use (IPv4 addresses).",
        fix: 'pulumi config set --path "dnsServers[0]" <resolver address>',
        schema: z.array(ipv4).min(1),
    },
    searchDomain: {
        type: "string",
        description: "DNS search domain of the VMs (defaults to the domain of fqdn).",
        fix: "pulumi config set searchDomain <domain, e.g. lab.example.fr>",
        schema: z.string().regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/, "is not a domain name").optional(),
    },
    webAddress: {
        type: "string",
        description: "Private address of the eLabFTW (Docker) VM, inside serverSubnet.",
        fix: "pulumi config set webAddress <a free address inside serverSubnet>",
        schema: ipv4,
    },
    dbAddress: {
        type: "string",
        description: "Private address of the MySQL VM, inside serverSubnet.",
        fix: "pulumi config set dbAddress <a free address inside serverSubnet>",
        schema: ipv4,
    },
    webVmId: {
        type: "integer",
        description: "Proxmox VM ID of the eLabFTW VM (100-999999999, free on the cluster).",
        fix: "pulumi config set webVmId <free VM ID>",
        schema: vmId,
    },
    dbVmId: {
        type: "integer",
        description: "Proxmox VM ID of the MySQL VM (100-999999999, free on the cluster).",
        fix: "pulumi config set dbVmId <free VM ID>",
        schema: vmId,
    },
    webCores: { type: "integer", description: "vCPUs of the eLabFTW VM.", fix: "pulumi config set webCores 2", schema: size(1, 64).default(2) },
    webMemoryMiB: { type: "integer", description: "Memory of the eLabFTW VM in MiB.", fix: "pulumi config set webMemoryMiB 4096", schema: size(2048, 262_144).default(4096) },
    webOsDiskGiB: { type: "integer", description: "OS disk of the eLabFTW VM in GiB (disks only grow).", fix: "pulumi config set webOsDiskGiB 16", schema: size(8, 1024).default(16) },
    webDataDiskGiB: { type: "integer", description: "Encrypted data disk of the eLabFTW VM in GiB: Docker images and uploads (disks only grow).", fix: "pulumi config set webDataDiskGiB 100", schema: size(8, 65_536).default(100) },
    dbCores: { type: "integer", description: "vCPUs of the MySQL VM.", fix: "pulumi config set dbCores 2", schema: size(1, 64).default(2) },
    dbMemoryMiB: { type: "integer", description: "Memory of the MySQL VM in MiB.", fix: "pulumi config set dbMemoryMiB 4096", schema: size(2048, 262_144).default(4096) },
    dbOsDiskGiB: { type: "integer", description: "OS disk of the MySQL VM in GiB (disks only grow).", fix: "pulumi config set dbOsDiskGiB 16", schema: size(8, 1024).default(16) },
    dbDataDiskGiB: { type: "integer", description: "Encrypted data disk of the MySQL VM in GiB: database files (disks only grow).", fix: "pulumi config set dbDataDiskGiB 40", schema: size(8, 65_536).default(40) },
    edgeFirewallAddress: {
        type: "string",
        description: "Private address of the edge firewall / reverse proxy: the only source allowed to reach eLabFTW's HTTPS port.",
        fix: "pulumi config set edgeFirewallAddress <address of the reverse proxy>",
        schema: ipv4,
    },
    vpnClientRange: {
        type: "string",
        description: "Network of the VPN clients (remote users reach eLabFTW only through the VPN and the edge firewall).",
        fix: "pulumi config set vpnClientRange <CIDR of the VPN pool>",
        schema: network,
    },
    labSubnet: {
        type: "string",
        description: "The unit's user network (the paper's 1XX.1XX.1XX.0/24): denied any access to the database and the filer. Must not overlap serverSubnet.",
        fix: "pulumi config set labSubnet <CIDR of the lab's user network>",
        schema: network,
    },
    adminNetwork: {
        type: "string",
        description: "Network the sysadmins connect from: the only source of SSH to the VMs.",
        fix: "pulumi config set adminNetwork <CIDR of the admin workstations>",
        schema: network,
    },
    syslogAddress: {
        type: "string",
        description: "Central syslog server (514/udp, clear text): a private address.",
        fix: "pulumi config set syslogAddress <syslog server address>",
        schema: ipv4,
    },
    filerAddress: {
        type: "string",
        description: "NFS/CIFS filer reachable from the eLabFTW VM (2049).",
        fix: "pulumi config set filerAddress <filer address>",
        schema: ipv4,
    },
    serviceNetworks: {
        type: "array",
        description: "Networks of the infrastructure services (edge firewall, filer, syslog, DNS, NTP, proxy, backup host): each of those addresses must be in serverSubnet or one of these.",
        fix: 'pulumi config set --path "serviceNetworks[0]" <CIDR of the services network>',
        schema: z.array(network).min(1),
    },
    ntpServers: {
        type: "array",
        description: "NTP servers the VMs synchronise with (IPv4 addresses; the firewall opens 123/udp to them only).",
        fix: 'pulumi config set --path "ntpServers[0]" <NTP server address>',
        schema: z.array(ipv4).min(1),
    },
    httpProxy: {
        type: "string",
        description: "HTTP proxy for packages, container images and web-service calls (http://a.b.c.d:port). The VMs reach the outside only through it, unless egressNetworks is set.",
        fix: "pulumi config set httpProxy http://<proxy address>:3128",
        schema: z.string().regex(/^http:\/\/\d{1,3}(\.\d{1,3}){3}:\d{1,5}$/, "is not http://<IPv4 address>:<port> (the firewall needs the address)").optional(),
    },
    egressNetworks: {
        type: "array",
        description: "Networks the VMs may reach directly on 80/443 (package mirror, registry mirror) when there is no httpProxy.",
        fix: 'pulumi config set --path "egressNetworks[0]" <CIDR of the mirror>',
        schema: z
            .array(
                z
                    .string()
                    .refine((cidr) => !cidr.endsWith("/0"), { message: "is the whole Internet: name the mirrors' networks, or use httpProxy", abort: true })
                    .refine(isIpv4Network, "is not an IPv4 network in CIDR form with host bits zero (a.b.c.0/24)"),
            )
            .default([]),
    },
    extraFlows: {
        type: "array",
        description: 'Flows the unit adds to the matrix, e.g. "allow tcp adminNetwork -> db 33060 # MySQL X protocol". Endpoints: vpnClients, edgeFirewall, web, db, filer, syslog, labSubnet, adminNetwork, dns, ntp, proxy, egressNetworks, backupHost, or an IPv4 address/network. Refused: a flow that lets the VPN clients or the lab reach the DB VM, anyone but the web VM (3306) and adminNetwork reach it, the lab reach the filer, users reach the web VM but through the edge, the edge reach it beyond 443, or SSH reach the VMs from outside adminNetwork.',
        fix: 'pulumi config set --path "extraFlows[0]" "allow tcp adminNetwork -> db 33060 # why"',
        schema: z
            .array(
                z.string().superRefine((text, ctx) => {
                    const parsed = parseExtraFlow(text, 0);
                    if (typeof parsed === "string") ctx.addIssue({ code: "custom", message: parsed });
                }),
            )
            .default([]),
    },
    guestFirewall: {
        type: "boolean",
        description: "Also enforce the flow matrix inside each VM with nftables (defence in depth behind the Proxmox firewall).",
        fix: "pulumi config set guestFirewall true",
        schema: z.boolean().default(true),
    },
    manageClusterFirewall: {
        type: "boolean",
        description: "Enable the datacenter firewall and own its `management` IP set (adminNetwork), for the one stack of the cluster that owns them (docs/deploying.md: \"The datacenter firewall\"). Both are kept on the cluster when the stack is destroyed.",
        fix: "pulumi config set manageClusterFirewall true   # on the one owning stack only",
        schema: z.boolean().default(false),
    },
    importManagementIpset: {
        type: "boolean",
        description: "The datacenter's `management` IP set exists already: import it (with manageClusterFirewall) instead of creating it; its entries are kept as they are.",
        fix: "pulumi config set importManagementIpset true",
        schema: z.boolean().default(false),
    },
    egressPublicAddress: {
        type: "string",
        description: "The unit's dedicated public address for outgoing web-service calls (CNRS requirement), exported for the network team. Test stacks may use an RFC 5737 documentation address.",
        fix: "pulumi config set egressPublicAddress <public IPv4 the edge firewall NATs the VMs to>",
        schema: ipv4,
    },
    fqdn: {
        type: "string",
        description: "Fully qualified name users type to reach eLabFTW (lowercase).",
        fix: "pulumi config set fqdn elabftw.<unit domain>",
        schema: hostName,
    },
    siteUrl: {
        type: "string",
        description: "User-facing URL (eLabFTW's SITE_URL): https, no trailing slash. Defaults to https://<fqdn>.",
        fix: "pulumi config set siteUrl https://<fqdn>",
        schema: z
            .string()
            .refine((url) => url.startsWith("https://"), { message: "must start with https:// (eLabFTW is served over TLS only)", abort: true })
            .refine((url) => !url.endsWith("/"), { message: "must not end with a slash", abort: true })
            .regex(SITE_URL, "must be https://<lowercase host>[:port][/path] with a path of letters, digits and . _ ~ - only (elabimg copies it into php-fpm's config with sed)")
            .optional(),
    },
    timezone: {
        type: "string",
        description: "IANA time zone of the VMs and of eLabFTW (PHP_TIMEZONE, TZ).",
        fix: "pulumi config set timezone Europe/Paris",
        schema: z.string().refine((tz) => Intl.supportedValuesOf("timeZone").includes(tz) || tz === "UTC", "is not an IANA time zone").default("Europe/Paris"),
    },
    elabftwVersion: {
        type: "string",
        description: "eLabFTW release to run (exact tag of elabftw/elabimg, 5.x; read the release notes before changing it).",
        fix: "pulumi config set elabftwVersion 5.6.12",
        schema: versionSchema("eLabFTW", /^5\.\d+\.\d+$/, "an exact 5.x.y release; 6.x renames settings and is not supported yet"),
    },
    mysqlVersion: {
        type: "string",
        description: "MySQL server release (exact 8.4.x LTS tag of the official mysql image).",
        fix: "pulumi config set mysqlVersion 8.4.8",
        schema: versionSchema("MySQL", /^8\.4\.\d+$/, "an exact 8.4.x LTS release; 8.0 reached end of life on 2026-04-30"),
    },
    elabftwImageDigest: {
        type: "string",
        description: "Registry digest of elabftw/elabimg:<elabftwVersion> (sha256:<64 hex>): the image is then pulled as name:tag@digest, so a re-pushed tag cannot change what runs. The production-image-digests policy requires it on production.",
        fix: "pulumi config set elabftwImageDigest \"$(docker buildx imagetools inspect elabftw/elabimg:<elabftwVersion> --format '{{.Manifest.Digest}}')\"",
        schema: z.string().regex(/^sha256:[0-9a-f]{64}$/, "is not a registry digest (sha256: and 64 lowercase hex digits)").optional(),
    },
    mysqlImageDigest: {
        type: "string",
        description: "Registry digest of mysql:<mysqlVersion> (sha256:<64 hex>), pulled as name:tag@digest. The production-image-digests policy requires it on production.",
        fix: "pulumi config set mysqlImageDigest \"$(docker buildx imagetools inspect mysql:<mysqlVersion> --format '{{.Manifest.Digest}}')\"",
        schema: z.string().regex(/^sha256:[0-9a-f]{64}$/, "is not a registry digest (sha256: and 64 lowercase hex digits)").optional(),
    },
    backupTime: {
        type: "string",
        description: "Time of day (HH:MM, the VMs' time zone) of the daily backups; a random delay of up to 10 minutes is added.",
        fix: "pulumi config set backupTime 02:30",
        schema: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "is not a time of day HH:MM").default("02:30"),
    },
    backupKeepDaily: {
        type: "integer",
        description: "Daily archives kept, at least 7 (the paper's 60 days: 60).",
        fix: "pulumi config set backupKeepDaily 14",
        schema: z.number().int().min(7, "keeps less than a week of daily archives: a deletion, a corruption or ransomware noticed a few days later is already in every archive left").max(3650).default(14),
    },
    backupKeepMonthly: {
        type: "integer",
        description: "Monthly archives kept beyond the daily ones.",
        fix: "pulumi config set backupKeepMonthly 6",
        schema: z.number().int().min(0).max(600).default(6),
    },
    restoreDrillCalendar: {
        type: "string",
        description: "When the restore drill runs on the DB VM (a systemd OnCalendar expression; monthly by default).",
        fix: 'pulumi config set restoreDrillCalendar "*-*-01 04:30:00"',
        schema: z.string().regex(/^[A-Za-z0-9*,:. \-/~]{1,64}$/, "is not a systemd calendar expression").default("*-*-01 04:30:00"),
    },
    elabftwSecretKey: {
        type: "string",
        secret: true,
        description: "eLabFTW's SECRET_KEY to reuse when rebuilding a unit from its backups (the escrowed output elabftwSecretKey); leave unset on a new unit, the program generates one. Set it with --secret.",
        fix: "pulumi config set --secret elabftwSecretKey <the escrowed def00000... key>",
        schema: z.string().regex(/^def00000[0-9a-f]{128}$/, "is not an eLabFTW SECRET_KEY (136 hex digits starting with def00000)").optional(),
    },
    dbHost: {
        type: "string",
        description: "The name eLabFTW connects to (DB_HOST): it is in the MySQL certificate's SANs and mapped to dbAddress inside the eLabFTW container. Defaults to <unit>-elabftw-db.<searchDomain>.",
        fix: "pulumi config set dbHost <DNS name of the database, e.g. elabftw-db.lab.example.fr>",
        schema: hostName.optional(),
    },
    sysadminEmail: {
        type: "string",
        description: "Email (login) of the first eLabFTW sysadmin, created by db:install; the password is generated (output sysadminPassword).",
        fix: "pulumi config set sysadminEmail <address of the unit's eLabFTW administrator>",
        schema: z.string().regex(EMAIL, EMAIL_RULE),
    },
    sysadminFirstName: {
        type: "string",
        description: "First name of the first eLabFTW sysadmin.",
        fix: "pulumi config set sysadminFirstName <first name>",
        schema: personName.default("eLabFTW"),
    },
    sysadminLastName: {
        type: "string",
        description: "Last name of the first eLabFTW sysadmin.",
        fix: "pulumi config set sysadminLastName <last name>",
        schema: personName.default("Sysadmin"),
    },
    httpsCertificate: {
        type: "string",
        description: "PEM certificate chain of the site (leaf first) from the institution's CA, for fqdn: an RSA key of 2048 bits or more, or ECDSA P-256 or stronger, not expired. Without it the program's private CA issues one.",
        fix: "pulumi config set httpsCertificate < fullchain.pem   # and httpsPrivateKey, as a secret",
        schema: checkedBy(siteCertificateProblem).optional(),
    },
    httpsPrivateKey: {
        type: "string",
        secret: true,
        description: "PEM private key of httpsCertificate (unencrypted; its first certificate's key). Set it with --secret.",
        fix: "pulumi config set --secret httpsPrivateKey < privkey.pem",
        // Parsed, not pattern-matched: a truncated or encrypted key is refused here, not by nginx later.
        schema: checkedBy(siteKeyProblem).optional(),
    },
    certValidityDays: {
        type: "integer",
        description: "Validity of the certificates the private CA issues (MySQL server, operator client, HTTPS), at most 825 days.",
        fix: "pulumi config set certValidityDays 365",
        schema: z.number().int().min(30).max(825).default(365),
    },
    caValidityDays: {
        type: "integer",
        description: "Validity of the private CA certificate; longer than certValidityDays.",
        fix: "pulumi config set caValidityDays 3650",
        schema: z.number().int().min(60).max(7300).default(3650),
    },
    certRenewBeforeDays: {
        type: "integer",
        description: "A pulumi up this many days or fewer before a certificate expires re-issues it (and restarts the containers that read it); the CA renews 4 times as early.",
        fix: "pulumi config set certRenewBeforeDays 30",
        schema: z.number().int().min(1).max(180).default(30),
    },
    backupTarget: {
        type: "string",
        description: "Borg repository location off the VMs and off their server network: ssh://user@IPv4[:port]/path, or an absolute path on a mounted filer; paths of letters, digits and . _ / - only (the value reaches the VMs' Borg settings and the backup host's forced command).",
        fix: "pulumi config set backupTarget ssh://borg@<backup host IPv4>/./elabftw",
        schema: z.string().superRefine((target, ctx) => {
            const problem = backupTargetProblem(target);
            if (problem) ctx.addIssue({ code: "custom", message: problem });
        }),
    },
    backupHostKey: {
        type: "string",
        description: "The backup host's SSH public host key, one line as in its /etc/ssh/ssh_host_ed25519_key.pub (required for an ssh:// backupTarget): Borg refuses any other key before a byte of data moves.",
        fix: 'pulumi config set backupHostKey "$(ssh <backup host> cat /etc/ssh/ssh_host_ed25519_key.pub)" (check its fingerprint with the backup host\'s administrator)',
        schema: z
            .string()
            .superRefine((key, ctx) => {
                const problem = /[\r\n]/.test(key.trim()) ? "holds more than one line: give the one line of the host key" : sshPublicKeyProblem(key) ?? (/^\S+ \S+( [A-Za-z0-9@._-]+)?$/.test(key.trim()) ? undefined : "has a comment with characters other than letters, digits and @ . _ -");
                if (problem) ctx.addIssue({ code: "custom", message: problem });
            })
            .optional(),
    },
    adminUser: {
        type: "string",
        description: "Login of the administrator account created on both VMs (SSH keys only, sudo).",
        fix: "pulumi config set adminUser elabadmin",
        schema: z
            .string()
            .regex(/^[a-z_][a-z0-9_-]{0,31}$/, "is not a valid Linux user name")
            .refine((user) => !["root", "daemon", "bin", "sys", "mysql", "www-data"].includes(user), "is a system account")
            .default("elabadmin"),
    },
    adminSshKeys: {
        type: "array",
        description: "OpenSSH public keys allowed to log in as adminUser (ed25519, ECDSA, FIDO sk- keys, or RSA >= 3072 bits).",
        fix: 'pulumi config set --path "adminSshKeys[0]" "$(cat ~/.ssh/id_ed25519.pub)"',
        schema: z
            .array(
                z.string().superRefine((key, ctx) => {
                    const problem = sshPublicKeyProblem(key);
                    if (problem) ctx.addIssue({ code: "custom", message: problem });
                }),
            )
            .min(1),
    },
    sshPrivateKey: {
        type: "string",
        secret: true,
        description: "Private key the program uses to reach the VMs over SSH, in OpenSSH format without passphrase, ed25519, ECDSA or RSA of 3072 bits or more (optional: by default the workstation's ssh-agent, SSH_AUTH_SOCK, is used). Set it with --secret.",
        fix: "pulumi config set --secret sshPrivateKey < ~/.ssh/id_ed25519   # or pulumi config rm sshPrivateKey to use the agent",
        schema: z
            .string()
            .superRefine((key, ctx) => {
                const problem = sshPrivateKeyProblem(key);
                if (problem) ctx.addIssue({ code: "custom", message: problem });
            })
            .optional(),
    },
    ...SETTINGS_KEYS,
} satisfies Record<string, KeySpec>;

export type KeyName = keyof typeof KEYS;
export const KEY_NAMES = Object.keys(KEYS) as KeyName[];

/** True for a key that no stack may omit. */
export function isRequired(key: KeyName): boolean {
    const schema: z.ZodType = KEYS[key].schema;
    return !schema.safeParse(undefined).success;
}
