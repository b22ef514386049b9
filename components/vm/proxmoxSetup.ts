// What a cluster administrator runs once per unit before its first `pulumi up` (npm run
// proxmox-acl): the API user with its ACL (privileges.ts), then, on each node that receives the
// stack's snippets, the unprivileged SSH user the provider uploads them as (nodeSsh.ts).
import { nodeUserScript, snippetUploads } from "./nodeSsh";
import { aclPlan, AclEntry, ProxmoxResource, PveVersion, pveumScript } from "./privileges";

export interface ProxmoxSetup {
    readonly plan: readonly AclEntry[];
    readonly apiUser: string;
    readonly sshUser: string;
    readonly nodes: readonly string[];
    readonly script: string;
}

export function proxmoxSetup(stackFile: string, version: PveVersion, unit: string, resources: readonly ProxmoxResource[]): ProxmoxSetup {
    const plan = aclPlan(resources, version, unit);
    const apiUser = `elabftw-${unit}@pve`;
    const sshUser = `elabftw-${unit}`;
    const uploads = snippetUploads(resources);
    const nodes = [...uploads.keys()].sort();
    const script = [
        pveumScript(stackFile, version, apiUser, plan),
        ...nodes.flatMap((node) => [
            "",
            `# On node ${node}, as root: the SSH user the provider uploads this stack's cloud-init snippets as`,
            `# (proxmoxve:ssh username: ${sshUser}, not root). As root it may run \`pvesm apiinfo\` (the provider's`,
            "# sudo probe) and `tee` on these files only: no other file, no other option.",
            nodeUserScript(sshUser, uploads.get(node)!),
            `# Then the admins' public SSH keys into ~${sshUser}/.ssh/authorized_keys (the workstation's ssh-agent holds them).`,
        ]),
    ].join("\n");
    return { plan, apiUser, sshUser, nodes, script };
}
