// CNRS « Chiffrement des sauvegardes ». Decided on the commands the deployment runs or installs
// (remote commands, scripts, systemd units, cron files, cloud-init), as Borg, the dump tools and
// the shell read them (models/borg.ts, models/shell.ts), not on the program's own script text.
import { StackValidationPolicy } from "@pulumi/policy";
import { appendOnlyRemoved, archiveExclusions, forcedLoads, repairingChecks } from "../models/archives";
import { assignments, borgEnvironmentProblems, dumpLeaks, encryptingMode, repositoryCreations, rowlessDumps, partialDumps, unguardedDumps, unrestorableDumps } from "../models/borg";
import { emptyPassphraseSource, newPassphraseSource, exportsKey, keyfileMode, passphraseFiles } from "../models/borgKeys";
import { cloudConfig, filesWrittenBy } from "../models/programText";
import { pipelines } from "../models/shell";
import { networkMounts, unencryptedCopies } from "../models/transfers";
import { cnrs, DATA_MOUNT, installedFiles, knownOrUndefined, ofType, TYPES, violation, vmAddress } from "./common";
import { backupScheduleFindings } from "./backupSchedule";
import { DeployedScript, deployedScripts } from "./deployedText";

const REQUIREMENT = cnrs("Chiffrement des sauvegardes", "backup encryption");
/** Shortest Borg passphrase accepted (ANSSI: 20 random characters from a 62-letter alphabet are about 119 bits). */
const MINIMUM_PASSPHRASE_LENGTH = 20;
const DATA_DISK = `${DATA_MOUNT}/`;

/** A mysqldump (or mariadb-dump, mysqlpump) whose output does not go straight into `borg create`. */
export const plaintextDump = (script: string): boolean => dumpLeaks(script).length > 0;

/** Network file systems mounted on a host: by its scripts, its fstab lines, its cloud-init `mounts`. */
function mountsOn(host: string | undefined, scripts: readonly DeployedScript[]): string[] {
    const onHost = scripts.filter((s) => s.host === host);
    const fstabs = [
        ...onHost.flatMap((s) => filesWrittenBy(s.script)).filter((f) => f.path === "/etc/fstab").map((f) => f.content),
        ...[...new Set(onHost.filter((s) => s.resource.type === TYPES.snippet).map((s) => s.resource))].flatMap((snippet) => {
            const config = cloudConfig(String(snippet.props.sourceRaw?.data ?? ""));
            return [...(config?.fstab ?? []), ...(config?.files ?? []).filter((f) => f.path === "/etc/fstab").map((f) => f.content)];
        }),
    ];
    return networkMounts(onHost.map((s) => s.script), fstabs);
}

const BACKUP_JOB = "proxmoxve:backup/job:Job";

