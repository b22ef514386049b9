// Regenerates the two documents that follow the config table (components/config/keys.ts): the
// `config:` section of Pulumi.yaml and the keys table of docs/configuration.md. `npm run config:docs`;
// test/projectFile.test.ts fails when either is out of step.
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parseDocument, stringify } from "yaml";
import { z } from "zod";
import { KEYS, KEY_NAMES, KeySpec } from "../components/config/keys";
import { REPO } from "../components/config/stackFile";
import { Command, EXIT, EXIT_CODES_HELP, runCommand } from "./cli";

const spec = (key: string) => (KEYS as Record<string, KeySpec>)[key];
const defaultOf = (key: string) => (spec(key).schema as z.ZodType).safeParse(undefined);

export function projectConfigSection(): Record<string, unknown> {
    return Object.fromEntries(
        KEY_NAMES.map((key) => {
            const parsed = defaultOf(key);
            const declaration: Record<string, unknown> = { type: spec(key).type };
            if (spec(key).type === "array") declaration.items = { type: "string" };
            declaration.description = spec(key).description;
            // The CLI requires every declared key that has no default: optional keys default to "" (not set).
            // The CLI checks a default against the declared type: an unset array defaults to [].
            if (parsed.success) declaration.default = parsed.data ?? (spec(key).type === "array" ? [] : "");
            return [key, declaration];
        }),
    );
}

export function keysTable(): string {
    const escape = (text: string) => text.replace(/\|/g, "\\|").replace(/</g, "&lt;").replace(/>/g, "&gt;");
    const rows = KEY_NAMES.map((key) => {
        const parsed = defaultOf(key);
        const fallback = !parsed.success ? "**required**" : parsed.data === undefined ? "not set" : `\`${JSON.stringify(parsed.data)}\``;
        return `| \`${key}\` | ${spec(key).type}${spec(key).secret ? " (secret)" : ""} | ${fallback} | ${escape(spec(key).description)} |`;
    });
    return ["| Key | Type | Default | Meaning |", "|---|---|---|---|", ...rows].join("\n");
}

/** Values of the production example for the keys it sets (the others show their default, commented out). */
const PRODUCTION_VALUES: Record<string, unknown> = {
    stackKind: "production",
    unit: "ibgc",
    proxmoxNode: "pve1",
    webNode: "pve1",
    dbNode: "pve2",
    clusterNodes: ["pve1", "pve2", "pve3"],
    highAvailability: true,
    manageClusterFirewall: true,
    vmIdRange: "2100-2199",
    datastores: ["ceph-crypt=os,data,efi,tpm,cloudinit", "cephfs=snippets,import"],
    sharedDatastores: ["ceph-crypt", "cephfs"],
    encryptedDatastores: ["ceph-crypt"],
    diskEncryption: "guest-luks",
    cloudImageVolume: "cephfs:import/debian-13-generic-amd64.qcow2",
    vlanId: 30,
    serverSubnet: "10.20.30.0/24",
    gateway: "10.20.30.1",
    dnsServers: ["10.20.60.2", "10.20.60.3"],
    webAddress: "10.20.30.10",
    dbAddress: "10.20.30.11",
    webVmId: 2101,
    dbVmId: 2102,
    webDataDiskGiB: 200,
    dbDataDiskGiB: 40,
    edgeFirewallAddress: "10.20.1.10",
    vpnClientRange: "10.8.0.0/16",
    labSubnet: "10.20.40.0/24",
    adminNetwork: "10.20.50.0/28",
    syslogAddress: "10.20.60.5",
    filerAddress: "10.20.60.20",
    serviceNetworks: ["10.20.60.0/24", "10.20.1.0/24"],
    ntpServers: ["10.20.60.2"],
    httpProxy: "http://10.20.60.8:3128",
    egressPublicAddress: "REPLACE-with-the-unit-public-address",
    fqdn: "elabftw.ibgc.example.org",
    elabftwVersion: "5.6.12",
    mysqlVersion: "8.4.8",
    // No published digest could be checked from here: placeholders the validator refuses until replaced.
    elabftwImageDigest: "REPLACE-with-the-digest-of-elabftw/elabimg:5.6.12",
    mysqlImageDigest: "REPLACE-with-the-digest-of-mysql:8.4.8",
    backupTarget: "ssh://borg@10.20.60.20:22/./elabftw-ibgc",
    backupHostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBh1GxCkAO9AwNQjZJ5XiA2LZ8fvrUYL9o5BLNo8RhaP root@backup",
    backupKeepDaily: 60,
    sysadminEmail: "elabftw-admin@ibgc.example.org",
    adminSshKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG2LVbgXmWLFZO2g/WWJXS+1GxGmA/eMcIC4G1nh3DcT sysadmin@lab.example.org"],
    // The identity provider's own metadata (ask its operators: for Janus+, the CNRS DSI).
    samlIdpMetadataUrl: "https://idp.example.org/idp/shibboleth",
    allowedEmailDomains: ["cnrs.fr"],
    timestampAuthority: "dfn",
    smtpHost: "smtp.ibgc.example.org",
    smtpFrom: "elabftw-noreply@ibgc.example.org",
    extraFlows: ["allow tcp web -> 10.20.60.25 587 # SMTP relay (smtpHost)"],
};

