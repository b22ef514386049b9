// Over 300 lines on purpose: every TLS resource type the program uses, made for real with node:crypto and openssl.
// Stand-in for the pulumi-resource-tls plugin 5.6.1 (what @pulumi/tls 5.6.1 asks for): the real
// one is bridged from hashicorp/terraform-provider-tls (plugin framework) and cannot be built from
// Go modules here. Run by .toolchain/plugins/resource-tls-v5.6.1/ (tools/pulumi-toolchain/build.sh).
//
// Reproduces, for PrivateKey, SelfSignedCert, CertRequest and LocallySignedCert:
//   - real keys from node:crypto (RSA default 2048 bits, ECDSA default curve P224, ED25519) in
//     the real encodings: privateKeyPem PKCS#1 / SEC1 / PKCS#8 (ED25519), privateKeyPemPkcs8,
//     publicKeyPem (PKIX), OpenSSH public key and openssh-key-v1 private key, MD5 and SHA256
//     fingerprints, all "" for P224 as the real one (x/crypto/ssh has no P224); id = SHA-1 hex
//     of the public key's DER;
//   - real certificates and requests from openssl: subject in Go's order, SANs (dnsNames,
//     ipAddresses, uris), critical basicConstraints (CA:TRUE + pathlen from maxPathLength when
//     isCaCertificate), critical keyUsage and extendedKeyUsage from allowedUses, the subject key
//     id when setSubjectKeyId or a CA, the authority key id when signing with a CA that has one
//     (or setAuthorityKeyId), SHA-256/384/512 by key as Go picks; the request's subject and
//     SANs are copied into a locally signed certificate; certificate id = serial in decimal;
//     validityStartTime/EndTime from the certificate, RFC 3339;
//   - keyAlgorithm / caKeyAlgorithm, readyForRenewal false; in preview of a create the PEMs,
//     times, ids and key algorithms are unknown;
//   - replacement on any change of every input but earlyRenewalHours (RequiresReplace in the
//     real schema), and when a certificate is due: now >= validityEnd - earlyRenewalHours
//     (readyForRenewal, checked at each diff, as the real ModifyPlan does);
//   - private keys come back secret (privateKeyPem, privateKeyPemPkcs8, privateKeyOpenssh;
//     the certificates' privateKeyPem/caPrivateKeyPem inputs stay secret in state).
// Does not: validity periods other than whole days (openssl 3.0 counts days; an error says so),
// the *Wo write-only inputs, email SANs and the full subject (street/postal/serialNumber kept in
// the subject line only), the legacy keyAlgorithm input, refresh (Read gives the state back).
import { spawnSync } from "node:child_process";
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject, randomBytes, X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { serve, type Props } from "./lib/standIn";
import { EXTENDED_KEY_USAGE, KEY_USAGE } from "../../../tools/offline/tlsStandIn";

// ---- keys

const CURVES: Record<string, { node: string; ssh?: string; hash: string }> = {
    P224: { node: "P-224", hash: "sha256" },
    P256: { node: "P-256", ssh: "nistp256", hash: "sha256" },
    P384: { node: "P-384", ssh: "nistp384", hash: "sha384" },
    P521: { node: "P-521", ssh: "nistp521", hash: "sha512" },
};

function u32(n: number): Buffer {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
}
const sshString = (b: Buffer | string) => {
    const buf = Buffer.isBuffer(b) ? b : Buffer.from(b);
    return Buffer.concat([u32(buf.length), buf]);
};
function mpint(b64url: string): Buffer {
    let b = Buffer.from(b64url, "base64url");
    while (b.length > 1 && b[0] === 0 && !(b[1] & 0x80)) b = b.subarray(1);
    if (b[0] & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
    return sshString(b);
}

/** OpenSSH wire forms of a key: public blob and the private part of openssh-key-v1, or undefined (P224). */
function sshForms(key: KeyObject, algorithm: string, curve: string): { type: string; pub: Buffer; priv: Buffer } | undefined {
    const jwk = key.export({ format: "jwk" }) as Record<string, string>;
    if (algorithm === "ED25519") {
        const pub = Buffer.from(jwk.x, "base64url");
        const seed = Buffer.from(jwk.d, "base64url");
        return { type: "ssh-ed25519", pub: Buffer.concat([sshString("ssh-ed25519"), sshString(pub)]), priv: Buffer.concat([sshString("ssh-ed25519"), sshString(pub), sshString(Buffer.concat([seed, pub]))]) };
    }
    if (algorithm === "ECDSA") {
        const ssh = CURVES[curve].ssh;
        if (!ssh) return undefined;
        const type = `ecdsa-sha2-${ssh}`;
        const q = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x, "base64url"), Buffer.from(jwk.y, "base64url")]);
        return { type, pub: Buffer.concat([sshString(type), sshString(ssh), sshString(q)]), priv: Buffer.concat([sshString(type), sshString(ssh), sshString(q), mpint(jwk.d)]) };
    }
    return {
        type: "ssh-rsa",
        pub: Buffer.concat([sshString("ssh-rsa"), mpint(jwk.e), mpint(jwk.n)]),
        priv: Buffer.concat([sshString("ssh-rsa"), mpint(jwk.n), mpint(jwk.e), mpint(jwk.d), mpint(jwk.qi), mpint(jwk.p), mpint(jwk.q)]),
    };
}

