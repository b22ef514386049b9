// What would lose a production stack's data, read from what the deployment runs: destructive steps
// (a command's delete runs on destroy and on every replacement; eLabFTW's `db:install -r` and SQL
// DROP/TRUNCATE destroy tables wherever they run), a schema migration that may run before the
// database is in Borg (the migration command not waiting for a synchronous backup, or the eLabFTW
// image migrating by itself at start: AUTO_DB_UPDATE), MySQL's datadir in the container's writable
// layer (gone with the container). What keeps the backups from running is in backupSchedule.ts.
import { PolicyResource } from "@pulumi/policy";
import { dockerDataRoot, hostPathOf } from "../models/dockerContainer";
import { isUnder } from "../models/paths";
import { statements } from "../models/mysqlAccounts";
import { mysqldOptions } from "../models/mysqld";
import { commandName, effectiveCommand, pipelines } from "../models/shell";
import { containerEnvValue, DATA_MOUNT, envValueOrUndecided, isApplicationContainer, isDatabaseContainer, knownOrUndefined, ofType, runsMysqlClient, TYPES } from "./common";
import { deployedScripts } from "./deployedText";

export interface DataLossFinding {
    readonly resource: { name: string; urn: string };
    readonly problem: string;
    readonly fix: string;
}

const stagesOf = (script: string) => pipelines(script).flatMap((p) => p.stages).map((s) => effectiveCommand(s).argv);

