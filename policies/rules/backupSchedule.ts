// What keeps a stack's backups from running or from being whole, on every stack: a data VM without
// a daily Borg timer enabled (or one whose service stays active, requires a unit the VM lacks, or
// archives no folder eLabFTW writes), no scheduled repository check, a timer that never elapses, a
// migration not waiting for the database's archive.
import { PolicyResource } from "@pulumi/policy";
import { borgSubcommand } from "../models/borg";
import { dockerDataRoot, hostPathOf, hostPaths } from "../models/dockerContainer";
import { isUnder } from "../models/paths";
import { mysqldOptions } from "../models/mysqld";
import { unitText } from "../models/programText";
import { commandName, effectiveCommand, pipelines } from "../models/shell";
import { firesEveryDay, firingDays, timerSettings } from "../models/systemdCalendar";
import { missingDependencies } from "../models/systemdUnits";
import { commandHost, dockerHostAddress, installedFiles, isApplicationContainer, isDatabaseContainer, knownOrUndefined, ofType, TYPES, vmAddress, waitsFor } from "./common";
import { DataLossFinding, elabftwCommand } from "./dataLoss";
import { cloudInitFiles, cloudInitPackages, deployedScripts } from "./deployedText";

const stagesOf = (script: string) => pipelines(script).flatMap((p) => p.stages).map((s) => effectiveCommand(s).argv);

/** What keeps the backups from running when they should: every stack kind (the Backup component is always deployed). */
export function backupScheduleFindings(resources: readonly PolicyResource[]): DataLossFinding[] {
    return [...migrationBeforeBackup(resources), ...missingNightlyBackups(resources), ...timersThatNeverRun(resources)];
}

