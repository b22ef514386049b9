// A test-side stand-in for the @pulumi/tls provider: under mocks, it makes real keys and
// certificates with openssl from the same inputs the program gives the provider (key type,
// subject, SANs, usages, validity, CA flag), so what the program would deploy can be used for real.
// Asynchronous: keys come from node:crypto's thread pool and openssl runs as a child process, so the
// mock engine keeps registering other resources meanwhile (the feedback loop's time, issue 13).
import { execFile } from "node:child_process";
import { generateKeyPair, KeyObject } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";

/** The TLS provider's allowed_uses, as openssl names them (shared with the engine tests' stand-in). */
export const KEY_USAGE: Record<string, string> = {
    digital_signature: "digitalSignature",
    content_commitment: "nonRepudiation",
    key_encipherment: "keyEncipherment",
    data_encipherment: "dataEncipherment",
    key_agreement: "keyAgreement",
    cert_signing: "keyCertSign",
    crl_signing: "cRLSign",
    encipher_only: "encipherOnly",
    decipher_only: "decipherOnly",
};
export const EXTENDED_KEY_USAGE: Record<string, string> = {
    any_extended: "anyExtendedKeyUsage",
    server_auth: "serverAuth",
    client_auth: "clientAuth",
    code_signing: "codeSigning",
    email_protection: "emailProtection",
    ipsec_end_system: "1.3.6.1.5.5.7.3.5",
    ipsec_tunnel: "1.3.6.1.5.5.7.3.6",
    ipsec_user: "1.3.6.1.5.5.7.3.7",
    timestamping: "timeStamping",
    ocsp_signing: "OCSPSigning",
    microsoft_server_gated_crypto: "msSGC",
    netscape_server_gated_crypto: "nsSGC",
    microsoft_commercial_code_signing: "msCodeCom",
    microsoft_kernel_code_signing: "1.3.6.1.4.1.311.61.1.1",
};

const run = promisify(execFile);

async function openssl(args: string[]): Promise<string> {
    try {
        return (await run("openssl", args, { encoding: "utf8" })).stdout;
    } catch (error) {
        throw new Error(`openssl ${args.join(" ")}: ${(error as { stderr?: string }).stderr ?? error}`);
    }
}

async function inTempDir<T>(work: (file: (name: string, content?: string) => Promise<string>) => Promise<T>): Promise<T> {
    const dir = await mkdtemp(path.join(tmpdir(), "tls-stand-in-"));
    try {
        return await work(async (name, content) => {
            const file = path.join(dir, name);
            if (content !== undefined) await writeFile(file, content);
            return file;
        });
    } finally {
        await rm(dir, { recursive: true, force: true });
    }
}

function subjectLine(subject: { commonName?: string; organization?: string } | undefined): string {
    const escape = (value: string) => value.replace(/[/\\]/g, "\\$&");
    return [subject?.organization && `/O=${escape(subject.organization)}`, subject?.commonName && `/CN=${escape(subject.commonName)}`].filter(Boolean).join("") || "/";
}

function sanLine(inputs: { dnsNames?: string[]; ipAddresses?: string[] }): string | undefined {
    const names = [...(inputs.dnsNames ?? []).map((n) => `DNS:${n}`), ...(inputs.ipAddresses ?? []).map((ip) => `IP:${ip}`)];
    return names.length > 0 ? `subjectAltName=${names.join(",")}` : undefined;
}

function extensions(inputs: { allowedUses: string[]; isCaCertificate?: boolean; maxPathLength?: number }): string[] {
    const keyUsage = inputs.allowedUses.filter((u) => KEY_USAGE[u]).map((u) => KEY_USAGE[u]);
    const extended = inputs.allowedUses.filter((u) => EXTENDED_KEY_USAGE[u]).map((u) => EXTENDED_KEY_USAGE[u]);
    const unknown = inputs.allowedUses.filter((u) => !KEY_USAGE[u] && !EXTENDED_KEY_USAGE[u]);
    if (unknown.length > 0) throw new Error(`tls stand-in: unknown allowedUses ${unknown.join(", ")}`);
    return [
        inputs.isCaCertificate ? `basicConstraints=critical,CA:TRUE${inputs.maxPathLength !== undefined ? `,pathlen:${inputs.maxPathLength}` : ""}` : "basicConstraints=critical,CA:FALSE",
        ...(keyUsage.length ? [`keyUsage=critical,${keyUsage.join(",")}`] : []),
        ...(extended.length ? [`extendedKeyUsage=${extended.join(",")}`] : []),
        "subjectKeyIdentifier=hash",
    ];
}

