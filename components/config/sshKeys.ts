// Checks an OpenSSH public key line ("<type> <base64 blob> [comment]") closely enough to catch
// a pasted private key, a truncated blob, DSA, or RSA below 3072 bits; and the program's own SSH
// private key by its content (openssh-key-v1, not passphrase-protected), not by its armour.

const ACCEPTED = new Set([
    "ssh-ed25519",
    "sk-ssh-ed25519@openssh.com",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ecdsa-sha2-nistp256@openssh.com",
    "ssh-rsa",
]);
const MIN_RSA_BITS = 3072;

/** Reads the SSH wire-format strings (uint32 length + bytes) of a key blob. */
function wireStrings(blob: Buffer): Buffer[] {
    const parts: Buffer[] = [];
    let offset = 0;
    while (offset + 4 <= blob.length) {
        const length = blob.readUInt32BE(offset);
        offset += 4;
        if (offset + length > blob.length) throw new Error("truncated");
        parts.push(blob.subarray(offset, offset + length));
        offset += length;
    }
    if (offset !== blob.length) throw new Error("trailing bytes");
    return parts;
}

function rsaModulusBits(modulus: Buffer): number {
    let bytes = modulus;
    while (bytes.length > 0 && bytes[0] === 0) bytes = bytes.subarray(1);
    return bytes.length === 0 ? 0 : (bytes.length - 1) * 8 + Math.floor(Math.log2(bytes[0])) + 1;
}

/** Returns why `line` is not an acceptable public key, or undefined when it is. */
export function sshPublicKeyProblem(line: string): string | undefined {
    if (line.includes("PRIVATE KEY")) return "is a private key: paste the .pub file, never the private key";
    // The line lands in authorized_keys and cloud-init: a newline would add a line of its own choosing.
    if (/[^\x20-\x7e]/.test(line)) return "spans several lines or holds control characters: one key per entry, on one line";
    const words = /^(\S+) (\S+)(?: [A-Za-z0-9@._+:,/=-]+)*$/.exec(line);
    if (!words) return "is not an OpenSSH public key line (<type> <base64> [comment]) whose comment is words of letters, digits and @ . _ + : , / = - (e.g. user@host)";
    const [, type, encoded] = words;
    if (line.length - type.length - encoded.length > 257) return "has a comment longer than 255 characters";
    if (!ACCEPTED.has(type)) return `has key type ${type}; accepted: ${[...ACCEPTED].join(", ")}`;
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) return "has a key blob that is not base64";
    let parts: Buffer[];
    try {
        parts = wireStrings(Buffer.from(encoded, "base64"));
    } catch {
        return "has a truncated or damaged key blob";
    }
    if (parts.length === 0 || parts[0].toString() !== type) return "has a key blob whose type does not match its prefix";
    if (type === "ssh-rsa") {
        const bits = parts.length === 3 ? rsaModulusBits(parts[2]) : 0;
        if (bits < MIN_RSA_BITS) return `is an RSA key of ${bits} bits; use ed25519 or RSA >= ${MIN_RSA_BITS}`;
    }
    return undefined;
}

/** The first public key blob of an openssh-key-v1 body (past the magic): cipher, kdf, kdf options, count, blob. */
function leadingPublicBlob(body: Buffer): Buffer | undefined {
    let offset = 0;
    const next = (): Buffer | undefined => {
        if (offset + 4 > body.length) return undefined;
        const length = body.readUInt32BE(offset);
        if (offset + 4 + length > body.length) return undefined;
        const value = body.subarray(offset + 4, offset + 4 + length);
        offset += 4 + length;
        return value;
    };
    if (!next() || !next() || !next() || offset + 4 > body.length || body.readUInt32BE(offset) < 1) return undefined;
    offset += 4;
    const blob = next();
    return blob && blob.length >= 4 && 4 + blob.readUInt32BE(0) <= blob.length ? blob : undefined;
}

const OPENSSH_MAGIC = Buffer.from("openssh-key-v1\0", "latin1");

/** Returns why `text` is not a usable OpenSSH private key (ssh-keygen's format), or undefined. */
export function sshPrivateKeyProblem(text: string): string | undefined {
    const lines = text.trim().split(/\r?\n/);
    const armoured = lines.length >= 3 && /^-----BEGIN [A-Z ]+-----$/.test(lines[0]) && /^-----END [A-Z ]+-----$/.test(lines[lines.length - 1]);
    const body = Buffer.from(lines.slice(1, -1).join(""), "base64");
    if (!armoured || !body.subarray(0, OPENSSH_MAGIC.length).equals(OPENSSH_MAGIC)) {
        return "is not an OpenSSH private key (the format ssh-keygen writes by default)";
    }
    const rest = body.subarray(OPENSSH_MAGIC.length);
    if (rest.length < 4 || rest.length < 4 + rest.readUInt32BE(0)) return "is a truncated OpenSSH private key";
    const cipher = rest.subarray(4, 4 + rest.readUInt32BE(0)).toString("latin1");
    if (cipher !== "none") return `is protected by a passphrase (${cipher}), which the program cannot give: use the ssh-agent instead`;
    // After cipher, KDF name and KDF options: the number of keys, then each public key's blob,
    // judged as the same key's .pub line would be (type, RSA size).
    const publicBlob = leadingPublicBlob(rest);
    if (!publicBlob) return "is a truncated OpenSSH private key";
    const type = wireStrings(publicBlob.subarray(0, 4 + publicBlob.readUInt32BE(0)))[0]?.toString() ?? "";
    const problem = sshPublicKeyProblem(`${type} ${publicBlob.toString("base64")}`);
    return problem ? problem.replace(/^is /, "holds ") : undefined;
}
