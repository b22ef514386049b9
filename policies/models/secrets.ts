// What a secret looks like in a plaintext place: key material (PEM private key blocks, OpenSSH
// private keys, PGP private key blocks, eLabFTW's defuse SECRET_KEY), or an assignment of a
// non-empty literal to a name that says it holds a secret (PASSWORD, SECRET, TOKEN, KEY...). A
// reference is not a secret: a `$VAR` expansion, a path (/...), or a name that says it points to
// one (..._FILE, ..._PATH, ..._COMMAND, ..._CMD, ..._DIR, ..._ID).

const KEY_MATERIAL: [RegExp, string][] = [
    [/-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----/, "a private key"],
    [/\bdef00000[0-9a-f]{128}\b/, "an eLabFTW SECRET_KEY (defuse key)"],
];

const SECRET_NAME = /(PASS(WORD|WD|PHRASE)?|(^|_)PWD$|SECRET|TOKEN|CREDENTIALS?|(^|_)KEY$|_KEY_|PRIVATE)/i;
const REFERENCE_NAME = /(_FILE|_PATH|_COMMAND|_CMD|COMMAND|_DIR|_ID|_HASH_ALGO|_LENGTH|_AGE|_TTL)$/i;

/** The kinds of key material in a text. */
export function keyMaterial(text: string): string[] {
    return KEY_MATERIAL.filter(([pattern]) => pattern.test(text)).map(([, what]) => what);
}

export const isSecretName = (name: string): boolean => SECRET_NAME.test(name) && !REFERENCE_NAME.test(name);

/** A value that is itself the secret, not a reference to where it is kept. */
export const isLiteralSecretValue = (value: { text: string; literal: boolean }): boolean =>
    value.literal && value.text !== "" && !value.text.startsWith("/") && !/^(true|false|yes|no|on|off|none|null|0|1)$/i.test(value.text);

/** The names of secret-looking assignments among `env`. */
export function secretAssignments(env: readonly { name: string; value: { text: string; literal: boolean } }[]): string[] {
    return env.filter(({ name, value }) => isSecretName(name) && isLiteralSecretValue(value)).map(({ name }) => name);
}

/**
 * The MySQL image's secret variables that its entrypoint also reads from a file (file_env: NAME_FILE):
 * given directly, the value is in the container's configuration (`docker inspect`, to anyone with
 * the socket) and in /proc/1/environ, where the file keeps it to a root-only path.
 */
export const MYSQL_FILE_BACKED_SECRETS = ["MYSQL_ROOT_PASSWORD", "MYSQL_PASSWORD"] as const;
