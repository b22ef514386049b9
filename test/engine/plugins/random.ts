// Stand-in for the pulumi-resource-random plugin 4.21.2 (what @pulumi/random 4.21.2 asks for):
// the real one is bridged from hashicorp/terraform-provider-random (plugin framework) and cannot
// be built from Go modules here. Run by .toolchain/plugins/resource-random-v4.21.2/ (build.sh).
//
// Reproduces, for RandomPassword and RandomBytes:
//   - real values from node:crypto, kept in state: `result` draws from the same character sets
//     (special: !@#$%&*()-_=+[]{}<>:? unless overrideSpecial) honouring length and the min_*
//     counts; `bcryptHash` is a real bcrypt ($2b$, cost 10) of the result, made by Python's crypt
//     module (glibc's libxcrypt); RandomBytes gives `base64` and `hex` of `length` random bytes;
//   - ids as the real provider: "none" for a password, the base64 of the bytes for RandomBytes;
//   - schema defaults in state (lower/upper/numeric/number/special true, min_* 0), unset
//     optionals null (keepers, overrideSpecial), result/bcryptHash/base64/hex unknown in preview;
//   - replacement on any change of length, keepers, special, upper, lower, number, numeric,
//     min_*, overrideSpecial (RequiresReplace in the real schema: nothing updates in place);
//   - result, bcryptHash, base64, hex come back secret (schema `secret: true`).
// Does not: validate length against the min_* sum with the real error text, the deprecated
// `number`/`numeric` interplay beyond "both true unless one is false", import (`pulumi import`),
// or make a bcrypt hash where python3's crypt module is missing (then bcryptHash is null and a
// line on stderr says so).
import { spawnSync } from "node:child_process";
import { randomBytes, randomInt } from "node:crypto";
import { serve, type Props } from "./lib/standIn";

const LOWER = "abcdefghijklmnopqrstuvwxyz";
const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const NUMERIC = "0123456789";
const SPECIAL = "!@#$%&*()-_=+[]{}<>:?";

function pick(chars: string, n: number): string[] {
    return Array.from({ length: n }, () => chars[randomInt(chars.length)]);
}

function password(i: Props): string {
    const numeric = i.numeric !== false && i.number !== false;
    const special = i.special !== false ? (typeof i.overrideSpecial === "string" && i.overrideSpecial !== "" ? i.overrideSpecial : SPECIAL) : "";
    const sets: [string, number][] = [
        [i.lower !== false ? LOWER : "", Number(i.minLower ?? 0)],
        [i.upper !== false ? UPPER : "", Number(i.minUpper ?? 0)],
        [numeric ? NUMERIC : "", Number(i.minNumeric ?? 0)],
        [special, Number(i.minSpecial ?? 0)],
    ];
    const length = Number(i.length);
    const required = sets.reduce((n, [, min]) => n + min, 0);
    if (!(length >= 1) || length < required) throw new Error(`length (${length}) must be at least 1 and at least the sum of the min_* counts (${required})`);
    const all = sets.map(([chars]) => chars).join("");
    if (all === "") throw new Error("at least one of lower, upper, numeric, special must be true");
    const chars = [...sets.flatMap(([c, min]) => pick(c, min)), ...pick(all, length - required)];
    for (let k = chars.length - 1; k > 0; k--) {
        const j = randomInt(k + 1);
        [chars[k], chars[j]] = [chars[j], chars[k]];
    }
    return chars.join("");
}

function bcrypt(value: string): string | null {
    const script = "import crypt,sys; print(crypt.crypt(sys.stdin.read(), crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1024)))";
    const r = spawnSync("python3", ["-W", "ignore", "-c", script], { input: value, encoding: "utf8" });
    if (r.status !== 0 || !r.stdout.startsWith("$2")) {
        console.error(`random stand-in: no bcrypt hash (python3 crypt: ${r.error?.message ?? r.stderr.trim()})`);
        return null;
    }
    return r.stdout.trim();
}

const PASSWORD_INPUTS = ["keepers", "length", "special", "upper", "lower", "number", "numeric", "minNumeric", "minUpper", "minLower", "minSpecial", "overrideSpecial"];

serve({
    name: "random",
    version: "4.21.2",
    npmPackage: "@pulumi/random",
    types: {
        "random:index/randomPassword:RandomPassword": {
            // number/numeric: Optional+Computed, planned true unless the other one is false.
            defaults: { lower: true, upper: true, special: true, number: true, numeric: true, minLower: 0, minUpper: 0, minNumeric: 0, minSpecial: 0 },
            replaceOnChanges: PASSWORD_INPUTS,
            secretOutputs: ["result", "bcryptHash"],
            create(inputs) {
                // The defaults filled both; the program may have set only one of them to false.
                const numeric = inputs.numeric !== false && inputs.number !== false;
                const result = password({ ...inputs, numeric });
                return { id: "none", outs: { result, bcryptHash: bcrypt(result.slice(0, 72)), number: numeric, numeric } };
            },
        },
        "random:index/randomBytes:RandomBytes": {
            replaceOnChanges: ["keepers", "length"],
            secretOutputs: ["base64", "hex"],
            create(inputs) {
                const length = Number(inputs.length);
                if (!(length >= 1)) throw new Error(`length (${length}) must be at least 1`);
                const bytes = randomBytes(length);
                return { id: bytes.toString("base64"), outs: { base64: bytes.toString("base64"), hex: bytes.toString("hex") } };
            },
        },
    },
});
