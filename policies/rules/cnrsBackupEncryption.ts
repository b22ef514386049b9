// CNRS « Chiffrement des sauvegardes ».
import { StackValidationPolicy } from "@pulumi/policy";
import { cnrs, installedFiles, ofType, TYPES, violation, vmAddress } from "./common";

const REQUIREMENT = cnrs("Chiffrement des sauvegardes", "backup encryption");
const ENCRYPTING_MODES = /--encryption[= ](repokey|keyfile)(-blake2)?\b/;
const DATA_DISK = "/srv/elabftw/";

/** A mysqldump (or mariadb-dump, mysqlpump) whose output goes to a file rather than straight into `borg create`. */
export function plaintextDump(text: string): boolean {
    // Join continued lines, and a pipeline that goes on after a trailing "|".
    const logical = text.replace(/\\\n\s*/g, " ").replace(/\|\s*\n\s*/g, "| ");
    return logical.split("\n").some((line) => {
        const at = line.search(/\b(mysqldump|mariadb-dump|mysqlpump)\b/);
        if (at < 0 || line.trim().startsWith("#")) return false;
        const rest = line.slice(at);
        const pipe = rest.indexOf("|");
        const redirect = /(^|[^0-9&])>\s*[^&\s]/.exec(rest);
        if (pipe >= 0 && (!redirect || redirect.index > pipe)) return !/^\|\s*borg create\b/.test(rest.slice(pipe));
        return redirect !== null;
    });
}

export const cnrsBackupEncryption: StackValidationPolicy = {
    name: "cnrs-backup-encryption",
    description: "Both VMs have Borg backups created with an encrypting mode (repokey or keyfile), a passphrase kept on the encrypted disk, and no mysqldump written to a file in plaintext.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        for (const vm of ofType(args.resources, TYPES.vm)) {
            const address = vmAddress(vm);
            if (!address) continue;
            const files = installedFiles(args.resources, address);
            const initialised = ofType(args.resources, TYPES.command).some((c) => c.props.connection?.host === address && /elabftw-backup\.sh'? init\b/.test(c.props.create ?? ""));
            const script: string | undefined = files.get("/usr/local/sbin/elabftw-backup.sh")?.props.stdin;
            if (!initialised || script === undefined) {
                reportViolation(violation(REQUIREMENT, vm.name, "has no Borg backup", "keep the Backup component for both VMs"), vm.urn);
                continue;
            }
            if (!ENCRYPTING_MODES.test(script) || /--encryption[= ](none|authenticated)/.test(script)) {
                reportViolation(violation(REQUIREMENT, vm.name, "creates its Borg repository without encryption", "initialise it with --encryption=repokey-blake2"), vm.urn);
            }
            if (![...files.keys()].some((path) => path.startsWith(DATA_DISK) && path.endsWith("/passphrase"))) {
                reportViolation(violation(REQUIREMENT, vm.name, "keeps no Borg passphrase on its encrypted disk", `install it under ${DATA_DISK} and read it with BORG_PASSCOMMAND`), vm.urn);
            }
        }
        // Command lines, and the scripts and units the program installs (other files' contents are secrets).
        const installedCode = ofType(args.resources, TYPES.vm)
            .flatMap((vm) => [...installedFiles(args.resources, vmAddress(vm) ?? "")])
            .filter(([path]) => /^\/(usr\/local\/s?bin|etc\/systemd\/system|etc\/cron\.[a-z]+|etc\/crontab|var\/spool\/cron)\b/.test(path))
            .map(([, c]) => ({ c, text: c.props.stdin as string }));
        const texts = [...ofType(args.resources, TYPES.command).map((c) => ({ c, text: c.props.create as string })), ...installedCode].filter(({ text }) => typeof text === "string");
        for (const { c, text } of texts) {
            if (plaintextDump(text)) {
                reportViolation(violation(REQUIREMENT, c.name, "writes a mysqldump to a file", "stream the dump straight into borg create (elabftw-backup.sh db)"), c.urn);
            }
        }
    },
};
