// eLabFTW's SECRET_KEY is a defuse/php-encryption key in its "ASCII-safe" form: the 4-byte
// version header DE F0 00 00, the 32 key bytes, and the SHA-256 of header + key, all in lowercase
// hex (136 characters). Any other shape makes eLabFTW fail ("Invalid header", "not a hex string").
import { createHash } from "node:crypto";

export const DEFUSE_KEY_HEADER = "def00000";
const KEY_BYTES = 32;

/** Builds the ASCII-safe key from 32 random bytes given in hex. */
export function defuseAsciiSafeKey(randomHex: string): string {
    if (!new RegExp(`^[0-9a-f]{${KEY_BYTES * 2}}$`).test(randomHex)) {
        throw new Error(`a defuse key needs exactly ${KEY_BYTES} random bytes in lowercase hex`);
    }
    const body = Buffer.from(DEFUSE_KEY_HEADER + randomHex, "hex");
    return body.toString("hex") + createHash("sha256").update(body).digest("hex");
}
