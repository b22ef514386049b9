// The Docker engine of a VM, reached by the Docker provider over SSH (`docker system dial-stdio`):
// no Docker TCP port is ever opened. The workstation's ssh-agent holds the key; the VM's host key
// is pinned (hostKey.ts).
import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import { dockerSshOpts, knownHostsLine, pinnedKnownHostsFile, writePinnedKnownHosts } from "./hostKey";

/** A VM as the application components use it: SSH for files and commands, Docker for containers. */
export interface DockerVm {
    readonly connection: pulumi.Input<command.types.input.remote.ConnectionArgs>;
    readonly provider: docker.Provider;
    /** The data disk is mounted and Docker runs from it: nothing may be written to the VM before. */
    readonly ready: pulumi.Resource;
    /** The VM's private address: the only one its containers publish ports on. */
    readonly address: string;
    /** The VM's firewalls (Proxmox options and rules, the guest's ruleset): nothing listens before they filter. */
    readonly firewall: readonly pulumi.Resource[];
}

export function dockerVm(
    name: string,
    vm: {
        readonly connection: command.types.input.remote.ConnectionArgs & { readonly hostKey: pulumi.Output<string> };
        readonly address: string;
        readonly dataDisk: { readonly mounted: pulumi.Resource };
    },
    user: string,
    parent: pulumi.Resource,
    firewall: readonly pulumi.Resource[],
): DockerVm {
    return { connection: vm.connection, provider: dockerHost(name, user, vm.address, vm.connection.hostKey, parent), ready: vm.dataDisk.mounted, address: vm.address, firewall };
}

function dockerHost(name: string, user: string, address: string, hostKey: pulumi.Output<string>, parent: pulumi.Resource): docker.Provider {
    const knownHosts = pinnedKnownHostsFile(pulumi.getProject(), pulumi.getStack(), name);
    // Written as soon as the key is known: at its first read, and from the state on every later run
    // (so a second workstation gets it too). The containers connect only after the data disk is
    // mounted over SSH, which waits for this same key, so the file exists before their first dial.
    hostKey.apply((key) => writePinnedKnownHosts(knownHosts, knownHostsLine(address, key)));
    return new docker.Provider(
        name,
        {
            host: `ssh://${user}@${address}`,
            // The VM's key only, from the stack's own known_hosts file; a fixed string, so the
            // provider is configured (and the containers previewed) before the VM exists.
            sshOpts: dockerSshOpts(knownHosts),
            // The VM may not exist yet at preview time: do not ping its daemon when configuring.
            disableDockerDaemonCheck: true,
        },
        { parent },
    );
}

/** A label whose change recreates a container, so it re-reads certificates that were rotated. */
export function contentLabel(label: string, ...contents: pulumi.Input<string>[]): pulumi.Output<{ label: string; value: string }> {
    return pulumi.all(contents).apply((values) => ({ label, value: createHash("sha256").update(values.join("\n")).digest("hex") }));
}
