// Hardening: no secret where it is stored or shown in plaintext: any string input of any resource
// (descriptions, tags, labels, cloud-init snippets with their write_files, command lines, Pulumi's
// state), the code the program installs (scripts, units, cron files, read by anyone who can read the
// file), and command lines (the process list). Secrets travel through the channels made for them: a
// command's stdin, a container's environment, the fields a provider keeps secret, and outputs listed
// in additionalSecretOutputs. A value a generated secret has (password, random bytes, private key)
// found anywhere else is a secret that lost its marking on the way.
import { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { cloudConfig, stdinWriteTargets } from "../models/programText";
import { readsConfig } from "../models/elabftwSettings";
import { effectiveCommand, pipelines } from "../models/shell";
import { commandLineSecrets, plaintextStrings, SECRET_CHANNELS, TextAt, textSecrets } from "../models/secretScan";
import { isLiteralSecretValue, isSecretName, keyMaterial, MYSQL_FILE_BACKED_SECRETS } from "../models/secrets";
import { PLAINTEXT_RANDOM_TYPES } from "../models/randomSecrets";
import { containerEnvValue, DATA_MOUNT, dockerHostAddress, installedFiles, isDatabaseContainer, knownOrUndefined, ofType, providerList, TYPES, vmAddress } from "./common";
import { daemonConfig, dockerDataRoot, hostPaths, loggedEnvironment } from "../models/dockerContainer";
import { dockerdDebug } from "../models/dockerCli";
import { isUnder } from "../models/paths";
import { cloudInitFiles, deployedScripts, vmFileTexts } from "./deployedText";
import { archivedPaths } from "../models/archives";
import { elabftwCommand } from "./dataLoss";
import { persistentWorkDirs, sudoIoLogging } from "../models/hostAccess";
import { accumulatedValues, envSecretArguments, pathVariables, environmentPrint, imageExport, remoteSecretCopies, secretPassingPatterns, sshSentEnvironment } from "../models/secretLeaks";

/** Files the deployment installs whose content is a secret: keys, passphrases, passwords, client option files. */
const SECRET_FILE_PATH = /(passphrase|password|secret|token|privkey|private|[-_.]key(\.pem)?$|\/key$|id_(ed25519|rsa|ecdsa)$|\.cnf$)/i;

/** The secret files among `paths` that an archived path takes in: an absolute path above them, or a relative one naming one of their folders. */
function archivedSecrets(archived: string, paths: readonly string[]): string[] {
    if (archived.includes("$")) return [];
    if (archived.startsWith("/")) return paths.filter((p) => isUnder(p, archived));
    const relative = archived.replace(/^\.\//, "").replace(/\/$/, "");
    return paths.filter((p) => p.includes(`/${relative}/`) || p.endsWith(`/${relative}`));
}

/** A resource's plaintext strings: every known field but its secret channels. */
function plaintextOf(resource: PolicyResource): TextAt[] {
    // The stack's own outputs (index.ts's exports, seen by stack policies at `up`): which of them are
    // secret is invisible here, since @pulumi/policy strips the markers before a policy reads a value;
    // the engine test scans the exported state for them instead (test/engine/engine.test.ts).
    if (resource.type === "pulumi:pulumi:Stack") return [];
    const skip = [...(SECRET_CHANNELS[resource.type] ?? []), ...(resource.opts.additionalSecretOutputs ?? [])];
    return plaintextStrings(resource.props, skip, "", knownOrUndefined);
}

/** What a command prints on its standard output that is a secret, or undefined. */
function printedSecret(argv: readonly string[]): string | undefined {
    if (readsConfig(argv)) return "a print of eLabFTW's settings (GET /api/v2/config answers with the secrets decrypted)";
    const name = argv[0]?.replace(/^.*\//, "");
    if (name === "systemd-cryptenroll" && argv.includes("--recovery-key")) return "the LUKS recovery key systemd-cryptenroll --recovery-key prints";
    if (name === "cryptsetup" && argv.some((a) => /^--dump-(master|volume)-key$/.test(a))) return "the LUKS volume key cryptsetup prints";
    return undefined;
}

const GENERATED_TYPES: readonly string[] = [TYPES.randomPassword, TYPES.randomBytes, TYPES.privateKey];

/** The values generated secrets have (known at `up`): none may appear in a plaintext place. */
function generatedSecretValues(resources: readonly PolicyResource[]): { owner: string; value: string }[] {
    return resources
        .filter((r) => GENERATED_TYPES.includes(r.type))
        .flatMap((r) => (SECRET_CHANNELS[r.type] ?? []).map((field) => ({ owner: r.name, value: knownOrUndefined(() => r.props[field]) })))
        .filter((s): s is { owner: string; value: string } => typeof s.value === "string" && s.value.trim().length >= 8)
        .map((s) => ({ ...s, value: s.value.trim() }));
}

export const noPlaintextSecrets: StackValidationPolicy = {
    name: "no-plaintext-secrets",
    description: "No key material, password setting, secret-looking assignment or generated secret value in any plaintext input of any resource (descriptions, tags, labels, cloud-init snippets, command lines), nor in installed scripts, units and cron files; no password option on a command line; secrets travel through stdin, a container's environment or files read at run time; no secret copied into a file on the workstation, printed to a command's stdout kept in the state, or logged by the command provider (a secret stdout or stderr with logging stdoutAndStderr, the default), passed to bin/init with -p, held literally in a field named for a secret, or logged by dockerd's debug mode. No secret environment variable expanded on a command line; no SendEnv/AcceptEnv pattern passing secret variables; no docker commit or export of a container, no print of its environment; no secret file copied from a VM to the workstation; the first sysadmin's password generated.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        const reported = new Set<string>();
        const report = (resource: { name: string; urn: string }, where: string, what: string, fix: string) => {
            const message = `${resource.name}: ${where} holds ${what}, stored in plaintext. Fix: ${fix}.`;
            if (!reported.has(message)) reportViolation(message, resource.urn);
            reported.add(message);
        };
        const generated = generatedSecretValues(args.resources);
        for (const resource of args.resources) {
            for (const { path, text } of plaintextOf(resource)) {
                // A field named for a secret (environment.PROXMOX_VE_API_TOKEN, labels.db_password) holding a literal.
                const field = path.split(".").pop() ?? "";
                if (/(PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY)$/.test(field.replace(/[.-]/g, "_").toUpperCase()) && isSecretName(field.replace(/[.-]/g, "_").toUpperCase()) && isLiteralSecretValue({ text, literal: true })) report(resource, `its ${path}`, "a secret", "pass secrets through stdin or a root-only file read at run time, never in a plaintext input");
                const reader = resource.type.startsWith("command:") && /^(create|update|delete)$/.test(path) ? "shell" : "any";
                for (const what of textSecrets(text, reader)) report(resource, `its ${path}`, what, "pass secrets through stdin or a root-only file read at run time, never in a plaintext input");
                for (const secret of generated.filter((s) => s.owner !== resource.name && text.includes(s.value))) {
                    report(resource, `its ${path}`, `the value of the generated secret ${secret.owner}`, "keep it a Pulumi secret all the way (pulumi.secret, never unsecret) and pass it through stdin");
                }
            }
        }
        // A random value whose provider keeps it in plaintext in the state, feeding a secret channel.
        for (const resource of args.resources) {
            const channels = [...(SECRET_CHANNELS[resource.type] ?? []), ...(resource.opts.additionalSecretOutputs ?? [])].map((c) => c.split(".")[0]);
            for (const [field, sources] of Object.entries(resource.propertyDependencies ?? {})) {
                if (!channels.includes(field)) continue;
                for (const source of sources.filter((r) => r.type in PLAINTEXT_RANDOM_TYPES)) {
                    report(resource, `its ${field}`, `the result of ${source.name}, a ${PLAINTEXT_RANDOM_TYPES[source.type]} whose result the random provider keeps unmarked in the state`, "generate secrets with RandomPassword or RandomBytes, whose results the provider marks secret");
                }
            }
        }
        // The break-glass sysadmin's password (db:install's prompt reads it on stdin) must be generated:
        // a literal is known to whoever reads the program, its history or the state.
        for (const command of ofType(args.resources, TYPES.command)) {
            const installs = pipelines(String(command.props.create ?? "")).some((p) => p.stages.some((stage) => elabftwCommand(effectiveCommand(stage).argv) === "db:install"));
            const stdin = knownOrUndefined(() => command.props.stdin);
            const fromGenerator = (command.propertyDependencies?.stdin ?? []).some((r) => GENERATED_TYPES.includes(r.type)) && (typeof stdin !== "string" || generated.some((g) => stdin.includes(g.value)));
            if (installs && typeof stdin === "string" && stdin.trim() !== "" && !fromGenerator) {
                report(command, "its stdin (the first sysadmin's password for db:install)", "a password no generator made", "feed db:install the generated RandomPassword (the program's sysadminPassword output)");
            }
        }
        for (const snippet of ofType(args.resources, TYPES.snippet)) {
            for (const setting of cloudConfig(String(snippet.props.sourceRaw?.data ?? ""))?.passwordSettings ?? []) report(snippet, "the snippet", `a password setting (${setting})`, "log in with SSH keys only; never set passwords through cloud-init");
        }
        // A command Pulumi runs keeps its stdout and stderr in the state: a read of eLabFTW's settings
        // (decrypted secrets) printed there must be a secret output, or go nowhere.
        for (const s of deployedScripts(args.resources).filter((d) => d.runByPulumi && d.resource.type.startsWith("command:"))) {
            const secretOutputs = s.resource.opts.additionalSecretOutputs ?? [];
            if (secretOutputs.includes("stdout")) continue;
            for (const { stages } of pipelines(s.script)) {
                const at = stages.findIndex((stage) => printedSecret(effectiveCommand(stage).argv) !== undefined);
                if (at < 0) continue;
                const redirected = stages.slice(at).some((stage) => stage.redirects.some((r) => (r.fd === 1 || r.fd === "&") && r.op.startsWith(">") && r.op !== ">&")) || effectiveCommand(stages[at]).argv.some((a) => /^(-o|--output|-O|--output-document)$/.test(a) || /^--output(-document)?=/.test(a));
                if (!redirected) report(s.resource, s.where, `${printedSecret(effectiveCommand(stages[at]).argv)} kept as the command's stdout in Pulumi's state`, "redirect it away, or list stdout and stderr in the command's additionalSecretOutputs");
            }
        }
        // The command provider logs a command's output (logging: stdoutAndStderr, its default) in the CLI's
        // output and the update logs, which additionalSecretOutputs does not mask: an output the program
        // declares secret must not be logged.
        for (const command of args.resources.filter((r) => r.type.startsWith("command:"))) {
            const secretOutputs = (command.opts.additionalSecretOutputs ?? []).filter((o) => o === "stdout" || o === "stderr");
            const logging = String(knownOrUndefined(() => command.props.logging) ?? "stdoutAndStderr");
            const logged = secretOutputs.filter((o) => logging === "stdoutAndStderr" || logging === o);
            if (logged.length > 0) report(command, `its logging (${logging})`, `its ${logged.join(" and ")}, which the program marks secret, printed in the CLI's output and the update logs`, `log only what is not secret (logging: ${logged.includes("stdout") && logged.includes("stderr") ? "none" : logged.includes("stdout") ? "stderr" : "stdout"}, or none)`);
        }
        // bash's xtrace prints every command with its variables expanded on stderr, which the
        // command provider keeps as the resource's stderr output in the state (and the CLI shows).
        for (const s of deployedScripts(args.resources).filter((d) => d.runByPulumi && d.resource.type.startsWith("command:"))) {
            const traced = pipelines(s.script).flatMap((p) => p.stages).map((stage) => effectiveCommand(stage).argv).find((argv) => {
                const name = argv[0]?.replace(/^.*\//, "");
                const options = argv.slice(1).filter((a) => /^-/.test(a));
                return (name === "set" && (options.some((o) => /^-[a-wyz]*x/.test(o)) || argv.some((a, i) => a === "-o" && argv[i + 1] === "xtrace"))) || (/^(ba)?sh$/.test(name ?? "") && options.some((o) => /^-[a-wyz]*x/.test(o)));
            });
            if (traced) report(s.resource, s.where, `bash's xtrace (\`${traced.join(" ")}\`), which prints each command with its secrets expanded to stderr, kept in the state as the command's stderr`, "remove set -x; trace with messages that name no secret");
        }
        // A local command runs on the workstation: a secret it copies from stdin into a file lies there
        // in plaintext (next to the code, one `git add` away), outside Pulumi's encrypted state.
        for (const command of ofType(args.resources, TYPES.localCommand)) {
            const stdin = knownOrUndefined(() => command.props.stdin);
            const source = (command.propertyDependencies?.stdin ?? []).find((r) => GENERATED_TYPES.includes(r.type));
            const value = typeof stdin === "string" ? generated.find((g) => stdin.includes(g.value)) : undefined;
            const what = source ? `the secret ${source.name}` : value ? `the value of the generated secret ${value.owner}` : typeof stdin === "string" && keyMaterial(stdin).length > 0 ? "key material" : undefined;
            if (!what) continue;
            // A mailer sends its stdin as the message: the secret then sits in clear in mailboxes, relays and their backups.
            const mailer = pipelines(String(command.props.create ?? "")).flatMap((p) => p.stages).map((stage) => effectiveCommand(stage).argv).find((argv) => /^(mail|mailx|s-nail|sendmail|mutt|swaks|msmtp|ssmtp)$/.test((argv[0] ?? "").replace(/^.*\//, "")));
            if (mailer) report(command, `the mail it sends (\`${mailer.join(" ")}\`)`, what, "never send a secret by mail; the operator reads it with pulumi stack output --show-secrets");
            for (const path of stdinWriteTargets(String(command.props.create ?? ""))) {
                report(command, `the file ${path} it writes on the workstation`, what, "keep secrets in Pulumi's encrypted state (secret outputs) and read them with pulumi stack output --show-secrets when needed; never write them to a file");
            }
        }
        for (const s of deployedScripts(args.resources)) {
            for (const what of commandLineSecrets(s.script)) report(s.resource, s.where, `a secret on a command line (${what}), shown in the process list`, "pass secrets through stdin or a client option file");
            if (s.runByPulumi) continue;
            for (const what of textSecrets(s.script, "shell")) report(s.resource, s.where, what, "install keys as files of their own (secret stdin) and read secrets at run time from a root-only file (a *_FILE or *COMMAND variable), never a literal");
        }
        const scripts = deployedScripts(args.resources);
        const pathsByHost = new Map<string | undefined, Set<string>>();
        const paths = (host: string | undefined) => pathsByHost.get(host) ?? pathsByHost.set(host, pathVariables(scripts.filter((d) => d.host === host).map((d) => d.script))).get(host)!;
        for (const s of scripts) {
            for (const what of envSecretArguments(s.script, paths(s.host))) report(s.resource, s.where, `a secret variable expanded on a command line (${what}), shown in the process list`, "let the program read the variable from its environment (or stdin); never expand a secret into an argument");
            for (const stage of pipelines(s.script).flatMap((p) => p.stages)) {
                const argv = effectiveCommand(stage).argv;
                const silenced = stage.redirects.some((r) => (r.fd === 1 || r.fd === "&") && r.op.startsWith(">") && r.target === "/dev/null");
                const exported = imageExport(argv);
                if (exported) report(s.resource, `${s.where} (\`${argv.join(" ")}\`)`, `the containers' secrets: ${exported}`, "never commit, push, save or export the deployment's containers; support gets logs with the secrets left out");
                const printed = environmentPrint(argv);
                if (printed && !silenced) report(s.resource, `${s.where} (\`${argv.join(" ")}\`)`, `the containers' environment (DB_PASSWORD, SECRET_KEY): ${printed}, written to the journal, the syslog server or the state`, "select the fields you need with --format (never .Config.Env)");
                const sent = sshSentEnvironment(argv);
                for (const pattern of secretPassingPatterns(sent.sendEnv)) report(s.resource, `${s.where} (ssh SendEnv ${pattern})`, "the workstation's secret environment variables, sent into the SSH session", "send no environment (no SendEnv), or only LANG/LC_*");
            }
            for (const copy of remoteSecretCopies(s.script)) report(s.resource, `${s.where} (${copy})`, "a secret read from the VM into a local file", "leave secrets on the VM; read them with pulumi stack output --show-secrets when a person needs one");
        }
        for (const provider of new Map(ofType(args.resources, TYPES.container).filter((c) => c.provider).map((c) => [c.provider!.urn, c.provider!])).values()) {
            const list = providerList(knownOrUndefined(() => provider.props.sshOpts as unknown));
            for (const pattern of secretPassingPatterns(sshSentEnvironment(list).sendEnv)) report(provider, `its sshOpts (SendEnv ${pattern})`, "the workstation's secret environment variables (the state passphrase, the Proxmox token), sent into every SSH session on the VM", "remove SendEnv from sshOpts");
        }
        for (const vm of ofType(args.resources, TYPES.vm)) {
            const files = vmFileTexts(vm, args.resources);
            const sshd = [...[...files.keys()].filter((p) => /^\/etc\/ssh\/sshd_config\.d\/[^/]+\.conf$/.test(p)).sort(), "/etc/ssh/sshd_config"].map((p) => files.get(p)?.at(-1)).filter((t): t is string => t !== undefined);
            for (const pattern of secretPassingPatterns(accumulatedValues(sshd, "AcceptEnv"))) report(vm, `sshd's AcceptEnv ${pattern}`, "the secret environment variables clients send, kept in every session's processes on the VM", "accept LANG and LC_* only (Debian's default)");
        }
        // An archive is read by whoever holds its repository's passphrase (the pruning workstation
        // included): the VM's own keys and passwords do not belong in it.
        for (const vm of ofType(args.resources, TYPES.vm)) {
            const address = vmAddress(vm);
            if (!address) continue;
            const secretFiles = [...installedFiles(args.resources, address).keys()].filter((p) => SECRET_FILE_PATH.test(p));
            for (const s of deployedScripts(args.resources).filter((d) => d.host === address)) {
                for (const archived of archivedPaths(s.script)) {
                    const taken = archivedSecrets(archived, secretFiles);
                    if (taken.length > 0) reportViolation(`${s.resource.name} (${s.where}): borg create archives ${archived}, which holds the VM's secrets (${taken.join(", ")}): every archive carries them, readable by whoever holds the repository's passphrase (the pruning workstation included). Fix: archive the data folders only; keys and passwords are re-issued by the program, never backed up.`, s.resource.urn);
                }
            }
        }
        for (const vm of ofType(args.resources, TYPES.vm)) {
            // sudo's I/O log keeps what each command read and printed: the secrets the program pipes
            // through `sudo install /dev/stdin`, written to the OS disk in plaintext.
            const files = vmFileTexts(vm, args.resources);
            for (const path of [...files.keys()].filter((p) => p === "/etc/sudoers" || /^\/etc\/sudoers\.d\/[^/.~]+$/.test(p))) {
                for (const line of sudoIoLogging(files.get(path)!.at(-1)!)) {
                    report(vm, `${path} (${line})`, "sudo's I/O logging: the standard input and output of every command run with sudo (the passwords, keys and passphrases the program pipes to sudo install) recorded under /var/log/sudo-io on the unencrypted OS disk", "log commands through syslog (sudo's default), never their input or output (no log_input, log_output, LOG_INPUT:, LOG_OUTPUT:)");
                }
            }
            // Work files of a script that handles secrets belong in memory (/tmp is a tmpfs on Debian 13) or on the encrypted disk.
            for (const s of deployedScripts(args.resources).filter((d) => d.host === vmAddress(vm) && /key|passphrase|password|secret|token/i.test(d.script))) {
                for (const where of persistentWorkDirs(s.script, (dir) => isUnder(dir, DATA_MOUNT))) {
                    report(s.resource, `${s.where}: its work files (${where})`, "what a script handling secrets writes there (keys, passwords, decrypted answers), on the unencrypted OS disk, where deleting them leaves their blocks behind", "keep work files in memory (mktemp without -p: /tmp is a tmpfs) or on the encrypted data disk");
                }
            }
        }
        // dockerd's debug log records the API's request bodies, a container's create request with its
        // environment (DB_PASSWORD, SECRET_KEY) among them, in the journal the VM forwards.
        for (const vm of ofType(args.resources, TYPES.vm)) {
            const debug = daemonConfig(cloudInitFiles(vm, args.resources).get("/etc/docker/daemon.json")).debug === true;
            const flagged = deployedScripts(args.resources).some((d) => d.host === vmAddress(vm) && pipelines(d.script).some((p) => p.stages.some((stage) => dockerdDebug(effectiveCommand(stage).argv))));
            if (debug || flagged) report(vm, "dockerd's debug log", "the containers' environment (each container create request is logged with its body)", "leave dockerd's debug mode off (no \"debug\": true in daemon.json, no -D)");
        }
        for (const container of ofType(args.resources, TYPES.container)) {
            // A bind mount holding what belongs to the host, not to any container: Docker's data-root
            // (every container's layers and volumes, their secrets included) and Borg's files (the
            // repository passphrase, its environment file) that the program installs on that VM.
            const vm = ofType(args.resources, TYPES.vm).find((v) => vmAddress(v) === dockerHostAddress(container));
            if (vm) {
                const dataRoot = dockerDataRoot(cloudInitFiles(vm, args.resources).get("/etc/docker/daemon.json"));
                const borgFiles = [...installedFiles(args.resources, vmAddress(vm)!).keys()].filter((path) => /\/(passphrase|borg\.env)$/.test(path));
                // The host's root is container-hardening's finding (it hands over everything).
                for (const mount of hostPaths(container.props).filter((m) => m.source !== "/")) {
                    const exposed = [dataRoot, ...borgFiles].filter((path) => isUnder(path, mount.source));
                    if (exposed.length > 0) report(container, `its bind mount of ${mount.source} at ${mount.target}`, `the host's own files (${exposed.join(", ")}: Docker's data-root, Borg's passphrase)`, "mount only the container's own directory, never a parent of Docker's data-root or of Borg's files");
                }
            }
            if (isDatabaseContainer(container.props)) {
                const envs = (container.props.envs ?? []) as string[];
                for (let i = 0; i < envs.length; i++) {
                    const entry = knownOrUndefined(() => String(envs[i]));
                    const name = entry?.slice(0, entry.indexOf("="));
                    if (entry && entry.includes("=") && (MYSQL_FILE_BACKED_SECRETS as readonly string[]).includes(name!) && entry.length > name!.length + 1) {
                        report(container, `the environment variable ${name}`, "a password the MySQL image can read from a file", `set ${name}_FILE to a root-only file mounted read-only instead (docker inspect and /proc/1/environ show the environment)`);
                    }
                }
            }
            // By index: an entry holding a generated secret is unknown in a preview (reading it throws).
            const envs = knownOrUndefined(() => (container.props.envs ?? []) as string[]) ?? [];
            const envNames = Array.from({ length: envs.length }, (_, i) => knownOrUndefined(() => String(envs[i]).split("=")[0]) ?? "");
            // A log option not known in a preview (none is computed by the program) is decided at `up`.
            const logOpts = knownOrUndefined(() => ({ env: container.props.logOpts?.env, "env-regex": container.props.logOpts?.["env-regex"] }));
            for (const name of loggedEnvironment(logOpts, envNames).filter((n) => isSecretName(n) || generated.some((g) => containerEnvValue(container.props, n)?.includes(g.value)))) {
                report(container, `its log options (${Object.entries(logOpts ?? {}).filter(([, v]) => v).map(([k, v]) => `${k}=${v}`).join(", ")})`, `the value of the environment variable ${name}, which the log driver attaches to every log line (journal, syslog server)`, "log no secret variable: remove it from the log driver's env and env-regex options");
            }
            const labels = (container.props.labels ?? []) as { label: string; value: string }[];
            for (let i = 0; i < labels.length; i++) {
                const entry = knownOrUndefined(() => ({ label: String(labels[i].label), value: String(labels[i].value) }));
                if (entry === undefined) continue;
                const { label, value } = entry;
                if ((isSecretName(label.replace(/[.-]/g, "_")) && isLiteralSecretValue({ text: value, literal: true })) || keyMaterial(value).length > 0) {
                    report(container, `the label ${label}`, "a secret", "keep secrets out of labels (docker inspect shows them to anyone with the socket)");
                }
            }
        }
    },
};
