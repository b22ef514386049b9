// A VM for elabftw-status.sh, built from real parts where they can exist here: certificates made by
// openssl, Borg repositories, a LUKS2 header on a file, MariaDB TLS-only, nftables in a network
// namespace, a tmpfs data mount in a mount namespace, apt. Stand-ins only for what cannot run here
// (a Docker engine, systemd as PID 1, the journal, timedated): see standIns() for what each reproduces.
import { execFile, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";

export function run(command: string, args: readonly string[], options: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {}): string {
    const result = spawnSync(command, args, { encoding: "utf8", ...options });
    if (result.status !== 0) throw new Error(`${command} ${args.join(" ")}: ${result.stderr || result.error}`);
    return result.stdout;
}

function executable(file: string, text: string) {
    writeFileSync(file, text);
    chmodSync(file, 0o755);
}

/**
 * On PATH ahead of the real tools. State lives in files under `state` that each test writes.
 * - docker: no engine runs here. Answers the CLI calls the status script makes, as the real CLI
 *   prints them for those --format templates: `info` (or the engine-down error), `inspect` of a
 *   container (or "No such object"), `image inspect` by reference or id, and `exec CONTAINER CMD`,
 *   which runs CMD here with the container's environment, from its root folder.
 * - systemctl: no systemd here. `show UNIT -p Result -p ExecMainExitTimestamp` prints the unit's
 *   recorded properties; a unit that never ran prints Result=success and an empty timestamp, as systemd does.
 * - journalctl: `-b -o cat -u UNIT` prints the messages recorded for the unit at this boot.
 * - timedatectl: `show -p NTPSynchronized --value` prints yes or no.
 */
export function standIns(bin: string, state: string) {
    mkdirSync(bin, { recursive: true });
    executable(
        path.join(bin, "docker"),
        `#!/bin/bash
S="${state}/docker"
case "$1" in
info) [ -f "$S/engine" ] || { echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?" >&2; exit 1; }; cat "$S/engine" ;;
inspect) f="$S/containers/\${*: -1}"; [ -f "$f" ] || { echo "Error: No such object: \${*: -1}" >&2; exit 1; }
  case "$3" in *State.Status*) cat "$f" ;; *) cut -d'|' -f3 "$f" ;; esac ;;
image) key=$(printf '%s' "\${*: -1}" | tr '/:' '__'); f="$S/images/$key"; [ -f "$f" ] || { echo "Error: No such image: \${*: -1}" >&2; exit 1; }
  case "$4" in *RepoTags*) cut -d'|' -f2 "$f" ;; *) cut -d'|' -f1 "$f" ;; esac ;;
exec) shift; name="$1"; shift; [ -f "$S/env/$name" ] || { echo "Error response from daemon: No such container: $name" >&2; exit 1; }
  set -a; . "$S/env/$name"; set +a; cd "$S/root/$name" && exec "$@" ;;
*) echo "docker stand-in: unexpected call: $*" >&2; exit 99 ;;
esac
`,
    );
    executable(path.join(bin, "systemctl"), `#!/bin/bash\n[ "$1" = show ] || exit 99\nf="${state}/units/$2"\nif [ -f "$f" ]; then cat "$f"; else printf 'Result=success\\nExecMainExitTimestamp=\\n'; fi\n`);
    executable(path.join(bin, "journalctl"), `#!/bin/bash\nf="${state}/journal/\${*: -1}"\n[ -f "$f" ] && cat "$f"\nexit 0\n`);
    executable(path.join(bin, "timedatectl"), `#!/bin/bash\ncat "${state}/ntp"\n`);
    for (const folder of ["docker/containers", "docker/images", "docker/env", "units", "journal"]) mkdirSync(path.join(state, folder), { recursive: true });
}

/** Records a container in the docker stand-in: its state line, and an image by reference and id. */
export function dockerContainer(state: string, name: string, line: { status: string; health: string; imageId: string; started: string }) {
    writeFileSync(path.join(state, "docker", "containers", name), `${line.status}|${line.health}|${line.imageId}|${line.started}\n`);
}
export function dockerImage(state: string, reference: string, id: string) {
    for (const key of [reference, id]) writeFileSync(path.join(state, "docker", "images", key.replace(/[/:]/g, "_")), `${id}|${reference}\n`);
}

/** A CA and certificates: valid, inside a renewal window, expired (openssl ca with explicit dates). */
export function certificates(dir: string) {
    mkdirSync(dir, { recursive: true });
    const at = (file: string) => path.join(dir, file);
    run("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", at("ca.key"), "-out", at("ca.pem"), "-subj", "/CN=test CA", "-days", "3650"]);
    writeFileSync(at("ca.cnf"), `[ca]\ndefault_ca=d\n[d]\ndatabase=${at("index.txt")}\nnew_certs_dir=${dir}\nserial=${at("serial")}\ndefault_md=sha256\npolicy=p\ncopy_extensions=copy\n[p]\ncommonName=supplied\n`);
    writeFileSync(at("index.txt"), "");
    writeFileSync(at("serial"), "01\n");
    const day = (offset: number) => new Date(Date.now() + offset * 86400_000).toISOString().replace(/[-:T]/g, "").slice(0, 14) + "Z";
    const issue = (name: string, from: number, to: number, san = "IP:127.0.0.1,DNS:localhost") => {
        run("openssl", ["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", at(`${name}.key`), "-out", at(`${name}.csr`), "-subj", `/CN=${name}`, "-addext", `subjectAltName=${san}`]);
        run("openssl", ["ca", "-batch", "-config", at("ca.cnf"), "-cert", at("ca.pem"), "-keyfile", at("ca.key"), "-notext", "-startdate", day(from), "-enddate", day(to), "-in", at(`${name}.csr`), "-out", at(`${name}.pem`)]);
        return at(`${name}.pem`);
    };
    return { ca: at("ca.pem"), caKey: at("ca.key"), valid: issue("valid", -1, 365), window: issue("window", -300, 10), expired: issue("expired", -400, -2), server: issue("server", -1, 365), key: (name: string) => at(`${name}.key`) };
}

export const execFileAsync = promisify(execFile);
