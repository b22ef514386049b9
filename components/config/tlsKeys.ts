// The site's own HTTPS key and certificate (httpsPrivateKey, httpsCertificate) read with Node's
// crypto, as nginx and a browser will: parsed, their strength measured, and paired. An institution's
// CA (Sectigo/DigiCert through RENATER) issues RSA-2048 or ECDSA P-256 leaves: the floor here is
// ANSSI's (RGS B1: RSA 2048 bits, curves of 256 bits), below the program's own generated keys
// (RSA >= 3072, the policy's minimumRsaBits) because the site does not choose its CA's profile.
import { createPrivateKey, KeyObject, X509Certificate } from "node:crypto";

export const MIN_SITE_RSA_BITS = 2048;
const STRONG_CURVES = ["prime256v1", "secp384r1", "secp521r1"];

/** Why a key is too weak for HTTPS, or undefined. */
function weakness(key: KeyObject): string | undefined {
    const details = key.asymmetricKeyDetails ?? {};
    if (key.asymmetricKeyType === "rsa" || key.asymmetricKeyType === "rsa-pss") {
        const bits = details.modulusLength ?? 0;
        return bits < MIN_SITE_RSA_BITS ? `an RSA key of ${bits} bits (at least ${MIN_SITE_RSA_BITS}; ask the CA for RSA 3072 or ECDSA P-256)` : undefined;
    }
    if (key.asymmetricKeyType === "ec") return STRONG_CURVES.includes(String(details.namedCurve)) ? undefined : `an ECDSA key on ${details.namedCurve} (P-256 or stronger)`;
    if (key.asymmetricKeyType === "ed25519" || key.asymmetricKeyType === "ed448") return undefined;
    return `a ${key.asymmetricKeyType} key, which HTTPS clients do not accept (RSA or ECDSA)`;
}

/** Why `text` is not an acceptable unencrypted PEM private key, or undefined. */
export function siteKeyProblem(text: string): string | undefined {
    let key: KeyObject;
    try {
        key = createPrivateKey({ key: text, format: "pem" });
    } catch {
        return "is not an unencrypted PEM private key";
    }
    const weak = weakness(key);
    return weak ? `is ${weak}` : undefined;
}

/** The certificates of a PEM chain, leaf first; undefined when one does not parse. */
function chain(text: string): X509Certificate[] | undefined {
    const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    try {
        return blocks.map((b) => new X509Certificate(b));
    } catch {
        return undefined;
    }
}

/** Why `text` is not an acceptable certificate chain at `now`, or undefined. */
export function siteCertificateProblem(text: string, now = new Date()): string | undefined {
    const certificates = chain(text);
    if (!certificates || certificates.length === 0) return "is not a PEM certificate chain";
    const leaf = certificates[0];
    if (leaf.ca) return "starts with a CA certificate: put the site's own certificate first, then the intermediates";
    const weak = weakness(leaf.publicKey);
    if (weak) return `is issued for ${weak}`;
    if (new Date(leaf.validTo) <= now) return `expired on ${leaf.validTo}`;
    return undefined;
}

/** Whether the key is the certificate's (nginx refuses to start otherwise); undefined if either does not parse. */
export function keyMatchesCertificate(certificate: string, key: string): boolean | undefined {
    try {
        const leaf = chain(certificate)?.[0];
        return leaf ? leaf.checkPrivateKey(createPrivateKey({ key, format: "pem" })) : undefined;
    } catch {
        return undefined;
    }
}
