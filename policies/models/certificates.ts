// Certificates handed to the deployment from outside (an identity provider's signing certificate, a
// site's HTTPS certificate), read as OpenSSL reads them: the public key's algorithm and size.
// Floors for keys the unit does not generate itself: RSA 2048 bits (ANSSI's minimum until 2030),
// elliptic curves of 256 bits or more.
import { X509Certificate } from "node:crypto";

export const MINIMUM_FOREIGN_RSA_BITS = 2048;
const WEAK_CURVES = /^(secp1[0-9]{2}|secp2[0-4][0-9]|prime192v1|sect|c2|brainpoolP(160|192|224))/i;

/** The PEM certificate blocks of a text. */
export const pemCertificates = (text: string): string[] => text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];

/** Why a certificate's key is too weak to trust (e.g. "an RSA key of 1024 bits"), or undefined; unparseable: undefined (other checks report it). */
export function weakCertificateKey(pem: string, minimumRsaBits = MINIMUM_FOREIGN_RSA_BITS): string | undefined {
    let certificate: X509Certificate;
    try {
        certificate = new X509Certificate(pem);
    } catch {
        return undefined;
    }
    const key = certificate.publicKey;
    const details = key.asymmetricKeyDetails ?? {};
    if ((key.asymmetricKeyType === "rsa" || key.asymmetricKeyType === "rsa-pss") && (details.modulusLength ?? 0) < minimumRsaBits) return `an RSA key of ${details.modulusLength} bits (at least ${minimumRsaBits})`;
    if (key.asymmetricKeyType === "dsa") return "a DSA key";
    if (key.asymmetricKeyType === "ec" && details.namedCurve && WEAK_CURVES.test(details.namedCurve)) return `an elliptic-curve key on ${details.namedCurve} (at least 256 bits)`;
    return undefined;
}