/** Why one command line destroys data, or undefined. */
function destroys(argv: readonly string[]): string | undefined {
    const name = commandName(argv);
    const flags = argv.slice(1).filter((a) => a.startsWith("-"));
    if (name === "rm" && flags.some((f) => /^-[a-zA-Z]*[rR]/.test(f) || f === "--recursive")) return `rm ${flags.join(" ")} ${argv.filter((a, i) => i > 0 && !a.startsWith("-")).join(" ")}`.trim();
    if (/^(wipefs|shred|blkdiscard)$|^mkfs(\..+)?$/.test(name)) return argv.join(" ");
    if (name === "cryptsetup" && argv.some((a) => /^(luksErase|erase|luksFormat|luksKillSlot)$/.test(a))) return argv.join(" ");
    if (name === "dd" && argv.some((a) => /^of=\/dev\//.test(a))) return argv.join(" ");
    if (name === "docker" && (argv.includes("prune") || (argv[1] === "volume" && argv[2] === "rm") || (argv[1] === "rm" && flags.some((f) => /^-[a-z]*v/.test(f) || f === "--volumes")))) return argv.join(" ");
    // eLabFTW's installer with -r/--reset drops every table first (REFERENCE.md: never use -r).
    const at = argv.findIndex(isElabftwConsole);
    if (elabftwCommand(argv) === "db:install" && argv.slice(at + 1).some((a) => a === "-r" || a === "--reset" || /^-[a-zA-Z]*r[a-zA-Z]*$/.test(a))) return argv.slice(at).join(" ");
    return undefined;
}

/** The command eLabFTW's bin/init or bin/console runs (its first word that is not an option). */
const isElabftwConsole = (word: string) => /(^|\/)bin\/(init|console)$/.test(word);

export function elabftwCommand(argv: readonly string[]): string | undefined {
    const at = argv.findIndex(isElabftwConsole);
    return at < 0 ? undefined : argv.slice(at + 1).find((a) => !a.startsWith("-"));
}

const DROPS = /^\s*(DROP\s+(DATABASE|SCHEMA|TABLE)|TRUNCATE)\b/i;

/** A file system made or mounted without its journal or write barriers: a crash or power cut leaves it inconsistent. */
export function unjournaled(argv: readonly string[]): string | undefined {
    const name = commandName(argv);
    if (/^mkfs\.ext2$/.test(name) || (name === "mke2fs" && !argv.some((a) => a === "-j" || /ext[34]/.test(a)))) return argv.join(" ");
    if (/^(mkfs\.ext[34]|mke2fs|tune2fs)$/.test(name)) {
        const features = argv.flatMap((a, i) => (a === "-O" ? [argv[i + 1] ?? ""] : /^-O./.test(a) ? [a.slice(2)] : []));
        if (features.some((f) => f.split(",").some((x) => x === "^has_journal" || x === "none"))) return argv.join(" ");
    }
    if (name === "mount" && argv.some((a, i) => argv[i - 1] === "-o" && /(^|,)(data=writeback|nobarrier|barrier=0)(,|$)/.test(a))) return argv.join(" ");
    return undefined;
}

/** Expands `$name` / `${name}` with the script's own assignments, in order (`scratch="${database}_restore_drill"`). */
function shellExpander(script: string): (text: string) => string {
    const values = new Map<string, string>();
    const expand = (text: string) => text.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (m, name: string) => values.get(name) ?? m);
    for (const stage of pipelines(script).flatMap((p) => p.stages)) for (const { name, value } of stage.assigns) if (!values.has(name)) values.set(name, expand(value.text));
    return expand;
}

/** The databases a script's SQL drops, its shell variables resolved from the script's own assignments. */
export function droppedDatabases(script: string): string[] {
    const expand = shellExpander(script);
    return [...script.matchAll(/DROP\s+(?:DATABASE|SCHEMA)\s+(?:IF\s+EXISTS\s+)?\\?`?([^\s`\\";]+)/gi)].map((m) => expand(m[1]));
}

const isScratch = (database: string | undefined) => database !== undefined && /_restore_drill$/.test(database);

/**
 * Rows a script deletes from eLabFTW's tables, wherever its SQL goes (a `mysql -e`, an echo piped
 * into the client, a here-document): `DELETE … FROM t`, `TRUNCATE t`, `DROP TABLE t`, except in the
 * restore drill's scratch database (`<db>_restore_drill`), named on the table or by the last `USE`
 * before the statement.
 */
export function deletedRows(script: string): string[] {
    const expand = shellExpander(script);
    // A USE statement: at the start of a line or of the SQL (after `;` or a quote), ended by `;`, a quote or the line's end.
    const uses = [...script.matchAll(/(?:^|[;"'])[ \t]*USE\s+`?([^\s`;'"]+)`?[ \t]*(?=[;"'\n]|$)/gim)].map((m) => ({ at: m.index, database: expand(m[1]) }));
    const current = (at: number) => uses.filter((u) => u.at < at).at(-1)?.database;
    return [...script.matchAll(/\b(DELETE\s+(?:LOW_PRIORITY\s+|QUICK\s+|IGNORE\s+)*(?:[\w`.,\s]+?\s+)?FROM|TRUNCATE(?:\s+TABLE)?|DROP\s+TABLE(?:\s+IF\s+EXISTS)?)\s+`?([\w$]+)`?(?:\.`?(\w+)`?)?/gi)]
        .filter((m) => !/^(FROM|WHERE|TABLE)$/i.test(m[2]) && !isScratch(m[3] ? expand(m[2]) : current(m.index)))
        .map((m) => `${m[1].replace(/\s+/g, " ")} ${m[3] ? `${m[2]}.${m[3]}` : m[2]}`);
}

/** An HTTP call that resets eLabFTW's settings (DELETE on the config endpoint), whatever wraps the client (`call DELETE /config`). */
export function resetsSettings(argv: readonly string[]): boolean {
    return argv.some((a, i) => /^DELETE$/i.test(a.replace(/^-X/, "")) && argv.slice(i + 1).some((b) => /(^|\/api\/v2)\/config\/?(["']?$|\?)/.test(b.replace(/^["']|["']$/g, ""))));
}