export const cnrsBackupEncryption: StackValidationPolicy = {
    name: "cnrs-backup-encryption",
    description: "Both VMs create Borg repositories with an encrypting mode (repokey or keyfile, in any spelling of the option) and no Borg variable that empties the passphrase or accepts an unencrypted repository; the passphrase is kept on the encrypted disk; no MySQL dump goes anywhere but straight into borg create, wherever the program writes commands; no Proxmox vzdump job copies the VMs to a storage not declared encrypted; every VM holding data archives it daily (an enabled timer whose calendar fires every day), each enabled timer's calendar occurs, and eLabFTW's migration waits for a Borg archive of the database; the daily archive names the host side of eLabFTW's writable mounts and its timer has an [Install] section; no schema-only or partial dump (--ignore-table, --where), no dump that names its database (--databases) or reads tables at different moments (no --single-transaction nor locks), no daily backup service that stays active after a run (RemainAfterExit), no dump piped into borg create without pipefail, no dump without its completion trailer (--compact, --skip-comments), no --dry-run archive, no file left out of an archive (--exclude, patterns, --exclude-if-present), no SQL loaded with --force (a restore is whole or refused); no borg check --repair, no edit that takes --append-only from the backup host's borg serve, no BORG_HOSTNAME_IS_UNIQUE=no (stale locks never broken), each VM's repository checked on a schedule (borg check); the pre-upgrade backup reruns whenever db:update does. Borg's passphrase is read from a real secret (not /dev/null); a keyfile repository's key is exported; dumps keep utf8mb4; eLabFTW's uploads are in the folder the nightly archive reads.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            encryptedBackupStorages: { type: "array", items: { type: "string" }, default: [], description: "Proxmox storages whose backups the site encrypts (Proxmox Backup Server with an encryption key): a vzdump job of the stack's VMs may write there only." },
        },
    },
    validateStack: (args, reportViolation) => {
        const { encryptedBackupStorages } = args.getConfig<{ encryptedBackupStorages: string[] }>();
        // A vzdump job copies the VMs' volumes as they are: the OS disk in plaintext, and the vTPM
        // state that unseals the data disk when the copy is restored on the same firmware.
        for (const job of args.resources.filter((r) => r.type === BACKUP_JOB)) {
            const p = job.props;
            if (p.enabled === false || encryptedBackupStorages.includes(String(p.storage))) continue;
            const ids = new Set(((p.vmids ?? []) as unknown[]).map(String));
            const covered = ofType(args.resources, TYPES.vm).filter((vm) => p.all === true || ids.has(String(vm.props.vmId)) || (p.pool && vm.props.poolId === p.pool));
            if (covered.length === 0) continue;
            reportViolation(violation(REQUIREMENT, job.name, `backs up ${covered.map((v) => v.name).join(", ")} with vzdump to the storage ${p.storage}, not declared encrypted: the OS disk in plaintext, and the vTPM state that opens the data disk`, "back the VMs up with Borg only, or list an encrypting Proxmox Backup Server storage in the policy config's encryptedBackupStorages"), job.urn);
        }
        // Encrypted backups that exist: taken every day, before each migration, on calendars that occur.
        for (const finding of backupScheduleFindings(args.resources)) reportViolation(violation(REQUIREMENT, finding.resource.name, finding.problem, finding.fix), finding.resource.urn);
        const scripts = deployedScripts(args.resources);
        for (const vm of ofType(args.resources, TYPES.vm)) {
            const address = vmAddress(vm);
            if (!address) continue;
            const onVm = scripts.filter((s) => s.host === address);
            // A repository exists once Pulumi runs a command that creates it.
            if (!onVm.some((s) => s.runByPulumi && repositoryCreations(s.script).length > 0)) {
                reportViolation(violation(REQUIREMENT, vm.name, "has no Borg backup (no command creates a Borg repository)", "keep the Backup component for both VMs"), vm.urn);
                continue;
            }
            for (const s of onVm) {
                for (const creation of repositoryCreations(s.script).filter((c) => !encryptingMode(c.encryption))) {
                    const how = creation.encryption === undefined ? "with no --encryption" : `with --encryption ${creation.encryption}, which does not encrypt`;
                    reportViolation(violation(REQUIREMENT, `${s.resource.name} (${s.where})`, `runs ${creation.command} ${how}: the repository is created without encryption`, "initialise it with --encryption=repokey-blake2"), s.resource.urn);
                }
                for (const problem of borgEnvironmentProblems(assignments(s.script))) {
                    reportViolation(violation(REQUIREMENT, `${s.resource.name} (${s.where})`, problem, "remove the variable, or give it borg.env's value (Borg reads its passphrase with BORG_PASSCOMMAND from the encrypted disk)"), s.resource.urn);
                }
            }
            // A passphrase change to anything but the installed (escrowed) passphrase file leaves backupPassphrases unable to open the repository.
            const variables = new Map(onVm.flatMap((s) => assignments(s.script)).map((a) => [a.name, a.value.text] as const));
            const installedPassphrases = [...installedFiles(args.resources, address).keys()].filter((path) => /\/passphrase$/.test(path));
            for (const s of onVm) {
                for (const stage of pipelines(s.script).flatMap((p) => p.stages)) {
                    const source = newPassphraseSource(stage);
                    if (source === undefined) continue;
                    const file = source.replace(/^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$/, (m, name: string) => variables.get(name) ?? m);
                    if (installedPassphrases.includes(file)) continue;
                    reportViolation(violation(REQUIREMENT, `${s.resource.name} (${s.where})`, `changes the repository's passphrase to ${source ? `the content of ${source}` : "a value"} that is not the passphrase the stack installs and escrows: once the VM is lost, backupPassphrases no longer decrypts any archive`, "re-key only to the generated passphrase the Backup component installs (its file under the data disk); rotate it in the program, escrowed first"), s.resource.urn);
                }
            }
            // What Borg reads as the passphrase (BORG_PASSCOMMAND's output, its trailing newlines stripped), when visible.
            for (const [path, command] of [...installedFiles(args.resources, address)].filter(([path]) => /\/passphrase$/.test(path))) {
                const content = knownOrUndefined(() => command.props.stdin);
                if (typeof content !== "string") continue;
                const passphrase = content.replace(/\n+$/, "");
                if (passphrase.length < MINIMUM_PASSPHRASE_LENGTH) {
                    reportViolation(violation(REQUIREMENT, command.name, `installs a Borg passphrase of ${passphrase.length} characters at ${path}: the repository key opens to a guess`, `install the generated passphrase (at least ${MINIMUM_PASSPHRASE_LENGTH} characters; the Backup component generates 48)`), command.urn);
                }
            }
            // The passphrase Borg actually reads: BORG_PASSCOMMAND's file, its variables resolved from the VM's environment files.
            const environment = onVm.flatMap((s) => assignments(s.script));
            for (const file of new Set(passphraseFiles(environment))) {
                const problem = emptyPassphraseSource(file);
                if (problem) reportViolation(violation(REQUIREMENT, vm.name, `Borg reads its passphrase from ${file} (BORG_PASSCOMMAND): ${problem}`, `point BORG_PASSCOMMAND at the generated passphrase the Backup component installs under ${DATA_DISK}`), vm.urn);
            }
            // A keyfile repository's key is on the VM alone unless exported: losing the VM loses every archive.
            const scriptTexts = new Map(onVm.filter((s) => !s.runByPulumi && s.where.startsWith("/")).map((s) => [s.where, s.script] as const));
            const keyfile = onVm.some((s) => repositoryCreations(s.script).some((c) => keyfileMode(c.encryption)));
            if (keyfile && !onVm.some((s) => s.runByPulumi && exportsKey(s.script, scriptTexts))) {
                reportViolation(violation(REQUIREMENT, vm.name, "creates its Borg repository in keyfile mode and nothing exports the key: it lives only in Borg's key directory on the VM, so losing the VM (or ransomware there) makes every archive unreadable", "initialise with --encryption=repokey-blake2 and keep the key-export step (the Backup component's repositoryKey output, escrowed with the passphrase)"), vm.urn);
            }
            if (![...installedFiles(args.resources, address).keys()].some((path) => path.startsWith(DATA_DISK) && path.endsWith("/passphrase"))) {
                reportViolation(violation(REQUIREMENT, vm.name, "keeps no Borg passphrase on its encrypted disk", `install it under ${DATA_DISK} and read it with BORG_PASSCOMMAND`), vm.urn);
            }
        }
        const mounts = new Map<string | undefined, string[]>();
        for (const s of scripts) {
            if (!mounts.has(s.host)) mounts.set(s.host, mountsOn(s.host, scripts));
            for (const copy of unencryptedCopies(s.script, mounts.get(s.host))) {
                reportViolation(violation(REQUIREMENT, `${s.resource.name} (${s.where})`, `copies data off the machine unencrypted: ${copy}`, "back up with Borg only (encrypted repository); encrypt anything else before it leaves (gpg, age)"), s.resource.urn);
            }
            for (const dump of unguardedDumps(s.script)) {
                reportViolation(violation(REQUIREMENT, `${s.resource.name} (${s.where})`, `pipes ${dump} into borg create without pipefail: a dump that fails half-way still ends in a successful archive, a truncated backup no one is told about`, "keep set -o pipefail before the dump (elabftw-backup.sh's set -euo pipefail)"), s.resource.urn);
            }
            for (const dump of rowlessDumps(s.script)) {
                reportViolation(violation(REQUIREMENT, `${s.resource.name} (${s.where})`, `dumps the schema only (${dump}): every archive restores a database without a single row`, "dump the data (remove --no-data / -d)"), s.resource.urn);
            }
            for (const problem of unrestorableDumps(s.script)) {
                reportViolation(violation(REQUIREMENT, `${s.resource.name} (${s.where})`, problem, "dump one database with --single-transaction and no --databases (elabftw-backup.sh db)"), s.resource.urn);
            }
            for (const part of partialDumps(s.script)) {
                reportViolation(violation(REQUIREMENT, `${s.resource.name} (${s.where})`, `dumps part of the database only (${part}): every archive restores a database without those rows or tables`, "dump the whole database (remove --ignore-table, --ignore-table-data, --where)"), s.resource.urn);
            }
            for (const exclusion of archiveExclusions(s.script)) {
                reportViolation(violation(REQUIREMENT, `${s.resource.name} (${s.where})`, `leaves files out of its Borg archives (${exclusion}): attachments that match are in no backup, and a restore brings the notebook back without them`, "archive the whole folder (no exclusion options on borg create)"), s.resource.urn);
            }
            for (const edit of appendOnlyRemoved(s.script)) {
                reportViolation(violation(REQUIREMENT, `${s.resource.name} (${s.where})`, `runs ${edit}, which takes --append-only away from the backup host's borg serve: a VM's key (whoever holds the VM) may then delete and compact its archives for good`, "keep borg serve --append-only in the backup host's forced commands (the program's hand-off line); prune from the workstation"), s.resource.urn);
            }
            for (const check of repairingChecks(s.script)) {
                reportViolation(violation(REQUIREMENT, `${s.resource.name} (${s.where})`, `runs ${check}: damaged archive data is replaced by zero-filled chunks and what cannot be rebuilt is dropped, and the run reports success: the damage is hidden until a restore`, "check without --repair (elabftw-backup.sh check), and repair by hand after reading borg check's report"), s.resource.urn);
            }
            for (const load of forcedLoads(s.script)) {
                reportViolation(violation(REQUIREMENT, `${s.resource.name} (${s.where})`, `loads SQL with ${load}: every statement that fails is skipped and the load still succeeds, so a restore can bring back a database with tables or rows missing and report success`, "load without --force: a restore is whole or refused (elabftw-restore.sh)"), s.resource.urn);
            }
            for (const leak of dumpLeaks(s.script)) {
                reportViolation(violation(REQUIREMENT, `${s.resource.name} (${s.where})`, `leaves a plaintext dump: ${leak}`, "stream the dump straight into borg create (elabftw-backup.sh db)"), s.resource.urn);
            }
        }
    },
};
