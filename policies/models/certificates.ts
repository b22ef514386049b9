// Certificates and keys handed to the deployment from outside (an identity provider's signing
// certificate, the site's HTTPS chain, a partner's CA), read as OpenSSL reads them: the public key's
// algorithm and size, the certificate's role and validity. Floors for keys the unit does not
// generate itself: ANSSI's (RGS B1) RSA 2048 bits until 2030, elliptic curves of 256 bits or more.
import { KeyObject, X509Certificate } from "node:crypto";

export const MINIMUM_FOREIGN_RSA_BITS = 2048;
const STRONG_CURVES = ["prime256v1", "secp384r1", "secp521r1", "brainpoolP256r1", "brainpoolP384r1", "brainpoolP512r1"];
const SERVER_AUTH = "1.3.6.1.5.5.7.3.1";

/** Why a public or private key is too weak to trust, e.g. "an RSA key of 1024 bits (at least 2048)"; undefined when sound. */
export function weakKey(key: KeyObject): string | undefined {
    const details = key.asymmetricKeyDetails ?? {};
    if (key.asymmetricKeyType === "rsa" || key.asymmetricKeyType === "rsa-pss") {
        const bits = details.modulusLength ?? 0;
        return bits < MINIMUM_FOREIGN_RSA_BITS ? `an RSA key of ${bits} bits (at least ${MINIMUM_FOREIGN_RSA_BITS})` : undefined;
    }
    if (key.asymmetricKeyType === "ec") return STRONG_CURVES.includes(String(details.namedCurve)) ? undefined : `an elliptic-curve key on ${details.namedCurve} (256 bits or more)`;
    if (key.asymmetricKeyType === "ed25519" || key.asymmetricKeyType === "ed448") return undefined;
    return `a ${key.asymmetricKeyType} key`;
}

/** The PEM certificate blocks of a text. */
export const pemCertificates = (text: string): string[] => text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];

const parse = (pem: string): X509Certificate | undefined => {
    try {
        return new X509Certificate(pem);
    } catch {
        return undefined;
    }
};

/** Why a certificate's key is too weak to trust, or undefined; unparseable: undefined (other checks report it). */
export function weakCertificateKey(pem: string): string | undefined {
    const certificate = parse(pem);
    return certificate ? weakKey(certificate.publicKey) : undefined;
}

/**
 * How many days a TLS server certificate is valid (a leaf, not a CA, whose extended key usage names
 * serverAuth, or is unrestricted on a certificate that names hosts in subjectAltName, as browsers
 * require), or undefined for any other certificate (a CA, a SAML signing certificate: their
 * lifetimes are another matter).
 */
export function serverLeafDays(pem: string): number | undefined {
    const certificate = parse(pem);
    if (!certificate || certificate.ca) return undefined;
    const usages = certificate.keyUsage;
    const server = usages !== undefined ? usages.includes(SERVER_AUTH) : /\b(DNS|IP Address):/.test(certificate.subjectAltName ?? "");
    return server ? lifetimeDays(certificate) : undefined;
}

/** How many days a certificate is valid, from notBefore to notAfter. */
export const lifetimeDays = (certificate: X509Certificate): number => Math.round((Date.parse(certificate.validTo) - Date.parse(certificate.validFrom)) / 86_400_000);
