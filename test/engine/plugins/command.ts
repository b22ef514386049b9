// Stand-in for the pulumi-resource-command plugin 1.2.1 (what @pulumi/command 1.2.1 asks for). The
// real one is native Go (pulumi-go-provider) in github.com/pulumi/pulumi-command/provider, commit
// 7f3eb6f3b77cd0fa3895ba437a695dd393f7dd25 (tag v1.2.1), but the Go module proxy reachable here
// refuses that module (403, see tools/pulumi-toolchain/README.md). Run by
// .toolchain/plugins/resource-command-v1.2.1/ (tools/pulumi-toolchain/build.sh).
//
// Reproduces, for local.Command and remote.Command (v1.2.1's provider/pkg/provider/{local,remote}):
//   - a native provider's state: the inputs plus stdout/stderr, unset properties left out (no
//     `null`s, unlike the bridged providers); id = resource name + 8 random hex digits;
//   - preview of a create or update runs nothing and leaves stdout and stderr unknown;
//   - `triggers` is the only replaceOnChanges input: any other change is an update, which runs
//     `update` (or `create` again when there is no `update`); delete runs `delete` if set;
//   - remote.Command's `connection` comes back secret (provider:"secret");
//   - local.Command really runs: `interpreter` (default /bin/sh -c) with `dir`, `environment`,
//     `stdin`, PULUMI_COMMAND_STDOUT/STDERR of the previous run on update and delete (as
//     addPreviousOutputInEnv, default true), stdout/stderr with one trailing newline cut, a
//     non-zero exit is an error carrying the output;
//   - remote.Command cannot reach a host here: by default it fails as the real one does when the
//     host does not answer (an error naming host:port). With PULUMI_COMMAND_STAND_IN_REMOTE=record
//     it succeeds instead, with empty stdout/stderr, and appends one JSON line per command (host,
//     user, command, stdin) to the file PULUMI_COMMAND_STAND_IN_LOG, if set.
// Does not: SSH at all, assetPaths/archivePaths (assets/archive stay unset), logging options,
// CopyToRemote / remote.CopyFile (an error names the type), the Cancel of a running command.
import { spawnSync } from "node:child_process";
import { appendFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { serve, type Props, type TypeSpec } from "./lib/standIn";

function nameOf(urn: string): string {
    return urn.split("::").pop() ?? "command";
}

function runLocal(i: Props, command: string, previous?: Props): Props {
    const interpreter = Array.isArray(i.interpreter) && i.interpreter.length > 0 ? (i.interpreter as string[]) : ["/bin/sh", "-c"];
    const env: NodeJS.ProcessEnv = { ...process.env, ...((i.environment as Record<string, string>) ?? {}) };
    if (previous && i.addPreviousOutputInEnv !== false) {
        env.PULUMI_COMMAND_STDOUT = String(previous.stdout ?? "");
        env.PULUMI_COMMAND_STDERR = String(previous.stderr ?? "");
    }
    const r = spawnSync(interpreter[0], [...interpreter.slice(1), command], {
        cwd: typeof i.dir === "string" && i.dir !== "" ? i.dir : undefined,
        env,
        input: typeof i.stdin === "string" ? i.stdin : undefined,
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
    });
    if (r.error) throw r.error;
    const stdout = r.stdout.replace(/\n$/, "");
    const stderr = r.stderr.replace(/\n$/, "");
    if (r.status !== 0) throw new Error(`exit status ${r.status}: running "${command}":\n${stdout}\n${stderr}`);
    return { stdout, stderr };
}

function runRemote(i: Props, command: string): Props {
    const c = (i.connection ?? {}) as Props;
    const target = `${c.host}:${c.port ?? 22}`;
    if (process.env.PULUMI_COMMAND_STAND_IN_REMOTE !== "record") {
        throw new Error(`Failed to dial ${target} (command stand-in: no SSH here; PULUMI_COMMAND_STAND_IN_REMOTE=record makes remote commands succeed)`);
    }
    const log = process.env.PULUMI_COMMAND_STAND_IN_LOG;
    if (log) appendFileSync(log, `${JSON.stringify({ host: c.host, port: c.port ?? 22, user: c.user ?? "root", command, stdin: i.stdin ?? null })}\n`);
    return { stdout: "", stderr: "" };
}

function commandType(run: (i: Props, command: string, previous?: Props) => Props, secretOutputs: string[]): TypeSpec {
    return {
        omitUnset: true,
        optionalOutputs: ["archive", "assets"],
        unknownOutputsOnUpdate: true,
        replaceOnChanges: ["triggers"],
        secretOutputs,
        create(inputs, urn) {
            const id = `${nameOf(urn)}${randomBytes(4).toString("hex")}`;
            return { id, outs: typeof inputs.create === "string" ? run(inputs, inputs.create) : {} };
        },
        update(olds, news) {
            const command = typeof news.update === "string" ? news.update : typeof news.create === "string" ? news.create : undefined;
            return command === undefined ? { stdout: olds.stdout, stderr: olds.stderr } : run(news, command, olds);
        },
        delete(_id, state) {
            if (typeof state.delete === "string") run(state, state.delete, state);
        },
    };
}

serve({
    name: "command",
    version: "1.2.1",
    npmPackage: "@pulumi/command",
    types: {
        "command:local:Command": commandType(runLocal, []),
        "command:remote:Command": commandType(runRemote, ["connection"]),
    },
});
