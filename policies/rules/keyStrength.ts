// Hardening: key sizes and certificate lifetimes of the private CA, the strength of generated secrets
// (passwords, passphrases, key bytes) as the random provider draws them, and the CA's trust chain:
// only the CA signs, and its private key goes nowhere but into the signing of leaf certificates (a
// host holding it could mint the operator's client certificate or another server's).
import { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { generatedSecretBits } from "../models/randomSecrets";
import { pemCertificates, serverLeafDays, weakCertificateKey } from "../models/certificates";
import { sshdTexts, weakSshAlgorithms } from "../models/sshd";
import { plaintextStrings } from "../models/secretScan";
import { knownOrUndefined, ofType, TYPES } from "./common";
import { installedPath, vmFileTexts } from "./deployedText";
import { stdinWriteTargets } from "../models/programText";
import { rootPasswordOnWebVm } from "./rootPassword";

const CURVES = ["P256", "P384", "P521"];
const HOURS_PER_DAY = 24;
const SIGNING_USES = ["cert_signing", "crl_signing"];
const CERT_REQUEST = "tls:index/certRequest:CertRequest";

/** The base64 body of a PEM block, whitespace removed: how the key is recognised wherever it is copied. */
const pemBody = (pem: string) => pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "");

/** The CA's private key resources: what a self-signed CA certificate is made from (dependency or value). */
function caKeys(resources: readonly PolicyResource[]): PolicyResource[] {
    const keys = ofType(resources, TYPES.privateKey);
    return ofType(resources, TYPES.selfSignedCert)
        .filter((ca) => ca.props.isCaCertificate === true)
        .flatMap((ca) => {
            const bySource = ca.propertyDependencies?.privateKeyPem ?? [];
            const pem = knownOrUndefined(() => ca.props.privateKeyPem);
            return keys.filter((k) => bySource.some((s) => s.urn === k.urn) || (typeof pem === "string" && pem.length > 0 && knownOrUndefined(() => k.props.privateKeyPem) === pem));
        });
}

/** Where a CA key reaches beyond signing: fields whose value holds it, or that the engine says come from it. */
function caKeyUses(key: PolicyResource, resources: readonly PolicyResource[]): { resource: PolicyResource; field: string }[] {
    const pem = knownOrUndefined(() => key.props.privateKeyPem);
    const body = typeof pem === "string" ? pemBody(pem) : "";
    const allowed = (r: PolicyResource, field: string) => r.urn === key.urn || (r.type === TYPES.selfSignedCert && field === "privateKeyPem") || (r.type === TYPES.locallySignedCert && field === "caPrivateKeyPem");
    const found: { resource: PolicyResource; field: string }[] = [];
    for (const r of resources) {
        const fields = new Set<string>();
        for (const [field, sources] of Object.entries(r.propertyDependencies ?? {})) if (sources.some((s) => s.urn === key.urn)) fields.add(field);
        // 40 base64 characters (30 bytes of key material) never match by chance.
        if (body.length >= 40) for (const { path, text } of plaintextStrings(r.props, [], "", knownOrUndefined)) if (pemBody(text).includes(body)) fields.add(path.split(".")[0]);
        for (const field of fields) if (!allowed(r, field)) found.push({ resource: r, field });
    }
    return found;
}

