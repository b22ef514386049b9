// LUKS as cryptsetup and systemd-cryptsetup read what the scripts give them:
// - `cryptsetup luksFormat` options, the last occurrence winning (`--cipher X`, `--cipher=X`,
//   `-c X`, `-cX`; `--key-size`/`-s` in bits): a null cipher (`cipher_null-*`, a LUKS header over
//   plaintext), a broken or legacy cipher or mode (DES, 3DES, RC4, Blowfish, CAST5, ECB), or a
//   key under 256 bits (in XTS mode, 128 bits per half: AES-128) is refused.
// - key material on the OS disk: anything written under /etc/cryptsetup-keys.d/ (systemd-cryptsetup
//   tries <name>.key there before asking), and a crypttab line whose key-file field (the third)
//   names a file outside /run (tmpfs) and /dev (a key device).
import { isUnder } from "./paths";
import { commandName, effectiveCommand, pipelines } from "./shell";

export const MINIMUM_KEY_BITS = 256;
const WEAK_CIPHER = /^(cipher_null|null|des|des3_ede|3des|rc4|arc4|blowfish|cast5|cast6)\b|-ecb(\b|$)/i;

/** What makes a luksFormat call encrypt nothing or too little, one line per finding. */
export function luksFormatWeaknesses(argv: readonly string[]): string[] {
    if (commandName(argv) !== "cryptsetup") return [];
    const args = argv.slice(1);
    const action = args.find((a, i) => !a.startsWith("-") && !/^(-c|-s|--cipher|--key-size|--type|--pbkdf|--label|--key-file|-d|--hash|-h)$/.test(args[i - 1] ?? ""));
    if (!/^(luksFormat|reencrypt)$/.test(action ?? "")) return [];
    let cipher: string | undefined;
    let keySize: number | undefined;
    for (let i = 0; i < args.length; i++) {
        const a = args[i];
        const long = /^--(cipher|key-size)=(.*)$/.exec(a);
        if (long) (long[1] === "cipher" ? (cipher = long[2]) : (keySize = Number(long[2])));
        else if (a === "--cipher" || a === "-c") cipher = args[++i];
        else if (a === "--key-size" || a === "-s") keySize = Number(args[++i]);
        else if (/^-c./.test(a)) cipher = a.slice(2);
        else if (/^-s\d/.test(a)) keySize = Number(a.slice(2));
    }
    const found: string[] = [];
    if (cipher !== undefined && WEAK_CIPHER.test(cipher)) found.push(`cipher ${cipher} (${/null/i.test(cipher) ? "no encryption at all" : "a broken cipher or mode"})`);
    if (keySize !== undefined && !(keySize >= MINIMUM_KEY_BITS)) found.push(`key size ${keySize} bits (at least ${MINIMUM_KEY_BITS})`);
    return found;
}

/**
 * What makes a TPM2 enrolment (`systemd-cryptenroll --tpm2-device=...`) release the key to any
 * boot: the PCR list as systemd-cryptenroll reads it (`--tpm2-pcrs=LIST` or `--tpm2-pcrs LIST`, the
 * last one winning, `+`-separated numbers or names; unset: systemd 252's default, PCR 7). Without
 * PCR 7 (secure-boot-policy) the vTPM unseals whatever firmware state booted.
 */
export function tpmEnrolmentWeaknesses(argv: readonly string[]): string[] {
    if (commandName(argv) !== "systemd-cryptenroll" || !argv.some((a) => /^--tpm2-device(=|$)/.test(a))) return [];
    let pcrs: string | undefined;
    for (let i = 1; i < argv.length; i++) {
        if (argv[i].startsWith("--tpm2-pcrs=")) pcrs = argv[i].slice("--tpm2-pcrs=".length);
        else if (argv[i] === "--tpm2-pcrs") pcrs = argv[++i] ?? "";
    }
    if (pcrs === undefined) return [];
    const list = pcrs.split(/[+,]/).map((p) => p.trim().toLowerCase()).filter(Boolean);
    if (list.length === 0) return ["a TPM2 key sealed to no PCR at all (--tpm2-pcrs empty): the vTPM releases it whatever boots"];
    return list.some((p) => p === "7" || p === "secure-boot-policy") ? [] : [`a TPM2 key sealed to PCRs ${list.join("+")}, without PCR 7 (Secure Boot state): Secure Boot off still unlocks it`];
}

const KEYS_DIRECTORY = "/etc/cryptsetup-keys.d";
const onOsDisk = (path: string) => !["/run", "/dev", "/proc", "/sys"].some((m) => isUnder(path, m));