function validity(hours: number): { days: string; state: Record<string, string> } {
    if (hours % 24 !== 0) throw new Error(`tls stand-in: validity of ${hours} hours is not whole days`);
    const start = new Date();
    return { days: String(hours / 24), state: { validityStartTime: start.toISOString(), validityEndTime: new Date(start.getTime() + hours * 3_600_000).toISOString() } };
}

async function privateKey(inputs: any): Promise<Record<string, unknown>> {
    // The TLS provider's PEM forms: PKCS#1 for RSA, SEC1 for ECDSA (as `openssl rsa -traditional` / `openssl ec` print them).
    const pair = (keys: Promise<{ publicKey: KeyObject; privateKey: KeyObject }>, type: "pkcs1" | "sec1") =>
        keys.then(({ publicKey, privateKey }) => ({
            ...inputs,
            privateKeyPem: privateKey.export({ type, format: "pem" }) as string,
            publicKeyPem: publicKey.export({ type: "spki", format: "pem" }) as string,
        }));
    if (inputs.algorithm === "ECDSA") {
        const namedCurve = { P224: "P-224", P256: "P-256", P384: "P-384", P521: "P-521" }[inputs.ecdsaCurve as string] ?? "P-224";
        return pair(promisify(generateKeyPair)("ec", { namedCurve }), "sec1");
    }
    if (inputs.algorithm === "RSA") return pair(promisify(generateKeyPair)("rsa", { modulusLength: inputs.rsaBits ?? 2048 }), "pkcs1");
    // ED25519 keys serve SSH here: the stand-in makes their OpenSSH forms (the program reads no PEM of them).
    return inTempDir(async (file) => {
        const key = await file("id_ed25519");
        await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "", "-f", key]);
        return { ...inputs, privateKeyOpenssh: await readFile(key, "utf8"), publicKeyOpenssh: await readFile(`${key}.pub`, "utf8") };
    });
}

async function selfSignedCert(inputs: any): Promise<Record<string, unknown>> {
    const { days, state } = validity(inputs.validityPeriodHours);
    const certPem = await inTempDir(async (file) => {
        const ext = [...extensions(inputs), ...(sanLine(inputs) ? [sanLine(inputs)!] : [])];
        return openssl(["req", "-x509", "-new", "-key", await file("key.pem", inputs.privateKeyPem), "-subj", subjectLine(inputs.subject), "-days", days, "-set_serial", `0x${randomSerial()}`, ...ext.flatMap((e) => ["-addext", e])]);
    });
    return { ...inputs, certPem, ...state };
}

async function certRequest(inputs: any): Promise<Record<string, unknown>> {
    const san = sanLine(inputs);
    const certRequestPem = await inTempDir(async (file) =>
        openssl(["req", "-new", "-key", await file("key.pem", inputs.privateKeyPem), "-subj", subjectLine(inputs.subject), ...(san ? ["-addext", san] : [])]),
    );
    return { ...inputs, certRequestPem };
}

async function locallySignedCert(inputs: any): Promise<Record<string, unknown>> {
    const { days, state } = validity(inputs.validityPeriodHours);
    const certPem = await inTempDir(async (file) => {
        const csr = await file("req.pem", inputs.certRequestPem);
        const ext = await file("ext.cnf", `${[...extensions(inputs), "authorityKeyIdentifier=keyid"].join("\n")}\n`);
        return openssl([
            "x509", "-req", "-in", csr, "-CA", await file("ca.pem", inputs.caCertPem), "-CAkey", await file("ca-key.pem", inputs.caPrivateKeyPem),
            "-set_serial", `0x${randomSerial()}`, "-days", days, "-copy_extensions", "copy", "-extfile", ext,
        ]);
    });
    return { ...inputs, certPem, ...state, readyForRenewal: false };
}

function randomSerial(): string {
    return [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, "0")).join("").replace(/^[89a-f]/, "1");
}

/** The state the TLS provider would return for a resource, or undefined for other types. */
export function tlsStandIn(type: string, inputs: any): Promise<Record<string, unknown>> | undefined {
    switch (type) {
        case "tls:index/privateKey:PrivateKey":
            return privateKey(inputs);
        case "tls:index/selfSignedCert:SelfSignedCert":
            return selfSignedCert(inputs);
        case "tls:index/certRequest:CertRequest":
            return certRequest(inputs);
        case "tls:index/locallySignedCert:LocallySignedCert":
            return locallySignedCert(inputs);
        default:
            return undefined;
    }
}
