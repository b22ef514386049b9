// CNRS « Chiffrement des disques durs ».
import { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { containerdLayerRoot, daemonLogDriverOf, dockerDataRoot, hostPathOf, hostPaths, volumePaths } from "../models/dockerContainer";
import { mysqldDataPaths, mysqldOptions } from "../models/mysqld";
import { followLinks, isUnder, symlinksMade } from "../models/paths";
import { cnrs, commandHost, dockerHostAddress, isDatabaseContainer, knownOrUndefined, ofType, TYPES, violation, vmAddress } from "./common";
import { assignments, borgDirectories, runsBorg } from "../models/borg";
import { cloudInitFiles, commandLinesOn, deployedScripts, installedPackages, installedPath, snippetHost, vmFileTexts } from "./deployedText";
import { keyMaterial } from "../models/secrets";
import { textSecrets } from "../models/secretScan";
import { cloudConfig, kindOfPath, stdinWriteTargets } from "../models/programText";
import { addedKeyslots, crypttabKeyFiles, volumeKeyExport, tpmSteadyBindingProblem, luksFormatWeaknesses, luksKeyFilesWritten, tpmEnrolmentWeaknesses } from "../models/luks";
import { effectiveCommand, pipelines } from "../models/shell";
import { consoleAutologin } from "../models/hostAccess";
import { grantedOver, rolePrivileges } from "../models/pveAccess";
import { dataExports } from "../models/dataExports";
import { consoleRootShells, debugShellEnabled, GRUB_DEFAULTS, grubFileOrder, grubSettings, kernelWords } from "../models/bootParameters";

const REQUIREMENT = cnrs("Chiffrement des disques durs", "disk encryption");

/** Every datastore a VM's volumes use. */
function datastoresOf(vm: PolicyResource): string[] {
    const p = vm.props;
    return [...((p.disks ?? []) as { datastoreId?: string }[]).map((d) => d.datastoreId), p.efiDisk?.datastoreId, p.tpmState?.datastoreId, p.initialization?.datastoreId].filter(
        (id): id is string => typeof id === "string",
    );
}

type Disk = { interface?: string; serial?: string; datastoreId?: string };
const disksOf = (vm: PolicyResource) => (vm.props.disks ?? []) as Disk[];
const deviceOf = (serial: string) => `/dev/disk/by-id/scsi-0QEMU_QEMU_HARDDISK_${serial}`;
const commandsOn = (vm: PolicyResource, resources: readonly PolicyResource[]) => ofType(resources, TYPES.command).filter((c) => commandHost(c) === vmAddress(vm));
const luksFormatted = (serial: string, onVm: PolicyResource[]) => onVm.some((c) => (c.props.create ?? "").includes(`luks-format.sh --device ${deviceOf(serial)} `));

/** The program's LUKS formatting of this VM's data disk (by its serial), followed by a mount through crypttab. */
function luksOnDataDisk(vm: PolicyResource, resources: readonly PolicyResource[]): boolean {
    const serial = disksOf(vm).find((d) => d.interface !== "scsi0" && d.serial)?.serial;
    if (!serial) return false;
    const onVm = commandsOn(vm, resources);
    const opened = onVm.some((c) => (c.props.create ?? "").includes(`data-disk-mount.sh --device ${deviceOf(serial)} `) && (c.props.create ?? "").includes("--luks-name "));
    return luksFormatted(serial, onVm) && opened;
}

/** Mount points the program opens from LUKS on this VM (data-disk-mount.sh --mount-point X ... --luks-name). */
function luksMountPoints(vm: PolicyResource, resources: readonly PolicyResource[]): string[] {
    return ofType(resources, TYPES.command)
        .filter((c) => commandHost(c) === vmAddress(vm))
        .map((c) => String(c.props.create ?? "").split("\n").pop()!) // the invocation, after the script's text
        .filter((line) => line.includes("data-disk-mount.sh ") && line.includes("--luks-name "))
        .flatMap((line) => /--mount-point (\S+)/.exec(line)?.[1] ?? []);
}


/**
 * Where Borg writes its own files on this VM, when it runs there: from the Borg and XDG variables the
 * VM's scripts, units, cron and environment files set (the last one wins), else under root's home.
 * A value that expands something the model cannot resolve is left out (decided at no path).
 */
function borgFilesOn(vm: PolicyResource, resources: readonly PolicyResource[]): { what: string; path: string }[] {
    const onVm = deployedScripts(resources).filter((s) => s.host === vmAddress(vm));
    if (!onVm.some((s) => runsBorg(s.script))) return [];
    const env: Record<string, string> = {};
    for (const { name, value } of onVm.flatMap((s) => assignments(s.script))) {
        if (!/^(BORG_\w+_DIR|XDG_(CACHE|CONFIG)_HOME|HOME)$/.test(name)) continue;
        env[name] = value.text.replace(/\$\{?(\w+)\}?/g, (whole, ref: string) => env[ref] ?? whole);
    }
    return borgDirectories(env, "/root").filter((d) => !d.path.includes("$"));
}

/** Whether docker.service needs the LUKS mount: a drop-in's RequiresMountsFor= (a path at or under it) or ConditionPathIsMountPoint= (it), after resets by empty assignments. */
function dockerWaitsForMount(files: ReadonlyMap<string, string>, mountPoints: readonly string[]): boolean {
    const dropIns = [...files.keys()].filter((p) => /^\/etc\/systemd\/system\/docker\.service(\.d\/[^/]+\.conf)?$/.test(p)).sort();
    let requires: string[] = [];
    let conditions: string[] = [];
    for (const text of dropIns.map((p) => files.get(p)!)) {
        for (const [, key, value] of text.matchAll(/^\s*(RequiresMountsFor|ConditionPathIsMountPoint)\s*=\s*(.*)$/gm)) {
            if (key === "RequiresMountsFor") requires = value.trim() === "" ? [] : [...requires, ...value.trim().split(/\s+/)];
            else conditions = value.trim() === "" ? [] : [...conditions, value.trim()];
        }
    }
    return mountPoints.some((m) => requires.some((r) => isUnder(r, m)) || conditions.includes(m));
}

/** Swap areas a VM gets: cloud-init's swap file, fstab lines of type swap, mkswap/swapon on a path (zram and device-mapper devices excepted). */
function swapAreas(vm: PolicyResource, resources: readonly PolicyResource[]): string[] {
    const areas: string[] = [];
    for (const snippet of ofType(resources, TYPES.snippet)) {
        const config = cloudConfig(String(snippet.props.sourceRaw?.data ?? ""));
        if (!config || snippetHost(snippet, resources) !== vmAddress(vm)) continue;
        if (config.swapFile) areas.push(config.swapFile);
        for (const line of config.fstab) if (/^\S+\s+\S+\s+swap\b/.test(line)) areas.push(line.split(/\s+/)[0]);
    }
    for (const s of deployedScripts(resources).filter((d) => d.host === vmAddress(vm))) {
        for (const stage of pipelines(s.script).flatMap((p) => p.stages)) {
            const argv = effectiveCommand(stage).argv;
            if (!/^(mkswap|swapon)$/.test(argv[0]?.replace(/^.*\//, "") ?? "")) continue;
            areas.push(...argv.slice(1).filter((a) => a.startsWith("/") && !/^\/dev\/(zram\d+|mapper\/)/.test(a)));
        }
    }
    for (const [path, content] of cloudInitFiles(vm, resources)) if (path === "/etc/fstab") for (const line of content.split("\n")) if (/^\S+\s+\S+\s+swap\b/.test(line)) areas.push(line.split(/\s+/)[0]);
    return areas;
}

/** LUKS formatted with no or a weak cipher, and key files on the VM's OS disk, from everything the deployment runs there. */
function luksFindings(vm: PolicyResource, resources: readonly PolicyResource[]): { problem: string; fix: string; urn?: string }[] {
    const findings: { problem: string; fix: string; urn?: string }[] = [];
    for (const s of deployedScripts(resources).filter((d) => d.host === vmAddress(vm))) {
        for (const stage of pipelines(s.script).flatMap((p) => p.stages)) {
            for (const weakness of tpmEnrolmentWeaknesses(effectiveCommand(stage).argv)) {
                findings.push({ problem: `has its data disk's key enrolled in the vTPM as ${weakness} (${s.resource.name}, ${s.where})`, fix: "enrol with --tpm2-pcrs=7 (the Secure Boot state), as luks-format.sh does", urn: s.resource.urn });
            }
            const exported = volumeKeyExport(effectiveCommand(stage).argv);
            if (exported) findings.push({ problem: `has its data disk's volume key printed (\`${exported}\`, ${s.resource.name}, ${s.where}): that key opens the disk whatever the passphrase and the vTPM say, and wherever it lands (a file on the OS disk, a log) the data is readable`, fix: "never export the volume key; the escrowed recovery passphrase and a LUKS header backup are the recovery path", urn: s.resource.urn });
            const added = addedKeyslots(effectiveCommand(stage).argv);
            if (added) findings.push({ problem: `gets another key for its data disk (\`${added}\`, ${s.resource.name}, ${s.where}): one more secret opens the disk, held by whoever set it`, fix: "keep the data disk's two keyslots: the escrowed recovery passphrase and the vTPM key", urn: s.resource.urn });
            for (const weakness of luksFormatWeaknesses(effectiveCommand(stage).argv)) {
                findings.push({ problem: `has its disk LUKS-formatted with ${weakness} (${s.resource.name}, ${s.where})`, fix: `leave cryptsetup's default cipher (aes-xts-plain64, 512-bit key) or pass an AES cipher with --key-size 512`, urn: s.resource.urn });
            }
        }
        for (const path of luksKeyFilesWritten(s.script)) {
            findings.push({ problem: `gets a LUKS key file at ${path} on its unencrypted OS disk, which unlocks the data disk (${s.resource.name}, ${s.where})`, fix: "unlock with the vTPM (tpm2-device=auto) or a passphrase typed at boot; never store key material on the OS disk", urn: s.resource.urn });
        }
    }
    // The steady state: a key sealed to PCR 7+8, every older TPM2 slot wiped (docs/security.md).
    const enrolments = deployedScripts(resources).filter((d) => d.host === vmAddress(vm)).flatMap((d) => pipelines(d.script).flatMap((p) => p.stages.map((stage) => effectiveCommand(stage).argv)));
    const binding = tpmSteadyBindingProblem(enrolments);
    if (binding) findings.push({ problem: `has its data disk's vTPM binding weakened: ${binding}`, fix: "keep the tpm-seal service (elabftw-tpm-seal.sh: systemd-cryptenroll --tpm2-pcrs=7+8 --wipe-slot=tpm2)" });
    // PCR 7 holds the Secure Boot state: with the firmware's keys not enrolled, Secure Boot is off and
    // any boot loader reproduces the value the vTPM's key is sealed to.
    const sealed = deployedScripts(resources).some((d) => d.host === vmAddress(vm) && pipelines(d.script).some((p) => p.stages.some((stage) => /systemd-cryptenroll$/.test(effectiveCommand(stage).argv[0] ?? "") && effectiveCommand(stage).argv.some((a) => a.startsWith("--tpm2-device")))));
    if (sealed && vm.props.efiDisk?.preEnrolledKeys !== true) {
        findings.push({ problem: "seals its data disk's key in the vTPM while its EFI disk has no pre-enrolled Secure Boot keys (preEnrolledKeys is not true): Secure Boot is off, PCR 7 (the binding) then holds a value any boot loader reproduces, and whatever boots unseals the key", fix: "keep efiDisk.preEnrolledKeys true (SecureVm does)" });
    }
    // Crash dumps are memory images: kdump writes the kernel's (dm-crypt's volume key among its pages)
    // from a crash kernel that has no LUKS volume open; systemd-coredump keeps every crashed process's
    // (a container's php-fpm or mysqld, with the data it held) under /var/lib/systemd/coredump.
    const installed = installedPackages(vm, resources);
    const files = cloudInitFiles(vm, resources);
    const coredumpOff = /^\s*Storage\s*=\s*none\s*$/m.test([...files].filter(([p]) => /^\/etc\/systemd\/coredump\.conf(\.d\/[^/]+\.conf)?$/.test(p)).map(([, t]) => t).join("\n"));
    for (const name of new Set(installed)) {
        if (name === "kdump-tools" || name === "kexec-tools") findings.push({ problem: `installs ${name}: a kernel crash dump (memory that holds the data disk's volume key) is written to its unencrypted OS disk`, fix: "do not install a crash-dump collector on the VMs; debug a crash on a copy without data" });
        if (name === "systemd-coredump" && !coredumpOff) findings.push({ problem: "installs systemd-coredump: every crashed process's memory (mysqld's buffer pool, eLabFTW's requests) is kept under /var/lib/systemd/coredump on its unencrypted OS disk", fix: "do not install systemd-coredump, or set Storage=none in /etc/systemd/coredump.conf" });
    }
    for (const [path, content] of cloudInitFiles(vm, resources)) {
        const keys = isUnder(path, "/etc/cryptsetup-keys.d") ? [path] : /crypttab$/.test(path) ? crypttabKeyFiles(content) : [];
        for (const key of keys) findings.push({ problem: `gets a LUKS key file at ${key} on its unencrypted OS disk from cloud-init`, fix: "unlock with the vTPM (tpm2-device=auto) or a passphrase typed at boot; never store key material on the OS disk" });
    }
    return findings;
}

const GENERATED_SECRETS = [TYPES.privateKey, TYPES.randomPassword, TYPES.randomBytes] as readonly string[];

/**
 * Files a VM's commands fill with the secret on their stdin (key material, a password assignment,
 * or a generated secret by the engine's property dependencies), outside the LUKS mount: through
 * install-file.sh, `install /dev/stdin FILE`, `tee FILE`, `cat >FILE`, `dd of=FILE`.
 */
function secretsWrittenOffMount(vm: PolicyResource, resources: readonly PolicyResource[], mountPoints: readonly string[], links: ReadonlyMap<string, string>): { resource: PolicyResource; path: string; what: string }[] {
    const found: { resource: PolicyResource; path: string; what: string }[] = [];
    for (const command of commandsOn(vm, resources)) {
        const stdin = knownOrUndefined(() => command.props.stdin);
        const generated = (command.propertyDependencies?.stdin ?? []).find((r) => GENERATED_SECRETS.includes(r.type));
        // Code (a script, a unit) names its secrets' files; data (an option file, a key) holds them.
        const isData = typeof stdin === "string" && kindOfPath(installedPath(command) ?? "", stdin) === "data";
        const what = typeof stdin === "string" && keyMaterial(stdin).length > 0 ? "key material" : isData && textSecrets(stdin as string).length > 0 ? "a secret" : generated ? `the secret ${generated.name}` : undefined;
        if (!what) continue;
        const targets = new Set<string>();
        const installed = installedPath(command);
        if (installed) targets.add(installed);
        for (const path of stdinWriteTargets(String(command.props.create ?? ""))) targets.add(path);
        for (const path of [...targets].filter((t) => t.startsWith("/") && !/^\/(dev|proc|run|sys)\//.test(t))) {
            if (!mountPoints.some((m) => isUnder(followLinks(path, links), m))) found.push({ resource: command, path, what });
        }
    }
    return found;
}

export const cnrsDiskEncryption: StackValidationPolicy = {
    name: "cnrs-disk-encryption",
    description: "Every VM either has all its volumes on datastores the site declares encrypted, or its data disk LUKS-encrypted by the program (a formatting command for that disk, then a mount through crypttab) and every writable bind mount of its containers on that LUKS mount; a vTPM seal only with Secure Boot's keys enrolled; no crash-dump collector writing memory images to the OS disk; no console that logs someone in by itself; the key sealed to PCR 7+8 with the older TPM2 slots wiped; no export of the volume key (cryptsetup --dump-volume-key, dmsetup --showkeys); no keyslot beyond the recovery passphrase and the vTPM key (luksAddKey, cryptenroll --password, --recovery-key, --fido2-device, --pkcs11-token-uri). No console root shell on the kernel command line (systemd.debug_shell, rd.break, init=/bin/sh) nor debug-shell.service; no Proxmox ACL handing out backups, clones, migrations or consoles of the VMs; no read of the notebook's content written off the LUKS mount or to the journal.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            encryptedDatastores: { type: "array", items: { type: "string" }, default: [], description: "Proxmox storages the site encrypts on the host (ZFS native encryption, Ceph encrypted OSDs, LUKS under LVM)." },
        },
    },
    validateStack: (args, reportViolation) => {
        const { encryptedDatastores } = args.getConfig<{ encryptedDatastores: string[] }>();
        // Proxmox permissions the stack hands out: a backup, clone or migration of a VM carries its
        // vTPM state, which opens the data disk wherever the copy boots.
        const vms = ofType(args.resources, TYPES.vm);
        const guarded = { vmIds: vms.map((v) => Number(v.props.vmId)), pools: vms.map((v) => String(v.props.poolId ?? "")).filter(Boolean), storages: [...new Set(vms.flatMap(datastoresOf))] };
        const roles = new Map(args.resources.filter((r) => r.type === "proxmoxve:index/roleLegacy:RoleLegacy").map((r) => [String(r.props.roleId), ((r.props.privileges ?? []) as unknown[]).map(String)] as const));
        for (const acl of args.resources.filter((r) => /^proxmoxve:index\/acl(Legacy)?:Acl(Legacy)?$/.test(r.type))) {
            const role = String(knownOrUndefined(() => acl.props.roleId) ?? "");
            const privileges = rolePrivileges(role, roles) ?? ["*"];
            const granted = grantedOver(String(knownOrUndefined(() => acl.props.path) ?? "/"), knownOrUndefined(() => acl.props.propagate) !== false, privileges, guarded);
            const who = acl.props.groupId ? `group ${acl.props.groupId}` : acl.props.userId ? `user ${acl.props.userId}` : `token ${acl.props.tokenId ?? "?"}`;
            if (granted.length > 0) reportViolation(violation(REQUIREMENT, acl.name, `gives ${who} the role ${role || "?"} on ${acl.props.path} (${granted.join(", ")}): a backup, clone, migration or console of the VMs, with the vTPM state that opens their data disks, for accounts outside the stack`, "grant at most VM.Audit and VM.PowerMgmt (a role of your own) to other teams; backups are Borg's"), acl.urn);
        }
        for (const vm of ofType(args.resources, TYPES.vm)) {
            const plain = datastoresOf(vm).filter((id) => !encryptedDatastores.includes(id));
            if (plain.length > 0 && luksOnDataDisk(vm, args.resources)) {
                // The VM's own disks are plain: what the containers write must land on the LUKS mount.
                const mountPoints = luksMountPoints(vm, args.resources);
                const dataRoot = dockerDataRoot(cloudInitFiles(vm, args.resources).get("/etc/docker/daemon.json"));
                if (!mountPoints.some((p) => isUnder(dataRoot, p))) {
                    reportViolation(violation(REQUIREMENT, vm.name, `keeps Docker's data-root (images, writable layers, volumes) at ${dataRoot}, on its unencrypted OS disk`, `set "data-root" in /etc/docker/daemon.json under ${mountPoints[0] ?? "the LUKS mount"}`), vm.urn);
                }
                // The vTPM opens the disk at boot: a console that logs someone in by itself hands that
                // open disk to whoever opens the VM's console in Proxmox.
                for (const [path, texts] of vmFileTexts(vm, args.resources)) {
                    if (!/^\/etc\/systemd\/system\/[^/]*getty@[^/]*\.service(\.d\/[^/]+\.conf)?$/.test(path)) continue;
                    const login = consoleAutologin(texts.at(-1)!);
                    if (login) reportViolation(violation(REQUIREMENT, vm.name, `logs ${login} in by itself on a console (${path}): whoever opens the VM's console gets a shell on the unlocked data disk`, "remove the getty override; the console asks for a password the admin account does not have"), vm.urn);
                }
                const written = vmFileTexts(vm, args.resources);
                const grub = grubSettings([...written.keys()].filter((p) => GRUB_DEFAULTS.test(p)).sort(grubFileOrder).map((p) => written.get(p)!.at(-1)!));
                const shells = [...consoleRootShells(kernelWords(grub)), ...commandLinesOn(vmAddress(vm), args.resources).filter(debugShellEnabled).map((argv) => argv.join(" "))];
                for (const shell of shells) reportViolation(violation(REQUIREMENT, vm.name, `boots with a root shell without a password on a console (${shell}): once the vTPM has opened the data disk, whoever opens the VM's console in Proxmox reads it`, "remove it from the kernel command line (/etc/default/grub.d) and leave debug-shell.service disabled; debug at the console with the recovery passphrase"), vm.urn);
                const files = cloudInitFiles(vm, args.resources);
                const layers = containerdLayerRoot(files.get("/etc/docker/daemon.json"), files.get("/etc/containerd/config.toml"));
                if (layers && !mountPoints.some((p) => isUnder(layers, p))) {
                    reportViolation(violation(REQUIREMENT, vm.name, `has Docker keep images and containers' writable layers in containerd's store at ${layers} (the containerd-snapshotter feature), on its unencrypted OS disk`, `turn the containerd-snapshotter feature off in /etc/docker/daemon.json, or set containerd's root under ${mountPoints[0] ?? "the LUKS mount"}`), vm.urn);
                }
                for (const file of borgFilesOn(vm, args.resources).filter((f) => !mountPoints.some((p) => isUnder(f.path, p)))) {
                    reportViolation(violation(REQUIREMENT, vm.name, `has Borg write ${file.what} to ${file.path}, on its unencrypted OS disk`, `set BORG_BASE_DIR (or the BORG_*_DIR variables) under ${mountPoints[0] ?? "the LUKS mount"}`), vm.urn);
                }
                // Any other data disk on a plain storage must be LUKS-formatted too.
                const [, ...extra] = disksOf(vm).filter((d) => d.interface !== "scsi0" && !encryptedDatastores.includes(String(d.datastoreId)));
                for (const disk of extra.filter((d) => !d.serial || !luksFormatted(d.serial, commandsOn(vm, args.resources)))) {
                    reportViolation(violation(REQUIREMENT, vm.name, `has the disk ${disk.interface} on ${disk.datastoreId}, not declared encrypted, with no LUKS formatting`, "put it on an encrypted storage, or give it a serial and LUKS-format it like the data disk"), vm.urn);
                }
                // Docker must not start on an empty directory where the LUKS mount should be.
                if (!dockerWaitsForMount(cloudInitFiles(vm, args.resources), mountPoints)) {
                    reportViolation(violation(REQUIREMENT, vm.name, `lets Docker start without its LUKS mount (${mountPoints.join(", ")}): no docker.service drop-in with RequiresMountsFor= or ConditionPathIsMountPoint= on it, so containers would write to the OS disk`, "keep the cloud-init drop-in /etc/systemd/system/docker.service.d/10-data-disk.conf"), vm.urn);
                }
                for (const swap of swapAreas(vm, args.resources).filter((p) => !mountPoints.some((m) => isUnder(p, m)))) {
                    reportViolation(violation(REQUIREMENT, vm.name, `gets a swap area at ${swap}, off its LUKS mount: decrypted pages land on the unencrypted OS disk`, "no swap (cloud-init swap size 0, swap.target masked), or swap on an encrypted device"), vm.urn);
                }
                const links = symlinksMade(commandLinesOn(vmAddress(vm), args.resources));
                // A secret a command receives on stdin and writes to a file lands where the file is.
                for (const finding of secretsWrittenOffMount(vm, args.resources, mountPoints, links)) {
                    reportViolation(violation(REQUIREMENT, finding.resource.name, `writes ${finding.what} to ${finding.path}, on ${vm.name}'s unencrypted OS disk`, `keep secrets under the LUKS mount (${mountPoints.join(", ")}); read them from there`), finding.resource.urn);
                }
                // The notebook's content read out of MySQL or eLabFTW's API lands where the read's output goes.
                for (const s of deployedScripts(args.resources).filter((d) => d.host === vmAddress(vm))) {
                    for (const exported of dataExports(s.script).filter((e) => !mountPoints.some((p) => isUnder(followLinks(e.to, links), p)))) {
                        reportViolation(violation(REQUIREMENT, `${s.resource.name} (${s.where})`, `writes what ${exported.what} returns (the notebook's content) to ${exported.to}, on ${vm.name}'s unencrypted OS disk${exported.to === "the journal" ? " (and to the syslog server)" : ""}`, `keep exports under the LUKS mount (${mountPoints.join(", ")}) or in Borg; log counts and checksums, never rows`), s.resource.urn);
                    }
                }
                const daemonLogDriver = daemonLogDriverOf(cloudInitFiles(vm, args.resources).get("/etc/docker/daemon.json"));
                for (const container of ofType(args.resources, TYPES.container).filter((c) => dockerHostAddress(c) === vmAddress(vm))) {
                    // Where mysqld writes data besides its datadir: logs of queries, binary logs, temporary tables, exports.
                    const mysqld = isDatabaseContainer(container.props) ? mysqldDataPaths(mysqldOptions(container.props.command ?? [])) : [];
                    for (const { option, path } of mysqld) {
                        const landing = path === "" ? { path: "anywhere", via: "an empty secure_file_priv (SELECT ... INTO OUTFILE may write any path)" } : hostPathOf(container.props, path, dataRoot, daemonLogDriver);
                        if (!landing || "inMemory" in landing || mountPoints.some((p) => isUnder(landing.path, p))) continue;
                        reportViolation(violation(REQUIREMENT, container.name, `has mysqld write ${option} (${path || '""'}) through ${landing.via}, off ${vm.name}'s LUKS mount (${mountPoints.join(", ")})`, "leave the option unset, turn the log off, or point it under the datadir"), container.urn);
                    }
                    for (const volume of volumePaths(container.props, dataRoot).filter((m) => !m.readOnly && !mountPoints.some((p) => isUnder(m.source, p)))) {
                        reportViolation(violation(REQUIREMENT, container.name, `writes ${volume.target} to the volume at ${volume.source}, off ${vm.name}'s LUKS mount (${mountPoints.join(", ")})`, "keep volumes under the LUKS mount (Docker's data-root there, or bind mounts)"), container.urn);
                    }
                    // Docker follows a symbolic link at a bind mount's source: the data lands where it points.
                    for (const mount of hostPaths(container.props).filter((m) => !m.readOnly && !mountPoints.some((p) => isUnder(followLinks(m.source, links), p)))) {
                        const real = followLinks(mount.source, links);
                        reportViolation(
                            violation(REQUIREMENT, container.name, `writes ${mount.target} to ${mount.source}${real !== mount.source ? ` (a symbolic link to ${real})` : ""} on ${vm.name}'s unencrypted OS disk (encrypted: ${mountPoints.join(", ")})`, "keep every writable bind mount under the LUKS data disk's mount point, and no symbolic link out of it"),
                            container.urn,
                        );
                    }
                }
            }
            // LUKS as cryptsetup reads the options it is given, and no key left beside it on the OS disk.
            for (const finding of luksFindings(vm, args.resources)) {
                reportViolation(violation(REQUIREMENT, vm.name, finding.problem, finding.fix), finding.urn ?? vm.urn);
            }
            if (plain.length > 0 && !luksOnDataDisk(vm, args.resources)) {
                reportViolation(
                    violation(REQUIREMENT, vm.name, `has volumes on ${[...new Set(plain)].join(", ")}, not declared encrypted, and no LUKS on its data disk`, "use diskEncryption guest-luks, or put every volume on a storage listed in the policy config's encryptedDatastores"),
                    vm.urn,
                );
            }
        }
    },
};
