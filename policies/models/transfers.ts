// Copies that leave the machine without being encrypted, as each tool reads its arguments:
// - rsync and scp to `[user@]host:path` or `rsync://`, sftp and lftp sessions, rclone copy/sync/move
//   to a `remote:path` (a crypt remote is configured outside the command: not visible, so refused),
//   curl/wget uploads (-T, --upload-file, -F x=@file, --data-binary @file, --post-file), tar writing
//   its archive to `host:file`;
// - a pipeline that feeds data into a network sender (ssh running anything but borg, nc, socat,
//   curl/wget reading stdin, rclone rcat, aws s3 cp -) with no encrypting stage (gpg, age, openssl
//   enc/smime, borg) on the way;
// - cp, mv, rsync, tar, dd, install writing under a network file system's mount point (NFS, CIFS,
//   SSHFS... from `mount`, `sshfs` or fstab lines).
import { commandName, effectiveCommand, pipelines, SimpleCommand } from "./shell";

const REMOTE_PATH = /^([^/\s@:]+@)?[A-Za-z0-9][A-Za-z0-9.-]*:(?!\/\/)|^rsync:\/\/|^sftp:\/\/|^scp:\/\//;
const NETWORK_FS = /^(nfs4?|cifs|smb3?|smbfs|sshfs|fuse\.sshfs|glusterfs|ceph|fuse\.rclone|9p|davfs|afs)$/;
const ENCRYPTS = (argv: readonly string[]) => {
    const name = commandName(argv);
    return name === "age" || name === "gpg" || name === "gpg2" || /^borg(backup)?$/.test(name) || (name === "openssl" && /^(enc|smime|cms)$/.test(argv[1] ?? "") && !argv.includes("-d"));
};

const operands = (args: readonly string[]) => args.filter((a) => !a.startsWith("-"));

/** Old-style tar letters that take the next word as their value (GNU tar: f, b, C, g, K, L, N, T, V, X, I, H). */
const TAR_LETTERS_WITH_VALUE = "fbCgKLNTVXIH";

/**
 * The archive files a tar command line names, as GNU tar reads it: the old-style first word
 * (`tar czf FILE`, each value-taking letter consuming the next word in turn), short bundles
 * (`-czf FILE`, `-fFILE`), and `--file FILE`/`--file=FILE`.
 */
export function tarArchives(argv: readonly string[]): string[] {
    const args = argv.slice(1);
    const files: string[] = [];
    let i = 0;
    if (args[0] && /^[a-zA-Z]+$/.test(args[0])) {
        let next = 1;
        for (const letter of args[0]) {
            if (!TAR_LETTERS_WITH_VALUE.includes(letter)) continue;
            if (letter === "f" && args[next] !== undefined) files.push(args[next]);
            next++;
        }
        i = next;
    }
    for (; i < args.length; i++) {
        const a = args[i];
        if (a === "--file") files.push(args[++i] ?? "");
        else if (a.startsWith("--file=")) files.push(a.slice(7));
        else if (/^-[a-zA-Z]+/.test(a) && !a.startsWith("--")) {
            const at = [...a.slice(1)].findIndex((c) => TAR_LETTERS_WITH_VALUE.includes(c));
            if (at < 0) continue;
            const rest = a.slice(at + 2);
            const value = rest !== "" ? rest : args[++i] ?? "";
            if (a[at + 1] === "f") files.push(value);
        }
    }
    return files;
}

/** Where a single command sends files off the machine by itself, if it does. */
function directUpload(argv: readonly string[]): string | undefined {
    const name = commandName(argv);
    const args = argv.slice(1);
    if ((name === "rsync" || name === "scp") && operands(args).slice(-1).some((a) => REMOTE_PATH.test(a))) return `${name} to ${operands(args).at(-1)}`;
    if (name === "rclone" && /^(copy|copyto|sync|move|moveto|rcat)$/.test(args[0] ?? "") && operands(args).slice(-1).some((a) => /^[A-Za-z0-9_-]+:/.test(a))) return `rclone ${args[0]} to ${operands(args).at(-1)}`;
    if ((name === "sftp" || name === "lftp" || name === "ftp") && args.length > 0) return `an ${name} session`;
    if (name === "curl" && args.some((a, i) => /^(-T|--upload-file)$/.test(a) || /^-T./.test(a) || (/^(-F|--form|--data-binary|-d|--data)$/.test(a) && /@/.test(args[i + 1] ?? "")))) return "a curl upload";
    if (name === "wget" && args.some((a) => /^--(post|body)-file/.test(a))) return "a wget upload";
    if (name === "tar" && tarArchives(argv).some((f) => REMOTE_PATH.test(f))) return "tar writing its archive to a remote host";
    return undefined;
}

