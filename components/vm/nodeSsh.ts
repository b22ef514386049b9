// The SSH user the Proxmox provider logs in as on a node (proxmoxve:ssh username), not root. Of
// this program's resources, only the cloud-init snippets go over SSH (the API cannot write them):
// bpg's file resource, in its default `stream` upload mode, runs `try_sudo /usr/bin/tee <path>`
// after probing sudo with `sudo -n /usr/sbin/pvesm apiinfo`, then reads the file back over SFTP
// (proxmox/ssh/client.go, NodeStreamUpload and probeSudo, v0.111.1). The user may therefore run
// exactly `pvesm apiinfo` and `tee` on this stack's own snippet files, and nothing else as root.
import type { ProxmoxResource } from "./privileges";

const SNIPPET = "proxmoxve:index/fileLegacy:FileLegacy";

/** The snippet volumes (`<storage>:snippets/<file>`) the provider uploads to each node. */
export function snippetUploads(resources: Iterable<ProxmoxResource>): Map<string, string[]> {
    const byNode = new Map<string, string[]>();
    for (const { type, inputs } of resources) {
        if (type !== SNIPPET || inputs.contentType !== "snippets") continue;
        const volume = `${inputs.datastoreId}:snippets/${inputs.sourceRaw?.fileName ?? inputs.sourceFile?.fileName}`;
        byNode.set(inputs.nodeName, [...(byNode.get(inputs.nodeName) ?? []), volume].sort());
    }
    return byNode;
}

/**
 * The root shell commands, for one node, that create the SSH user and its sudoers file: the paths
 * come from `pvesm path` on that node, and a path sudo could read as more than one argument stops
 * the script before any rule is written. The file is checked by visudo before it takes effect.
 */
export function nodeUserScript(user: string, volumes: readonly string[]): string {
    const file = `/etc/sudoers.d/${user}`;
    return [
        `id ${user} >/dev/null 2>&1 || useradd --create-home --shell /bin/bash ${user}`,
        `sudoers() {`,
        `    echo '${user} ALL=(root) NOPASSWD: /usr/sbin/pvesm apiinfo'`,
        `    for volume in ${volumes.join(" ")}; do`,
        `        path=$(pvesm path "$volume") && [ -n "$path" ] || return 1`,
        `        case $path in *[!A-Za-z0-9_./-]*) echo "unexpected path $path" >&2; return 1;; esac`,
        `        echo "${user} ALL=(root) NOPASSWD: /usr/bin/tee $path"`,
        `    done`,
        `}`,
        // sudo skips files whose name holds a dot: the new file takes effect only once renamed.
        `{ sudoers > ${file}.new && chmod 0440 ${file}.new && visudo -cf ${file}.new && mv ${file}.new ${file}; } || rm -f ${file}.new`,
    ].join("\n");
}
