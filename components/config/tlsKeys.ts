// The site's own HTTPS key and certificate (httpsPrivateKey, httpsCertificate) read with Node's
// crypto, as nginx and a browser will: parsed, their strength measured, and paired. An institution's
// CA (Sectigo/DigiCert through RENATER) issues RSA-2048 or ECDSA P-256 leaves: the floor here is
// ANSSI's (RGS B1: RSA 2048 bits, curves of 256 bits), below the program's own generated keys
// (RSA >= 3072, the policy's minimumRsaBits) because the site does not choose its CA's profile.
import { createPrivateKey, KeyObject, X509Certificate } from "node:crypto";
import { lifetimeDays, MINIMUM_FOREIGN_RSA_BITS, weakKey } from "../../policies/models/certificates";

export const MIN_SITE_RSA_BITS = MINIMUM_FOREIGN_RSA_BITS;
/** The longest a site certificate may be valid: the policy pack's maximumLeafDays default (key-strength-and-validity). */
export const MAX_SITE_CERTIFICATE_DAYS = 825;

/** Why a key is too weak for HTTPS, or undefined (the pack's reading, with the CA's usual profiles named). */
function weakness(key: KeyObject): string | undefined {
    const weak = weakKey(key);
    return weak && /^an? (RSA|elliptic)/.test(weak) ? `${weak}; ask the CA for RSA 3072 or ECDSA P-256` : weak && `${weak}, which HTTPS clients do not accept (RSA or ECDSA)`;
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
    // The chain's leaf serves HTTPS by its role here, whatever its extensions say.
    const days = lifetimeDays(leaf);
    if (days > MAX_SITE_CERTIFICATE_DAYS) return `is valid ${days} days (at most ${MAX_SITE_CERTIFICATE_DAYS}): a key that leaks stays usable for as long, and no revocation reaches the VPN clients' browsers reliably; ask the CA for a certificate of ${MAX_SITE_CERTIFICATE_DAYS} days or less (public CAs issue 398 at most)`;
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