/** Pulumi.prod.yaml.example: every key, explained, with production values or its default. */
export function productionExample(): string {
    const lines = [
        "# A production stack, every key explained. Copy it to Pulumi.<stack>.yaml, replace the values",
        "# (REPLACE-... marks what has no sensible example), then `pulumi stack init <stack>`.",
        "# No secret belongs here: the API token comes from PROXMOX_VE_API_TOKEN, and the secret keys",
        "# (sshPrivateKey, httpsPrivateKey, elabftwSecretKey) are set with `pulumi config set --secret`.",
        "config:",
        "  proxmoxve:endpoint: https://pve1.ibgc.example.org:8006/",
        "  # SSH to the nodes for the cloud-init snippets, as the unit's own unprivileged user that",
        "  # `npm run proxmox-acl` creates (allowed to write this stack's snippets only), never root.",
        "  proxmoxve:ssh:",
        "    username: elabftw-ibgc",
        "    agent: true",
    ];
    for (const key of KEY_NAMES) {
        const parsed = defaultOf(key);
        const required = !parsed.success;
        lines.push("", ...`${spec(key).description}${required ? " Required." : ""}`.match(/.{1,96}(\s|$)/g)!.map((line) => `  # ${line.trim()}`));
        const value = key in PRODUCTION_VALUES ? PRODUCTION_VALUES[key] : parsed.success ? parsed.data : undefined;
        const rendered = stringify({ [`elabftw-onprem:${key}`]: value ?? "" }, { lineWidth: 0 }).trimEnd().split("\n").map((line) => `  ${line}`);
        if (key in PRODUCTION_VALUES || required) lines.push(...rendered);
        else lines.push(...rendered.map((line) => line.replace(/^  /, "  # ")));
    }
    return `${lines.join("\n")}\n`;
}

export const TABLE_START = "<!-- config-keys:start -->";
export const TABLE_END = "<!-- config-keys:end -->";

const COMMAND: Command = {
    name: "config:docs",
    synopsis: "",
    options: {},
    positionals: 0,
    help: ["Regenerates, from components/config/keys.ts and settingsKeys.ts: the config section of Pulumi.yaml,", "the keys table of docs/configuration.md and Pulumi.prod.yaml.example. Takes no argument.", "", EXIT_CODES_HELP].join("\n"),
};

if (require.main === module) void runCommand(COMMAND, regenerate);

function regenerate(): number {
    const projectFile = path.join(REPO, "Pulumi.yaml");
    const document = parseDocument(readFileSync(projectFile, "utf8"));
    document.set("config", projectConfigSection());
    writeFileSync(projectFile, document.toString({ lineWidth: 0 }));

    const referenceFile = path.join(REPO, "docs", "configuration.md");
    const reference = readFileSync(referenceFile, "utf8");
    const start = reference.indexOf(TABLE_START);
    const end = reference.indexOf(TABLE_END);
    if (start < 0 || end < start) throw new Error(`docs/configuration.md lacks the ${TABLE_START} ... ${TABLE_END} markers`);
    writeFileSync(referenceFile, `${reference.slice(0, start + TABLE_START.length)}\n${keysTable()}\n${reference.slice(end)}`);
    writeFileSync(path.join(REPO, "Pulumi.prod.yaml.example"), productionExample());
    console.log("Pulumi.yaml, Pulumi.prod.yaml.example and docs/configuration.md: regenerated from components/config/keys.ts");
    return EXIT.ok;
}