export const keyStrength: StackValidationPolicy = {
    name: "key-strength-and-validity",
    description:
        "Keys are RSA of at least the configured size, ECDSA on P-256 or stronger, or ED25519, installed unreadable by other accounts; leaf certificates last at most the configured days, renew early, cannot sign, serve one side of TLS only (not server_auth and client_auth together) and name no wildcard; the CA lasts at most the configured days and its private key is used only to sign leaf certificates; no private key or Borg passphrase installed on two VMs; generated secrets carry at least the configured bits (length over the alphabet drawn from); no keepers on generated secrets; MySQL's root password never on the web VM; one private key, passphrase or LUKS passphrase per VM; one private key per certificate request; every certificate handed to the deployment from outside (an identity provider's, a site's) carries an RSA key of at least 2048 bits or an EC key of 256 bits or more, and a TLS server certificate among them lasts at most the configured leaf days; sshd offers no SHA-1, CBC or DSA algorithm (its files read as sshd reads them).",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            minimumRsaBits: { type: "integer", default: 3072, description: "Smallest RSA key accepted." },
            maximumLeafDays: { type: "integer", default: 825, description: "Longest validity of a server or client certificate." },
            maximumCaDays: { type: "integer", default: 7300, description: "Longest validity of the CA certificate." },
            minimumGeneratedSecretBits: { type: "integer", default: 128, description: "Least strength of a generated password, passphrase or byte string: its length times log2 of the alphabet the random provider draws from (bytes: 8 bits each)." },
        },
    },
    validateStack: (args, reportViolation) => {
        const { minimumRsaBits, maximumLeafDays, maximumCaDays, minimumGeneratedSecretBits } = args.getConfig<{ minimumRsaBits: number; maximumLeafDays: number; maximumCaDays: number; minimumGeneratedSecretBits: number }>();
        // Certificates from outside the stack (an IdP's signing certificate, a site certificate), wherever
        // the deployment hands them over: a weak key lets whoever factors it sign or serve as that party.
        for (const r of args.resources) {
            const found = new Set<string>();
            for (const { path, text } of plaintextStrings(r.props, [], "", (get) => knownOrUndefined(get)).filter((t) => t.text.includes("BEGIN CERTIFICATE"))) {
                for (const pem of pemCertificates(text)) {
                    const weak = weakCertificateKey(pem);
                    if (weak && !found.has(weak)) reportViolation(`${r.name}: ${path} holds a certificate with ${weak}: whoever factors or steals that key signs (SAML assertions) or serves (TLS) as its owner. Fix: ask its issuer for an RSA key of at least 2048 bits (3072 from 2030) or an EC key of 256 bits or more.`, r.urn);
                    if (weak) found.add(weak);
                    // A TLS server certificate lives as long as its key may be used after a leak: the same bound as the program's own leaves.
                    const days = serverLeafDays(pem);
                    if (days !== undefined && days > maximumLeafDays && !found.has(`days:${days}`)) {
                        reportViolation(`${r.name}: ${path} holds a TLS server certificate valid ${days} days (at most ${maximumLeafDays}): a leaked key stays usable that long, revocation seldom reaches the clients. Fix: a certificate of ${maximumLeafDays} days or less (public CAs issue 398 at most); the program's own leaves follow certValidityDays.`, r.urn);
                        found.add(`days:${days}`);
                    }
                }
            }
        }
        // sshd's algorithms as sshd reads its files: an administrative session on SHA-1, CBC or DSA can be broken or forged.
        for (const vm of ofType(args.resources, TYPES.vm)) {
            const files = vmFileTexts(vm, args.resources);
            const last = new Map([...files].map(([path, texts]) => [path, texts.at(-1)] as const));
            for (const weak of weakSshAlgorithms(sshdTexts(last))) reportViolation(`${vm.name}: sshd offers ${weak}: administrative sessions may run on algorithms ANSSI's SSH guide rules out (SHA-1, CBC, DSA), which an attacker on the path can break or forge. Fix: remove the setting (OpenSSH's defaults are sound).`, vm.urn);
        }
        for (const r of args.resources) {
            const p = r.props;
            const report = (message: string) => reportViolation(`${r.name}: ${message}`, r.urn);
            if (r.type === TYPES.privateKey) {
                if (p.algorithm === "RSA" && (p.rsaBits ?? 2048) < minimumRsaBits) report(`RSA key of ${p.rsaBits ?? 2048} bits. Fix: use ECDSA P-384 or RSA >= ${minimumRsaBits}.`);
                if (p.algorithm === "ECDSA" && !CURVES.includes(p.ecdsaCurve ?? "P224")) report(`ECDSA curve ${p.ecdsaCurve ?? "P224"}. Fix: use P-256 or stronger.`);
            }
            if (r.type === TYPES.locallySignedCert) {
                if (p.validityPeriodHours > maximumLeafDays * HOURS_PER_DAY) report(`valid ${p.validityPeriodHours / HOURS_PER_DAY} days. Fix: at most ${maximumLeafDays} (certValidityDays).`);
                if (!(p.earlyRenewalHours > 0)) report(`never renews before expiry. Fix: set earlyRenewalHours (certRenewBeforeDays).`);
                const uses = (p.allowedUses ?? []) as string[];
                // One side per certificate: a client key (the operator's, exported to laptops) that is also a
                // server certificate under the CA eLabFTW trusts can impersonate the database.
                if (uses.includes("server_auth") && uses.includes("client_auth")) {
                    report(`a certificate for both sides of TLS (server_auth and client_auth): whoever holds the client's key can also serve as a server the CA's clients trust (the database to eLabFTW). Fix: issue a client certificate with client_auth only, a server certificate with server_auth only.`);
                }
                const signing = uses.filter((u) => SIGNING_USES.includes(u));
                if (p.isCaCertificate === true || signing.length > 0) {
                    report(`a leaf certificate that can sign others (${[p.isCaCertificate === true ? "isCaCertificate" : "", ...signing].filter(Boolean).join(", ")}): whoever holds its key mints certificates the CA's clients trust. Fix: isCaCertificate false, and only the leaf's uses (digital_signature, key_encipherment, server_auth or client_auth).`);
                }
            }
            // A wildcard name makes the certificate (and whoever holds its key) valid for every
            // host of the domain, the eLabFTW site included.
            if (r.type === CERT_REQUEST) {
                const wildcards = (((knownOrUndefined(() => p.dnsNames) ?? []) as unknown[]).map(String)).filter((n) => n.includes("*"));
                if (wildcards.length > 0) report(`requests a certificate for ${wildcards.join(", ")}: valid for every host of the domain under the CA the stack's clients trust. Fix: name the host exactly (its FQDN and address only).`);
            }
            const bits = generatedSecretBits(r.type, p);
            if (bits !== undefined && bits < minimumGeneratedSecretBits) {
                report(`a generated secret of ${bits} bits (length ${p.length ?? p.byteLength}). Fix: at least ${minimumGeneratedSecretBits} bits: 22 alphanumeric characters, or 16 bytes (the program generates 32 to 64 characters).`);
            }
            // Keepers replace a generated secret whenever one of them changes: what the old value
            // protects (eLabFTW's SMTP and timestamping passwords encrypted under SECRET_KEY, a LUKS
            // keyslot, a Borg repository key, a MySQL account) is then out of reach of the new one.
            const keepers = bits !== undefined ? knownOrUndefined(() => p.keepers) : undefined;
            if (keepers && typeof keepers === "object" && Object.keys(keepers).length > 0) {
                report(`a generated secret with keepers (${Object.keys(keepers).join(", ")}): it is replaced whenever one changes, and what it encrypted or unlocked no longer opens. Fix: remove the keepers; replace a secret only deliberately (pulumi up --replace <urn>), after re-keying what it protects.`);
            }
            if (r.type === TYPES.selfSignedCert && p.validityPeriodHours > maximumCaDays * HOURS_PER_DAY) {
                report(`valid ${p.validityPeriodHours / HOURS_PER_DAY} days. Fix: at most ${maximumCaDays} (caValidityDays).`);
            }
        }
        // A private key installed on a VM is readable by its owner (and a dedicated group: nginx's
        // for the HTTPS key) only: the "other" bits let every account and container user read it.
        for (const command of ofType(args.resources, TYPES.command)) {
            const install = /install-file\.sh'? --path (\S+) .*--mode (\d+)/.exec(String(command.props.create ?? ""));
            if (!install || (parseInt(install[2], 8) & 0o007) === 0) continue;
            const stdin = knownOrUndefined(() => command.props.stdin);
            const fromKey = (command.propertyDependencies?.stdin ?? []).some((r) => r.type === TYPES.privateKey);
            if (fromKey || (typeof stdin === "string" && /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(stdin))) {
                reportViolation(`${command.name}: installs the private key ${install[1]} with mode ${install[2]}, readable by every account of the VM. Fix: mode 0400 (0440 for a dedicated group), owned by the account that uses it.`, command.urn);
            }
        }
        // One host, one key: a private key or a Borg passphrase installed on two VMs lets either
        // open what belongs to the other (the exposed web VM the database's repository, say).
        const installedOn = new Map<string, { hosts: Set<string>; commands: PolicyResource[]; what: string }>();
        for (const command of ofType(args.resources, TYPES.command)) {
            // Where the stdin lands: an installed file, a file the command copies stdin into, or (for
            // cryptsetup luksFormat) a LUKS keyslot.
            const create = String(command.props.create ?? "");
            const formats = /\bcryptsetup\b[^\n]*\bluksFormat\b/.test(create);
            const path = installedPath(command) ?? stdinWriteTargets(create)[0] ?? (formats ? "(a LUKS keyslot)" : undefined);
            const host = path ? knownOrUndefined(() => command.props.connection?.host as string | undefined) : undefined;
            if (!path || !host) continue;
            const stdin = knownOrUndefined(() => command.props.stdin);
            const keyMaterial = typeof stdin === "string" && /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(stdin);
            const identities = [
                ...(typeof stdin === "string" && (keyMaterial || /\/passphrase$/.test(path) || formats) && stdin.trim().length >= 8 ? [`value:${pemBody(stdin) || stdin.trim()}`] : []),
                ...(command.propertyDependencies?.stdin ?? []).filter((r) => r.type === TYPES.privateKey).map((r) => `key:${r.urn}`),
            ];
            for (const id of identities) {
                const entry = installedOn.get(id) ?? { hosts: new Set<string>(), commands: [], what: formats ? "LUKS passphrase" : /\/passphrase$/.test(path) ? "passphrase" : "private key" };
                entry.hosts.add(host);
                entry.commands.push(command);
                installedOn.set(id, entry);
            }
        }
        const reportedShares = new Set<string>();
        for (const { hosts, commands, what } of installedOn.values()) {
            const names = commands.map((c) => c.name).sort().join(", ");
            if (hosts.size < 2 || reportedShares.has(names)) continue;
            reportedShares.add(names);
            reportViolation(`${names}: install the same ${what} on ${[...hosts].join(" and ")}: either VM can open what the other's ${what} protects. Fix: one ${what} per VM (the Backup component generates one for each).`, commands[0].urn);
        }
        // One key, one identity: two certificate requests on the same private key make one key stand
        // for two parties (the operator's laptop holding the DB server's key, say).
        const byKey = new Map<string, PolicyResource[]>();
        for (const csr of ofType(args.resources, CERT_REQUEST)) {
            const pem = knownOrUndefined(() => csr.props.privateKeyPem);
            const ids = [...(typeof pem === "string" && pem.includes("PRIVATE KEY") ? [`value:${pemBody(pem)}`] : []), ...(csr.propertyDependencies?.privateKeyPem ?? []).filter((r) => r.type === TYPES.privateKey).map((r) => `key:${r.urn}`)];
            for (const id of ids) byKey.set(id, [...(byKey.get(id) ?? []), csr]);
        }
        const sharedKeys = new Set<string>();
        for (const csrs of byKey.values()) {
            const names = [...new Set(csrs.map((c) => c.name))].sort();
            if (names.length < 2 || sharedKeys.has(names.join())) continue;
            sharedKeys.add(names.join());
            reportViolation(`${names.join(", ")}: request certificates on one private key: whoever holds it for one role (an operator's laptop, say) can act as the other (the DB server). Fix: one key per certificate (the PrivateCa component generates one for each).`, csrs[0].urn);
        }
        for (const { resource, where } of rootPasswordOnWebVm(args.resources)) {
            reportViolation(`${resource.name}: ${where} holds MySQL's root password on the web VM: whoever takes the exposed VM owns every database and grant. Fix: give root its own generated password, kept on the DB VM only (the Secrets component generates one apart from the eLabFTW account's).`, resource.urn);
        }
        for (const key of caKeys(args.resources)) {
            for (const use of caKeyUses(key, args.resources)) {
                reportViolation(`${use.resource.name}: its ${use.field} holds the private CA's key (${key.name}); wherever it lands, that holder can mint the operator's client certificate or a server certificate. Fix: use the CA key only as caPrivateKeyPem of the certificates it signs; give each host its own key.`, use.resource.urn);
            }
        }
    },
};