/** Key files a script leaves on the OS disk: written under /etc/cryptsetup-keys.d/, or named by a crypttab line it writes. */
export function luksKeyFilesWritten(script: string): string[] {
    const found: string[] = [];
    for (const { stages } of pipelines(script)) {
        for (const stage of stages) {
            const { argv } = effectiveCommand(stage);
            const name = commandName(argv);
            const targets = [
                ...stage.redirects.filter((r) => /^(>|>>|>\|)$/.test(r.op)).map((r) => r.target),
                ...(/^(tee|cp|install|mv|ln|dd)$/.test(name) ? argv.slice(1).filter((a) => !a.startsWith("-") || a.startsWith("of=")).map((a) => a.replace(/^of=/, "")) : []),
            ];
            for (const target of targets) if (target.startsWith("/") && isUnder(target, KEYS_DIRECTORY)) found.push(target);
            // printf FORMAT ... >> crypttab: the format's key-file field, when literal.
            if (!targets.some((t) => /crypttab/.test(t))) continue;
            const lines = name === "printf" ? [argv[1] ?? ""] : name === "echo" ? [argv.slice(1).join(" ")] : stage.heredoc ? [stage.heredoc] : [];
            found.push(...lines.flatMap((l) => crypttabKeyFiles(l.replace(/\\n/g, "\n"))));
        }
    }
    return found;
}

/** The key files a crypttab text names (third field) that live on the OS disk. */
export function crypttabKeyFiles(text: string): string[] {
    return text
        .split("\n")
        .map((l) => l.replace(/#.*/, "").trim().split(/\s+/))
        .filter((f) => f.length >= 3 && f[2].startsWith("/") && onOsDisk(f[2]))
        .map((f) => f[2]);
}

/** The PCRs and the wiped slot kinds of a `systemd-cryptenroll --tpm2-device` enrolment (last option wins), or undefined. */
function tpmEnrolment(argv: readonly string[]): { pcrs: string[]; wipe: string[] } | undefined {
    if (commandName(argv) !== "systemd-cryptenroll" || !argv.some((a) => /^--tpm2-device(=|$)/.test(a))) return undefined;
    let pcrs = "7";
    let wipe = "";
    for (let i = 1; i < argv.length; i++) {
        if (argv[i].startsWith("--tpm2-pcrs=")) pcrs = argv[i].slice("--tpm2-pcrs=".length);
        else if (argv[i] === "--tpm2-pcrs") pcrs = argv[++i] ?? "";
        else if (argv[i].startsWith("--wipe-slot=")) wipe = argv[i].slice("--wipe-slot=".length);
        else if (argv[i] === "--wipe-slot") wipe = argv[++i] ?? "";
    }
    const names: Record<string, string> = { "secure-boot-policy": "7", "kernel-initrd": "8", "boot-loader-code": "4" };
    return { pcrs: pcrs.split(/[+,]/).map((p) => names[p.trim().toLowerCase()] ?? p.trim()).filter(Boolean), wipe: wipe.split(",").map((w) => w.trim().toLowerCase()).filter(Boolean) };
}

/**
 * Why the vTPM's steady-state key of a VM is not bound to PCR 7 and PCR 8 alone, from every TPM2
 * enrolment its scripts run: one enrolment must seal to 7+8 and wipe the other TPM2 slots
 * (`--wipe-slot=tpm2`), or the PCR-7-only key the first boot enrols stays valid for any GRUB
 * configuration. Undefined when bound, or when nothing enrols a TPM2 key.
 */
export function tpmSteadyBindingProblem(argvs: readonly (readonly string[])[]): string | undefined {
    const enrolments = argvs.map(tpmEnrolment).filter((e) => e !== undefined);
    if (enrolments.length === 0) return undefined;
    const steady = enrolments.filter((e) => e.pcrs.includes("7") && e.pcrs.includes("8"));
    if (steady.length === 0) return "no enrolment seals the key to PCR 7+8 (the boot loader's commands and kernel command line): a key sealed to PCR 7 alone opens the disk whatever GRUB runs";
    if (!steady.some((e) => e.wipe.includes("tpm2") || e.wipe.includes("all"))) return "the PCR 7+8 enrolment keeps the other TPM2 keyslots (no --wipe-slot=tpm2): the PCR-7-only key of the first boot stays, and opens the disk whatever GRUB runs";
    return undefined;
}

/**
 * Keyslots a command adds beside the program's two (the escrowed recovery passphrase and the vTPM
 * key): `cryptsetup luksAddKey`, `systemd-cryptenroll --password`/`--recovery-key`/`--fido2-device`/
 * `--pkcs11-token-uri`. Each is one more secret that opens the disk, held by whoever set it.
 */
export function addedKeyslots(argv: readonly string[]): string | undefined {
    const name = commandName(argv);
    if (name === "cryptsetup" && argv.some((a) => a === "luksAddKey")) return argv.join(" ");
    if (name === "systemd-cryptenroll" && argv.some((a) => /^--(password|recovery-key|fido2-device|pkcs11-token-uri)(=|$)/.test(a))) return argv.join(" ");
    return undefined;
}

/**
 * A command that prints the data disk's volume key, which opens it whatever its keyslots say:
 * `cryptsetup luksDump --dump-volume-key` (--dump-master-key before 2.4), `dmsetup table --showkeys`.
 */
export function volumeKeyExport(argv: readonly string[]): string | undefined {
    const name = commandName(argv);
    if (name === "cryptsetup" && argv.some((a) => /^--dump-(volume|master)-key$/.test(a))) return argv.join(" ");
    if (name === "dmsetup" && argv.includes("--showkeys")) return argv.join(" ");
    return undefined;
}