/** A command that sends its standard input over the network (not through Borg). */
function sendsStdin(argv: readonly string[]): string | undefined {
    const name = commandName(argv);
    const args = argv.slice(1);
    if (name === "ssh") return args.some((a) => /^borg(backup)?\b/.test(a)) ? undefined : "ssh";
    if (/^(nc|ncat|netcat|socat)$/.test(name)) return name;
    if (name === "curl" && args.some((a, i) => (/^(-T|--upload-file)$/.test(a) && args[i + 1] === "-") || a === "-T-" || /^@-$/.test(args[i + 1] ?? ""))) return "curl";
    if (name === "rclone" && args[0] === "rcat") return "rclone rcat";
    if (name === "aws" && args[0] === "s3" && args.includes("-")) return "aws s3";
    return undefined;
}

/** Mount points of network file systems a script mounts or declares in fstab lines. */
export function networkMounts(scripts: readonly string[], fstabs: readonly string[] = []): string[] {
    const mounts: string[] = [];
    for (const stage of scripts.flatMap((s) => pipelines(s)).flatMap((p) => p.stages)) {
        const argv = effectiveCommand(stage).argv;
        const name = commandName(argv);
        const ops: string[] = [];
        let type = "";
        for (let i = 1; i < argv.length; i++) {
            if (/^-[to]$/.test(argv[i])) { if (argv[i] === "-t") type = argv[i + 1] ?? ""; i++; }
            else if (!argv[i].startsWith("-")) ops.push(argv[i]);
        }
        if (name === "sshfs" && ops.length >= 2) mounts.push(ops[1]);
        if (/^mount(\.\w+)?$/.test(name) && ops.length >= 2 && (NETWORK_FS.test(type) || /^\/\/|^[^/\s]+:\//.test(ops[0]) || /^mount\.(nfs4?|cifs)$/.test(name))) mounts.push(ops[1]);
    }
    for (const line of fstabs.flatMap((t) => t.split("\n"))) {
        const [spec, file, type] = line.trim().split(/\s+/);
        if (spec && !spec.startsWith("#") && file && (NETWORK_FS.test(type ?? "") || /^\/\/|^[^/\s]+:\//.test(spec))) mounts.push(file);
    }
    return mounts;
}

const writesUnder = (stage: SimpleCommand, mounts: readonly string[]): string | undefined => {
    const argv = effectiveCommand(stage).argv;
    const name = commandName(argv);
    const under = (p: string) => mounts.find((m) => p === m || p.startsWith(`${m.replace(/\/$/, "")}/`));
    const targets = [
        ...(/^(cp|mv|rsync|install)$/.test(name) ? operands(argv.slice(1)).slice(-1) : []),
        ...(name === "dd" ? argv.filter((a) => a.startsWith("of=")).map((a) => a.slice(3)) : []),
        ...(name === "tar" ? tarArchives(argv) : []),
        ...stage.redirects.filter((r) => r.op.startsWith(">") && r.op !== ">&").map((r) => r.target),
    ];
    const hit = targets.find((t) => under(t));
    return hit ? `${name} writing to ${hit} on the network file system mounted at ${under(hit)}` : undefined;
};

/** Each copy in a script that leaves the machine unencrypted, described. */
export function unencryptedCopies(script: string, mounts: readonly string[] = []): string[] {
    const found: string[] = [];
    for (const { stages } of pipelines(script)) {
        stages.forEach((stage, i) => {
            const argv = effectiveCommand(stage).argv;
            const direct = directUpload(argv);
            if (direct) found.push(direct);
            const sender = i > 0 ? sendsStdin(argv) : undefined;
            if (sender && !stages.slice(0, i).some((s) => ENCRYPTS(effectiveCommand(s).argv))) found.push(`${commandName(effectiveCommand(stages[0]).argv)} piped into ${sender} with no encryption on the way`);
            const onMount = mounts.length > 0 && !stages.slice(0, i).some((s) => ENCRYPTS(effectiveCommand(s).argv)) ? writesUnder(stage, mounts) : undefined;
            if (onMount) found.push(onMount);
        });
    }
    return found;
}
