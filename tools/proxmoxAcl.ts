// npm run proxmox-acl [-- Pulumi.<stack>.yaml] [--pve 9|8.4]: prints the commands that give a unit's
// Pulumi its own Proxmox API user with least privilege, and its own unprivileged SSH user on the
// nodes: the program runs offline (no cluster, no Pulumi CLI) and each Proxmox resource it would
// create adds the privileges the API checks for it, on the path it checks them
// (components/vm/privileges.ts, nodeSsh.ts). The commands go to stdout, for a root shell on the
// nodes; the closing line goes to stderr.
import { validateConfig } from "../components/config/validate";
import { projectKeys, readStackConfig } from "../components/config/stackFile";
import { PVE_VERSIONS, PveVersion } from "../components/vm/privileges";
import { proxmoxSetup } from "../components/vm/proxmoxSetup";
import { runProgram } from "./offline/mockEngine";
import { Command, EXIT, EXIT_CODES_HELP, existingFile, runCommand, UsageError } from "./cli";

const COMMAND: Command = {
    name: "proxmox-acl",
    synopsis: "[--stack FILE | FILE] [--pve 9|8.4]",
    options: { stack: { type: "string" }, pve: { type: "string" } },
    positionals: 1,
    help: [
        "Prints the commands that create a unit's Proxmox API user, its roles and its ACL: on each path",
        "the API checks (/, the pool, each VM, each storage, the bridge), exactly the privileges this",
        "stack's resources need there, never propagated; then, for each node that receives the stack's",
        "snippets, the SSH user the provider uploads them as, allowed `tee` on those files only",
        "(e.g. npm run -s proxmox-acl -- Pulumi.prod.yaml).",
        "",
        "  --stack FILE, FILE     the stack file (default Pulumi.dev.yaml)",
        "  --pve 9|8.4            the cluster's Proxmox VE release (default 9; 8.4 names the guest-agent",
        "                         privileges VM.Monitor)",
        "",
        EXIT_CODES_HELP,
    ].join("\n"),
};

void runCommand(COMMAND, async ({ values, positionals }) => {
    if (values.stack !== undefined && positionals.length > 0) throw new UsageError(`the stack file is given twice (--stack ${values.stack} and ${positionals[0]})`);
    const version = String(values.pve ?? "9");
    if (!(PVE_VERSIONS as readonly string[]).includes(version)) throw new UsageError(`--pve ${version}: give the cluster's release, ${PVE_VERSIONS.join(" or ")}`);
    const stackFile = String(values.stack ?? positionals[0] ?? "Pulumi.dev.yaml");
    const { config } = validateConfig(projectKeys(readStackConfig(existingFile(stackFile))), stackFile);
    const run = await runProgram({ stackFile, deterministic: true });
    const setup = proxmoxSetup(stackFile, version as PveVersion, config.unit, run.resources.filter((r) => r.custom));
    console.log(setup.script);
    console.error(`${stackFile}: valid configuration; ${setup.plan.length} ACL paths for ${setup.apiUser} on Proxmox VE ${version}; SSH user ${setup.sshUser} on ${setup.nodes.join(", ")}`);
    return EXIT.ok;
});