/** The unit files installed on a VM (install-file.sh), by unit name, as text. */
function unitsOn(resources: readonly PolicyResource[], address: string): Map<string, string> {
    const units = new Map<string, string>();
    for (const [path, command] of installedFiles(resources, address)) {
        const text = knownOrUndefined(() => command.props.stdin);
        if (typeof text === "string" && /\/systemd\/system\/[^/]+\.(service|timer)$/.test(path)) units.set(path.replace(/^.*\//, ""), text);
    }
    return units;
}

/**
 * Whether a service unit's ExecStart runs a program that runs `borg <subcommand>` (the program's
 * text, installed on the same VM) with the action that reaches it: the program's first argument
 * (elabftw-backup.sh's db/files/check) selects the branch, so `list` runs no `check`.
 */
function serviceRunsBorg(unit: string | undefined, resources: readonly PolicyResource[], address: string, subcommand: "create" | "check"): boolean {
    if (!unit) return false;
    const programs = new Map([...installedFiles(resources, address)].map(([path, c]) => [path, knownOrUndefined(() => c.props.stdin)]));
    return unitText(unit).commands.some((line) => {
        const argv = stagesOf(line)[0] ?? [];
        const text = programs.get(argv[0] ?? "");
        if (typeof text !== "string") return false;
        // The case branch the action selects, when the program is one (`db)` … `;;`); otherwise the whole text.
        const action = argv[1];
        const branch = action ? new RegExp(`^\\s*${action.replace(/[^A-Za-z0-9_-]/g, "")}\\)([\\s\\S]*?)^\\s*;;`, "m").exec(text)?.[1] : undefined;
        // `borg create --dry-run` (-n) reads everything and writes no archive.
        return stagesOf(branch ?? text).some((a) => {
            const borg = borgSubcommand(a);
            return borg?.subcommand === subcommand && (subcommand !== "create" || !borg.args.some((x) => x === "--dry-run" || /^-[a-zA-Z]*n[a-zA-Z]*$/.test(x)));
        });
    });
}

/** The units a command starts and waits for (`systemctl start U`, without --no-block). */
function startsAndWaits(command: PolicyResource): string[] {
    return stagesOf(String(command.props.create ?? "")).flatMap((argv) => {
        if (commandName(argv) !== "systemctl" || argv.includes("--no-block")) return [];
        const at = argv.indexOf("start");
        return at < 0 ? [] : argv.slice(at + 1).filter((a) => !a.startsWith("-")).map((u) => (u.includes(".") ? u : `${u}.service`));
    });
}

/** eLabFTW's migration (bin/init or bin/console db:update) must wait for a Borg archive of the database made on its VM. */
function migrationBeforeBackup(resources: readonly PolicyResource[]): DataLossFinding[] {
    const dbVm = ofType(resources, TYPES.container).filter((c) => isDatabaseContainer(c.props)).map(dockerHostAddress)[0];
    if (!dbVm) return [];
    const units = unitsOn(resources, dbVm);
    const found: DataLossFinding[] = [];
    const updates = ofType(resources, TYPES.command).filter((c) => deployedScripts([c]).some((s) => s.runByPulumi && stagesOf(s.script).some((argv) => elabftwCommand(argv) === "db:update")));
    for (const update of updates) {
        const backups = waitsFor(update).filter((d) => d.type === TYPES.command && commandHost(d) === dbVm && startsAndWaits(d).some((u) => serviceRunsBorg(units.get(u), resources, dbVm, "create")));
        if (backups.length === 0) {
            found.push({ resource: update, problem: "migrates the database (db:update) without waiting for a Borg archive of it: no command it depends on starts, and waits for, a backup service on the database VM", fix: "keep db:update depending on the pre-upgrade backup (systemctl start of the backup service, without --no-block)" });
            continue;
        }
        // A backup guarded by `docker inspect NAME` (nothing to back up before the container exists)
        // never runs when NAME is no container of that VM: the upgrade then migrates unbacked-up data.
        const names = ofType(resources, TYPES.container).filter((c) => dockerHostAddress(c) === dbVm).map((c) => knownOrUndefined(() => String(c.props.name)));
        for (const backup of names.every((n) => n !== undefined) ? backups : []) {
            for (const argv of stagesOf(String(backup.props.create ?? "")).filter((a) => commandName(a) === "docker" && a.includes("inspect"))) {
                const inspected = argv.slice(argv.indexOf("inspect") + 1).filter((a) => !a.startsWith("-"));
                const missing = inspected.filter((n) => !names.includes(n));
                if (missing.length > 0) found.push({ resource: backup, problem: `starts the pre-upgrade backup only if \`docker inspect ${missing.join(" ")}\` succeeds, and no container on the database VM has that name (${names.join(", ")}): the backup never runs and every upgrade migrates the database without one`, fix: "inspect the MySQL container by its name (the program's: mysql)" });
            }
        }
        // A command runs again only when its inputs change: the backup must rerun whenever db:update
        // does (each of db:update's triggers among its own), or later upgrades migrate unbacked-up data.
        const triggersOf = (c: PolicyResource) => knownOrUndefined(() => (Array.isArray(c.props.triggers) ? (c.props.triggers as unknown[]).map((t) => JSON.stringify(t)) : []));
        const needed = triggersOf(update);
        if (needed === undefined || needed.length === 0) continue;
        const rerun = backups.some((b) => {
            const own = triggersOf(b);
            return own === undefined || needed.every((t) => own.includes(t));
        });
        if (!rerun) found.push({ resource: update, problem: `reruns db:update when ${needed.join(", ")} change, but the backup it waits for (${backups.map((b) => b.name).join(", ")}) does not rerun then: later upgrades migrate the database without a fresh archive`, fix: "give the pre-upgrade backup the versions among its triggers (the Backup component does)" });
    }
    return found;
}

/** RemainAfterExit= as systemd reads it: the last assignment wins, booleans in any of their spellings. */
function remainsActive(unit: string): boolean {
    let remains = false;
    for (const m of unit.matchAll(/^\s*RemainAfterExit\s*=\s*(.*?)\s*$/gm)) remains = /^(1|yes|y|true|t|on)$/i.test(m[1]);
    return remains;
}

/** Each VM holding data (a container with a writable mount) enables a timer that archives with Borg every day. */
function missingNightlyBackups(resources: readonly PolicyResource[]): DataLossFinding[] {
    const found: DataLossFinding[] = [];
    for (const vm of ofType(resources, TYPES.vm)) {
        const address = vmAddress(vm);
        if (!address || !ofType(resources, TYPES.container).some((c) => dockerHostAddress(c) === address && (isDatabaseContainer(c.props) || isApplicationContainer(c.props)))) continue;
        const units = unitsOn(resources, address);
        for (const [path, text] of cloudInitFiles(vm, resources)) if (/\/systemd\/system\/[^/]+\.(service|timer)$/.test(path)) units.set(path.replace(/^.*\//, ""), text);
        const enabled = ofType(resources, TYPES.command)
            .filter((c) => commandHost(c) === address)
            .flatMap((c) => stagesOf(String(c.props.create ?? "")))
            .filter((argv) => commandName(argv) === "systemctl" && argv.includes("enable") && argv.includes("--now"))
            .flatMap((argv) => argv.filter((a) => a.endsWith(".timer")));
        const packages = cloudInitPackages(vm, resources);
        const dailyServices = enabled.flatMap((timer) => {
            const settings = timerSettings(units.get(timer) ?? "");
            const service = units.get(settings.unit ?? timer.replace(/\.timer$/, ".service"));
            // `enable` links a timer to the target its [Install] section names; without one it runs
            // for this boot only (the --now), and never again after a reboot.
            const installed = /^\s*\[Install\][^[]*^\s*(WantedBy|RequiredBy)\s*=\s*\S/m.test(units.get(timer) ?? "");
            // A timer starts its service; a oneshot with RemainAfterExit=yes stays "active" after its first
            // run, so later elapses start nothing: one archive per boot, not per day.
            if (!installed || !firesEveryDay(settings.onCalendar) || !serviceRunsBorg(service, resources, address, "create") || remainsActive(service!)) return [];
            // Requires= a unit nothing provides: systemd fails the start job before the script runs.
            const missing = missingDependencies(service!, [...units.keys()], packages);
            if (missing.length > 0) {
                found.push({ resource: vm, problem: `starts its daily backup through ${settings.unit ?? timer.replace(/\.timer$/, ".service")}, which requires ${missing.join(", ")}: no such unit exists on the VM, so systemd refuses to start the service and no archive is made`, fix: "remove the Requires=/BindsTo=/Requisite= on units the VM does not have (the program's units need docker.service only through After=)" });
                return [];
            }
            return [service!];
        });
        // The repository is read back on a schedule (borg check): bit rot or a truncated segment on the backup host shows before a restore needs it.
        const checked = enabled.some((timer) => serviceRunsBorg(units.get(timerSettings(units.get(timer) ?? "").unit ?? timer.replace(/\.timer$/, ".service")), resources, address, "check"));
        if (!checked) found.push({ resource: vm, problem: "enables no timer whose service checks its Borg repository (borg check): damage on the backup host (bit rot, a truncated segment, a tampered chunk) is found only by the restore that fails", fix: "keep the Backup component's check timer (elabftw-backup.sh check, weekly)" });
        if (dailyServices.length === 0) {
            found.push({ resource: vm, problem: "holds data but enables no timer that archives it with Borg every day (enable --now of a timer with an [Install] section, whose OnCalendar= fires daily and whose service runs borg create and does not stay active after a run: no RemainAfterExit=yes)", fix: "keep the Backup component's timers (nightly backup, enabled with --now)" });
            continue;
        }
        // eLabFTW's files live on the VM at the host side of its writable mounts: a daily archive must
        // name that folder (or a parent). The container's own path does not exist on the VM.
        const named = dailyServices.flatMap((unit) => unitText(unit).commands.flatMap((line) => (stagesOf(line)[0] ?? []).slice(1).filter((a) => a.startsWith("/"))));
        // MySQL's datadir archived as files: InnoDB's files copied while mysqld writes them, each at
        // another moment, restore as a corrupt or inconsistent database. The dump is the backup.
        for (const db of ofType(resources, TYPES.container).filter((c) => dockerHostAddress(c) === address && isDatabaseContainer(c.props))) {
            const datadir = mysqldOptions(knownOrUndefined(() => db.props.command) ?? []).get("datadir") ?? "/var/lib/mysql";
            const onHost = hostPathOf(db.props, datadir, dockerDataRoot(undefined));
            const copied = onHost?.path ? named.filter((path) => isUnder(path, onHost.path)) : [];
            if (copied.length > 0) found.push({ resource: db, problem: `has its live datadir archived as files (${copied.join(", ")}, the host side of ${datadir}): InnoDB's files read while mysqld writes them restore as an inconsistent database`, fix: "back the database up with the dump (elabftw-backup.sh db), never its data folder" });
        }
        for (const app of ofType(resources, TYPES.container).filter((c) => dockerHostAddress(c) === address && isApplicationContainer(c.props))) {
            // Where eLabFTW's uploads land when no bind mount holds them (the loop below judges those): in
            // memory, in the container's layer or in a volume, which the archive must name as well.
            const uploads = hostPathOf(app.props, "/elabftw/uploads", dockerDataRoot(undefined));
            const viaBind = uploads !== undefined && hostPaths(app.props).some((m) => !m.readOnly && isUnder(uploads.path, m.source));
            if (uploads && !viaBind && (uploads.inMemory || !named.some((path) => isUnder(uploads.path, path)))) {
                found.push({ resource: app, problem: `keeps eLabFTW's uploads in ${uploads.via} (${uploads.path}), which no daily Borg archive reads (its services archive ${named.join(", ") || "no folder"}): attachments are lost with the container or at the next restart`, fix: "bind-mount the data disk's uploads folder at /elabftw/uploads, the folder the files backup archives (--source)" });
            }
            for (const mount of hostPaths(app.props).filter((m) => !m.readOnly && m.source.startsWith("/"))) {
                if (!named.some((path) => isUnder(mount.source, path))) {
                    found.push({ resource: app, problem: `writes ${mount.target} to ${mount.source} on the VM, which no daily Borg archive names (its services archive ${named.join(", ") || "no folder"})`, fix: `give the files backup the VM's folder: --source ${mount.source} (the host side of the mount, not the container's ${mount.target})` });
                }
            }
        }
    }
    return found;
}

/** Timers the deployment enables whose calendar never elapses (30 February): the job they promise never runs. */
function timersThatNeverRun(resources: readonly PolicyResource[]): DataLossFinding[] {
    const found: DataLossFinding[] = [];
    for (const vm of ofType(resources, TYPES.vm)) {
        const address = vmAddress(vm);
        if (!address) continue;
        const units = unitsOn(resources, address);
        for (const [timer, text] of [...units].filter(([name]) => name.endsWith(".timer"))) {
            const { onCalendar } = timerSettings(text);
            if (onCalendar.length === 0) continue; // monotonic timers (OnBootSec=...) are not read here
            const days = onCalendar.flatMap((e) => firingDays(e) ?? [new Date(0)]);
            if (days.length === 0) found.push({ resource: vm, problem: `enables the timer ${timer}, whose OnCalendar= (${onCalendar.join("; ")}) never elapses: its job never runs`, fix: "give it a calendar that occurs (systemd-analyze calendar shows the next elapse)" });
        }
    }
    return found;
}