export function dataLossFindings(resources: readonly PolicyResource[]): DataLossFinding[] {
    const found: DataLossFinding[] = [];
    // SQL that deletes eLabFTW's rows from any script the deployment installs or runs (a clean-up job, a
    // timer): the notebook's entries are gone, then, retention after retention, from the backups too.
    for (const s of deployedScripts(resources)) {
        for (const deletion of deletedRows(s.script)) found.push({ resource: s.resource, problem: `${s.where} deletes rows of eLabFTW's database (\`${deletion}\`): experiments, items or their history are destroyed in the live database, then in the backups as retention rotates`, fix: "never delete eLabFTW's rows from a script: archive users in eLabFTW, and let its own settings decide what it keeps" });
        for (const argv of stagesOf(s.script).filter(resetsSettings)) found.push({ resource: s.resource, problem: `${s.where} runs \`${argv.join(" ")}\`: eLabFTW's settings are reset to its defaults (no SAML, no MFA enforcement, audit logs off) until the rest of the run patches them back, and a run that stops there leaves the instance so`, fix: "patch only the keys the program manages (the settings script's PATCH /config); never DELETE /config" });
    }
    // The live database, by the name eLabFTW uses (DB_NAME; elabimg's default is elabftw): a script
    // that drops it (a drill whose scratch name resolves to it) destroys production.
    const live = new Set(ofType(resources, TYPES.container).filter((c) => isApplicationContainer(c.props)).map((c) => envValueOrUndecided(c.props, "DB_NAME") ?? "elabftw"));
    for (const s of deployedScripts(resources)) {
        for (const name of droppedDatabases(s.script).filter((n) => live.has(n))) {
            found.push({ resource: s.resource, problem: `${s.where} drops the database ${name}, eLabFTW's live database, when it runs`, fix: "drop only a scratch database whose name differs from the live one (the drill's <database>_restore_drill)" });
        }
    }
    for (const s of deployedScripts(resources)) {
        for (const argv of stagesOf(s.script)) {
            const weak = unjournaled(argv);
            if (weak) found.push({ resource: s.resource, problem: `${s.where} runs \`${weak}\`: the file system has no journal (or no write barriers), so a crash or a power cut leaves it inconsistent, the boot's fsck stops, and files written just before are lost`, fix: "format ext4 with its journal (mkfs.ext4's defaults) and mount it with the defaults" });
        }
    }
    for (const s of deployedScripts(resources).filter((d) => d.runByPulumi)) {
        for (const argv of stagesOf(s.script)) {
            const what = destroys(argv);
            // A delete runs on destroy and on replacement; db:install -r wherever it runs.
            // rm -r of a folder on the data disk destroys it wherever it runs (create reruns on changes).
            const dataPath = commandName(argv) === "rm" && argv.slice(1).some((a) => !a.startsWith("-") && isUnder(a, DATA_MOUNT));
            if (what && (s.where.includes("delete") || /db:install/.test(what) || dataPath)) found.push({ resource: s.resource, problem: `${s.where} runs \`${what}\`, which destroys data when it runs`, fix: "never delete data from a command: leave it on the LUKS disk, and restore from Borg when needed" });
        }
    }
    // Installed jobs too (cron, timers): `find <data> … -delete` or `-exec rm` purges the notebook's
    // files on a schedule, wherever it runs.
    for (const s of deployedScripts(resources)) {
        for (const argv of stagesOf(s.script).filter((a) => commandName(a) === "find")) {
            const roots = argv.slice(1, argv.findIndex((a, i) => i > 0 && /^[-!(]/.test(a)) >>> 0).filter((a) => isUnder(a, DATA_MOUNT));
            const exec = argv.findIndex((a) => a === "-exec" || a === "-execdir" || a === "-ok");
            const removes = argv.includes("-delete") || (exec > 0 && /^(rm|shred|unlink)$/.test(commandName(argv.slice(exec + 1))));
            if (roots.length > 0 && removes) found.push({ resource: s.resource, problem: `${s.where} runs \`${argv.join(" ")}\`, which deletes files on the data disk (${roots.join(", ")}) every time it runs`, fix: "never purge the data disk from a job: eLabFTW's own retention and Borg's prune decide what goes" });
        }
    }
    // The LUKS recovery passphrase is the only way in when the vTPM refuses: a wipe of its keyslot in
    // any script (`systemd-cryptenroll --wipe-slot=all|password|recovery`) leaves a disk no one can open then.
    for (const s of deployedScripts(resources)) {
        for (const argv of stagesOf(s.script).filter((a) => commandName(a) === "systemd-cryptenroll")) {
            const wiped = argv.flatMap((a, i) => (a.startsWith("--wipe-slot=") ? [a.slice(12)] : a === "--wipe-slot" ? [argv[i + 1] ?? ""] : [])).flatMap((v) => v.split(","));
            const fatal = wiped.filter((w) => /^(all|password|recovery|0)$/.test(w));
            if (fatal.length > 0) found.push({ resource: s.resource, problem: `${s.where} runs \`${argv.join(" ")}\`, which wipes the recovery passphrase's keyslot (${fatal.join(", ")}): the day the vTPM refuses, the data disk opens no more`, fix: "wipe only the TPM2 keyslots (--wipe-slot=tpm2), never the passphrase's" });
        }
    }
    // A restore overwrites the live database with an archive: an operator's act, never a scheduled one.
    for (const s of deployedScripts(resources).filter((d) => !d.runByPulumi && /\.(service|timer)\b|cron|\/etc\/systemd\//.test(d.where))) {
        for (const argv of stagesOf(s.script).filter((a) => commandName(a) === "elabftw-restore.sh")) {
            found.push({ resource: s.resource, problem: `${s.where} runs \`${argv.join(" ")}\` on a schedule: every run overwrites the live database (or files) with an archive, losing what was written since`, fix: "restore by hand (docs/operating.md); the monthly drill restores into a scratch database with elabftw-restore-drill.sh" });
        }
    }
    // mysqld's own protections against a crash: without the doublewrite buffer a torn page is a corrupt table.
    for (const db of ofType(resources, TYPES.container).filter((c) => isDatabaseContainer(c.props))) {
        const options = mysqldOptions(knownOrUndefined(() => db.props.command) ?? []);
        const doublewrite = options.get("innodb_doublewrite");
        if (doublewrite !== undefined && /^(0|off|false|no)$/i.test(doublewrite)) found.push({ resource: db, problem: `runs mysqld with innodb_doublewrite=${doublewrite}: a crash or a power cut in the middle of a page write leaves a torn page, a corrupt table`, fix: "leave innodb_doublewrite on (MySQL's default)" });
        // Durability: nosync skips fsync (MySQL: "internal, for performance testing"); a commit not
        // flushed at once (flush_log_at_trx_commit 0 or 2) is lost with the host.
        const flush = options.get("innodb_flush_method");
        if (flush !== undefined && /^nosync$/i.test(flush)) found.push({ resource: db, problem: "runs mysqld with innodb_flush_method=nosync: InnoDB never calls fsync, so a crash or a power cut loses writes it had acknowledged and can corrupt the tablespaces", fix: "leave innodb_flush_method at its default (O_DIRECT on Linux in 8.4)" });
        const commit = options.get("innodb_flush_log_at_trx_commit");
        if (commit !== undefined && commit.trim() !== "1") found.push({ resource: db, problem: `runs mysqld with innodb_flush_log_at_trx_commit=${commit}: committed transactions are flushed to disk up to a second later, and a crash loses them`, fix: "leave innodb_flush_log_at_trx_commit at 1 (MySQL's default)" });
        // Forced recovery serves a damaged database, skipping what it cannot read: dumps and drills then agree on fewer rows.
        const recovery = options.get("innodb_force_recovery");
        if (recovery !== undefined && recovery.trim() !== "0") found.push({ resource: db, problem: `runs mysqld with innodb_force_recovery=${recovery}: InnoDB serves a damaged database, skipping the records it cannot read, so eLabFTW and every nightly dump silently get fewer rows`, fix: "remove innodb_force_recovery once the database is recovered (0, MySQL's default)" });
    }
    // A disk cache that ignores flushes: whatever the guest thinks is on disk may be lost with the host.
    for (const vm of ofType(resources, TYPES.vm)) {
        for (const disk of ((knownOrUndefined(() => vm.props.disks) ?? []) as { interface?: string; cache?: string }[]).filter((d) => d?.cache === "unsafe")) {
            found.push({ resource: vm, problem: `gives its disk ${disk.interface ?? "?"} cache=unsafe, which ignores the guest's flushes: a host crash loses writes MySQL and Borg were told were on disk`, fix: "leave the disk's cache at Proxmox's default (none) or writethrough" });
        }
    }
    for (const step of ofType(resources, TYPES.command).filter(runsMysqlClient)) {
        const sql = knownOrUndefined(() => step.props.stdin);
        for (const statement of typeof sql === "string" ? statements(sql).filter((x) => DROPS.test(x)) : []) {
            found.push({ resource: step, problem: `sends MySQL \`${statement.trim().slice(0, 80)}\``, fix: "never drop or truncate the database's tables from the deployment" });
        }
        // Rows deleted by the deployment, now or by an event MySQL runs on a schedule as its definer.
        for (const statement of typeof sql === "string" ? statements(sql).filter((x) => /^\s*(CREATE\s+(DEFINER\s*=\s*\S+\s+)?EVENT|DELETE\s+FROM|DELETE\s+\w)/i.test(x)) : []) {
            found.push({ resource: step, problem: `sends MySQL \`${statement.trim().slice(0, 80)}\`: rows deleted by the deployment${/EVENT/i.test(statement) ? " on a schedule, as the event's definer" : ""}, out of eLabFTW's own rules`, fix: "never delete eLabFTW's rows from the deployment (audit logs and revisions included): eLabFTW's settings decide what it keeps" });
        }
    }
    for (const container of ofType(resources, TYPES.container)) {
        if (isApplicationContainer(container.props) && /^(1|true|yes|on)$/i.test(containerEnvValue(container.props, "AUTO_DB_UPDATE") ?? "")) {
            found.push({ resource: container, problem: "migrates the database by itself at start (AUTO_DB_UPDATE), before any backup of the database", fix: "leave AUTO_DB_UPDATE false: the DatabaseLifecycle runs db:update after the pre-upgrade backup" });
        }
        // eLabFTW keeps users' files in /elabftw/uploads (elabimg's volume): on no mount, they are in
        // the writable layer, thrown away with the container at every upgrade.
        if (isApplicationContainer(container.props)) {
            const landing = hostPathOf(container.props, "/elabftw/uploads", dockerDataRoot(undefined));
            if (landing?.via === "the container's writable layer" || landing?.inMemory) found.push({ resource: container, problem: `keeps eLabFTW's uploads (/elabftw/uploads) in ${landing.via}, lost when the container is replaced (every eLabFTW upgrade)${landing.inMemory ? " or restarted" : ""}`, fix: "bind-mount the data disk's uploads folder at /elabftw/uploads exactly" });
        }
        if (isDatabaseContainer(container.props)) {
            const datadir = mysqldOptions(knownOrUndefined(() => container.props.command) ?? []).get("datadir") ?? "/var/lib/mysql";
            const landing = hostPathOf(container.props, datadir, dockerDataRoot(undefined));
            if (landing?.via === "the container's writable layer") found.push({ resource: container, problem: `keeps MySQL's datadir (${datadir}) in the container's writable layer, lost when the container is replaced (every MySQL upgrade)`, fix: "keep --datadir on the bind mount of the data disk (/var/lib/mysql)" });
        }
    }
    return found;
}