function pem(label: string, der: Buffer): string {
    const lines = der.toString("base64").match(/.{1,64}/g) ?? [];
    return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

function opensshPrivateKey(forms: { pub: Buffer; priv: Buffer }): string {
    const check = randomBytes(4);
    let body = Buffer.concat([check, check, forms.priv, sshString("")]);
    for (let pad = 1; body.length % 8 !== 0; pad++) body = Buffer.concat([body, Buffer.from([pad])]);
    const blob = Buffer.concat([Buffer.from("openssh-key-v1\0"), sshString("none"), sshString("none"), sshString(""), u32(1), sshString(forms.pub), sshString(body)]);
    return pem("OPENSSH PRIVATE KEY", blob);
}

function keyOutputs(key: KeyObject, algorithm: string, curve: string): Props {
    const pub = createPublicKeyDer(key);
    const forms = sshForms(key, algorithm, curve);
    const privateKeyPem =
        algorithm === "RSA"
            ? (key.export({ type: "pkcs1", format: "pem" }) as string)
            : algorithm === "ECDSA"
              ? (key.export({ type: "sec1", format: "pem" }) as string)
              : (key.export({ type: "pkcs8", format: "pem" }) as string);
    return {
        id: createHash("sha1").update(pub).digest("hex"),
        privateKeyPem,
        privateKeyPemPkcs8: key.export({ type: "pkcs8", format: "pem" }) as string,
        publicKeyPem: pem("PUBLIC KEY", pub),
        privateKeyOpenssh: forms ? opensshPrivateKey(forms) : "",
        publicKeyOpenssh: forms ? `${forms.type} ${forms.pub.toString("base64")}\n` : "",
        publicKeyFingerprintMd5: forms ? (createHash("md5").update(forms.pub).digest("hex").match(/../g) ?? []).join(":") : "",
        publicKeyFingerprintSha256: forms ? `SHA256:${createHash("sha256").update(forms.pub).digest("base64").replace(/=+$/, "")}` : "",
    };
}

function createPublicKeyDer(key: KeyObject): Buffer {
    return createPublicKey(key).export({ type: "spki", format: "der" });
}

function generate(inputs: Props): Props {
    const algorithm = String(inputs.algorithm);
    const curve = String(inputs.ecdsaCurve ?? "P224");
    let key: KeyObject;
    if (algorithm === "RSA") key = generateKeyPairSync("rsa", { modulusLength: Number(inputs.rsaBits ?? 2048) }).privateKey;
    else if (algorithm === "ECDSA") {
        if (!CURVES[curve]) throw new Error(`invalid ecdsaCurve ${curve}: P224, P256, P384 or P521`);
        key = generateKeyPairSync("ec", { namedCurve: CURVES[curve].node }).privateKey;
    } else if (algorithm === "ED25519") key = generateKeyPairSync("ed25519").privateKey;
    else throw new Error(`invalid algorithm ${algorithm}: RSA, ECDSA or ED25519`);
    return keyOutputs(key, algorithm, curve);
}

function algorithmOf(privateKeyPem: string): { algorithm: string; digest: string } {
    const key = createPrivateKey(privateKeyPem);
    switch (key.asymmetricKeyType) {
        case "rsa":
            return { algorithm: "RSA", digest: "sha256" };
        case "ec": {
            const curve = key.asymmetricKeyDetails?.namedCurve;
            const digest = curve === "secp384r1" ? "sha384" : curve === "secp521r1" ? "sha512" : "sha256";
            return { algorithm: "ECDSA", digest };
        }
        case "ed25519":
            return { algorithm: "ED25519", digest: "" };
        default:
            throw new Error(`unsupported private key type ${key.asymmetricKeyType}`);
    }
}

// ---- certificates


function openssl(args: string[], input?: string): string {
    const r = spawnSync("openssl", args, { input, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`openssl ${args[0]}: ${r.error?.message ?? r.stderr}`);
    return r.stdout;
}

function inTemp<T>(work: (file: (name: string, content: string) => string) => T): T {
    const dir = mkdtempSync(path.join(tmpdir(), "tls-stand-in-"));
    try {
        return work((name, content) => {
            const f = path.join(dir, name);
            writeFileSync(f, content, { mode: 0o600 });
            return f;
        });
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}

function subjectLine(subject: unknown): string {
    const s = (subject ?? {}) as Record<string, unknown>;
    const esc = (v: unknown) => String(v).replace(/[/\\+=,]/g, "\\$&");
    // Go's pkix.Name order: C, O, OU, L, ST, street, postalCode, serialNumber, CN.
    const parts: [string, unknown][] = [
        ["C", s.country],
        ["O", s.organization],
        ["OU", s.organizationalUnit],
        ["L", s.locality],
        ["ST", s.province],
        ...((Array.isArray(s.streetAddresses) ? s.streetAddresses : []) as unknown[]).map((a): [string, unknown] => ["street", a]),
        ["postalCode", s.postalCode],
        ["serialNumber", s.serialNumber],
        ["CN", s.commonName],
        ["emailAddress", s.emailAddress],
    ];
    return parts.filter(([, v]) => v !== undefined && v !== null && v !== "").map(([k, v]) => `/${k}=${esc(v)}`).join("") || "/";
}

function sans(i: Props): string[] {
    const list = (v: unknown) => (Array.isArray(v) ? (v as string[]) : []);
    return [...list(i.dnsNames).map((n) => `DNS:${n}`), ...list(i.ipAddresses).map((n) => `IP:${n}`), ...list(i.uris).map((n) => `URI:${n}`)];
}

function extensions(i: Props, withSki: boolean, withAki: boolean): string[] {
    const uses = (Array.isArray(i.allowedUses) ? i.allowedUses : []) as string[];
    const unknown = uses.filter((u) => !KEY_USAGE[u] && !EXTENDED_KEY_USAGE[u]);
    if (unknown.length > 0) throw new Error(`unknown allowedUses: ${unknown.join(", ")}`);
    const ku = uses.filter((u) => KEY_USAGE[u]).map((u) => KEY_USAGE[u]);
    const eku = uses.filter((u) => EXTENDED_KEY_USAGE[u]).map((u) => EXTENDED_KEY_USAGE[u]);
    const isCa = i.isCaCertificate === true;
    const pathLen = isCa && typeof i.maxPathLength === "number" && i.maxPathLength >= 0 ? `,pathlen:${i.maxPathLength}` : "";
    return [
        `basicConstraints=critical,CA:${isCa ? "TRUE" : "FALSE"}${pathLen}`,
        ...(ku.length ? [`keyUsage=critical,${ku.join(",")}`] : []),
        ...(eku.length ? [`extendedKeyUsage=${eku.join(",")}`] : []),
        ...(withSki ? ["subjectKeyIdentifier=hash"] : []),
        ...(withAki ? ["authorityKeyIdentifier=keyid"] : []),
    ];
}

function days(i: Props): string {
    const hours = Number(i.validityPeriodHours);
    if (!(hours > 0) || hours % 24 !== 0) throw new Error(`validityPeriodHours ${hours}: the tls stand-in makes certificates of whole days only`);
    return String(hours / 24);
}

function serial(): string {
    const b = randomBytes(16);
    b[0] &= 0x7f;
    return `0x${b.toString("hex")}`;
}

function certOutputs(certPem: string): Props {
    const c = new X509Certificate(certPem);
    return {
        id: BigInt(`0x${c.serialNumber}`).toString(10),
        certPem,
        validityStartTime: new Date(c.validFrom).toISOString().replace(/\.\d{3}Z$/, "Z"),
        validityEndTime: new Date(c.validTo).toISOString().replace(/\.\d{3}Z$/, "Z"),
        readyForRenewal: false,
    };
}

function selfSigned(i: Props): Props {
    const { algorithm, digest } = algorithmOf(String(i.privateKeyPem));
    const certPem = inTemp((file) => {
        const ext = extensions(i, i.setSubjectKeyId === true || i.isCaCertificate === true, i.setAuthorityKeyId === true);
        const san = sans(i);
        if (san.length) ext.push(`subjectAltName=${san.join(",")}`);
        return openssl([
            "req", "-x509", "-new", "-key", file("key.pem", String(i.privateKeyPem)), "-subj", subjectLine(i.subject), "-days", days(i),
            "-set_serial", serial(), ...(digest ? [`-${digest}`] : []), "-config", file("empty.cnf", "[req]\ndistinguished_name=dn\n[dn]\n"),
            ...ext.flatMap((e) => ["-addext", e]),
        ]);
    });
    return { ...certOutputs(certPem), keyAlgorithm: algorithm, maxPathLength: i.maxPathLength ?? 0 };
}

function certRequest(i: Props): Props {
    const { algorithm, digest } = algorithmOf(String(i.privateKeyPem));
    const certRequestPem = inTemp((file) => {
        const san = sans(i);
        return openssl([
            "req", "-new", "-key", file("key.pem", String(i.privateKeyPem)), "-subj", subjectLine(i.subject), ...(digest ? [`-${digest}`] : []),
            "-config", file("empty.cnf", "[req]\ndistinguished_name=dn\n[dn]\n"), ...(san.length ? ["-addext", `subjectAltName=${san.join(",")}`] : []),
        ]);
    });
    return { id: createHash("sha1").update(certRequestPem).digest("hex"), certRequestPem, keyAlgorithm: algorithm };
}

function locallySigned(i: Props): Props {
    const ca = algorithmOf(String(i.caPrivateKeyPem));
    const caCert = new X509Certificate(String(i.caCertPem));
    const caHasSki = /Subject Key Identifier/.test(openssl(["x509", "-noout", "-text"], String(i.caCertPem)));
    const certPem = inTemp((file) => {
        const ext = extensions(i, i.setSubjectKeyId === true || i.isCaCertificate === true, caHasSki);
        return openssl([
            "x509", "-req", "-in", file("req.pem", String(i.certRequestPem)), "-CA", file("ca.pem", String(i.caCertPem)),
            "-CAkey", file("ca-key.pem", String(i.caPrivateKeyPem)), "-set_serial", serial(), "-days", days(i),
            ...(ca.digest ? [`-${ca.digest}`] : []), "-copy_extensions", "copyall", "-extfile", file("ext.cnf", `${ext.join("\n")}\n`),
        ]);
    });
    if (!new X509Certificate(certPem).checkIssued(caCert)) throw new Error("the signed certificate does not chain to caCertPem");
    return { ...certOutputs(certPem), caKeyAlgorithm: ca.algorithm, maxPathLength: i.maxPathLength ?? 0 };
}

function dueForRenewal(olds: Props, news: Props): string[] {
    const end = Date.parse(String(olds.validityEndTime ?? ""));
    if (Number.isNaN(end)) return [];
    const early = Number(news.earlyRenewalHours ?? olds.earlyRenewalHours ?? 0);
    return Date.now() >= end - early * 3_600_000 ? ["readyForRenewal"] : [];
}

const CERT_DEFAULTS = { earlyRenewalHours: 0, isCaCertificate: false, setSubjectKeyId: false };

serve({
    name: "tls",
    version: "5.6.1",
    npmPackage: "@pulumi/tls",
    types: {
        "tls:index/privateKey:PrivateKey": {
            defaults: { rsaBits: 2048, ecdsaCurve: "P224" },
            replaceOnChanges: ["algorithm", "rsaBits", "ecdsaCurve"],
            secretOutputs: ["privateKeyPem", "privateKeyPemPkcs8", "privateKeyOpenssh"],
            create(inputs) {
                const { id, ...outs } = generate(inputs);
                return { id: String(id), outs };
            },
        },
        "tls:index/selfSignedCert:SelfSignedCert": {
            defaults: { ...CERT_DEFAULTS, setAuthorityKeyId: false },
            knownInPreview: { readyForRenewal: false },
            computed: ["maxPathLength"],
            replaceOnChanges: ["privateKeyPem", "subject", "validityPeriodHours", "allowedUses", "dnsNames", "ipAddresses", "uris", "isCaCertificate", "maxPathLength", "setSubjectKeyId", "setAuthorityKeyId"],
            secretOutputs: ["privateKeyPem"],
            extraReplaces: dueForRenewal,
            create(inputs) {
                const { id, ...outs } = selfSigned(inputs);
                return { id: String(id), outs };
            },
        },
        "tls:index/certRequest:CertRequest": {
            replaceOnChanges: ["privateKeyPem", "subject", "dnsNames", "ipAddresses", "uris"],
            secretOutputs: ["privateKeyPem"],
            create(inputs) {
                const { id, ...outs } = certRequest(inputs);
                return { id: String(id), outs };
            },
        },
        "tls:index/locallySignedCert:LocallySignedCert": {
            defaults: CERT_DEFAULTS,
            knownInPreview: { readyForRenewal: false },
            computed: ["maxPathLength"],
            replaceOnChanges: ["certRequestPem", "caPrivateKeyPem", "caCertPem", "validityPeriodHours", "allowedUses", "isCaCertificate", "maxPathLength", "setSubjectKeyId"],
            secretOutputs: ["caPrivateKeyPem"],
            extraReplaces: dueForRenewal,
            create(inputs) {
                const { id, ...outs } = locallySigned(inputs);
                return { id: String(id), outs };
            },
        },
    },
});
