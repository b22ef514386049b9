// Generated secrets as the random provider makes them: how much guessing a value costs (its length
// over the alphabet the provider draws from), and which resources keep their result secret. The
// provider marks the results of RandomPassword (`result`, `bcryptHash`) and RandomBytes secret;
// RandomString, RandomId, RandomPet, RandomUuid, RandomInteger and RandomShuffle store theirs in the
// state in plaintext, so none of them may feed a secret.

/** The random provider's default special characters (RandomPassword and RandomString). */
const DEFAULT_SPECIAL = "!@#$%&*()-_=+[]{}<>:?";

export const PLAINTEXT_RANDOM_TYPES: Readonly<Record<string, string>> = {
    "random:index/randomString:RandomString": "RandomString",
    "random:index/randomId:RandomId": "RandomId",
    "random:index/randomPet:RandomPet": "RandomPet",
    "random:index/randomUuid:RandomUuid": "RandomUuid",
    "random:index/randomInteger:RandomInteger": "RandomInteger",
    "random:index/randomShuffle:RandomShuffle": "RandomShuffle",
};

/** The characters a RandomPassword or RandomString draws from, with its options (unset = on). */
export function alphabetOf(props: Record<string, unknown>): Set<string> {
    const on = (name: string) => props[name] !== false;
    const chars = [
        on("upper") ? "ABCDEFGHIJKLMNOPQRSTUVWXYZ" : "",
        on("lower") ? "abcdefghijklmnopqrstuvwxyz" : "",
        on("numeric") && props.number !== false ? "0123456789" : "",
        on("special") ? (typeof props.overrideSpecial === "string" ? props.overrideSpecial : DEFAULT_SPECIAL) : "",
    ].join("");
    return new Set(chars);
}

/** Bits of a generated value (what guessing it costs), or undefined for a type that is no secret generator or unknown options. */
export function generatedSecretBits(type: string, props: Record<string, unknown>): number | undefined {
    const length = Number(props.length ?? props.byteLength);
    if (!Number.isFinite(length)) return undefined;
    if (/randomPassword:RandomPassword$|randomString:RandomString$/.test(type)) {
        const size = alphabetOf(props).size;
        return size <= 1 ? 0 : Math.floor(length * Math.log2(size));
    }
    if (/randomBytes:RandomBytes$|randomId:RandomId$/.test(type)) return length * 8;
    return undefined;
}
