// Network namespaces for the tests that send real packets through the real kernel: namespaces
// created and removed together, hosts on a link with their addresses, and the probe fixtures
// (test/fixtures/probe-server.js and probe-client.js) run inside them through nsenter.
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import * as path from "node:path";
import assert from "node:assert/strict";
import { REPO } from "./stackConfig";

export function ip(...args: string[]): void {
    const result = spawnSync("ip", args, { encoding: "utf8" });
    assert.equal(result.status, 0, `ip ${args.join(" ")}: ${result.stderr}`);
}

/** nsenter's arguments to run `command` in the network namespace `netns`. */
export const inNetns = (netns: string, command: readonly string[]) => ["--net=/run/netns/" + netns, ...command];

/** One probe of probe-client.js: from `src` (and `sport`) if given; TCP is open at the handshake if `handshake`. */
export interface Probe {
    readonly dst: string;
    readonly proto: "tcp" | "udp";
    readonly port: number;
    readonly src?: string;
    readonly sport?: number;
    readonly handshake?: boolean;
}
export type ProbeOutcome = "open" | "refused" | "timeout" | "unexpected";

/** The namespaces and probe servers of one test file, all removed by `cleanup()`. */
export class Netns {
    private readonly created: string[] = [];
    private readonly servers: ChildProcess[] = [];

    add(name: string): string {
        ip("netns", "add", name);
        this.created.push(name);
        ip("-n", name, "link", "set", "lo", "up");
        return name;
    }

    /**
     * `netns`'s end of a link (already moved into it) renamed eth0, holding `addresses` (/32), up,
     * with every other address one ARP away on it: no router needed.
     */
    host(netns: string, link: string, addresses: readonly string[]): void {
        ip("-n", netns, "link", "set", link, "name", "eth0");
        ip("-n", netns, "link", "set", "eth0", "up");
        setAddresses(netns, addresses);
    }

    /** probe-server.js in `netns`: TCP and UDP listeners answering "pong"; resolves once all listen. */
    startProbeServer(netns: string, ports: { tcp: readonly number[]; udp: readonly number[] }): Promise<void> {
        return new Promise<void>((resolve, reject) => {
            const server = spawn("nsenter", inNetns(netns, [process.execPath, path.join(REPO, "test", "fixtures", "probe-server.js"), JSON.stringify(ports)]));
            this.servers.push(server);
            server.stdout.on("data", (data) => data.toString().includes("ready") && resolve());
            server.on("exit", (code) => reject(new Error(`probe server in ${netns} exited with ${code}`)));
        });
    }

    cleanup(): void {
        for (const server of this.servers.splice(0)) server.kill("SIGKILL");
        for (const netns of this.created.splice(0).reverse()) spawnSync("ip", ["netns", "del", netns]);
    }
}

/**
 * eth0's addresses (/32) in `netns` become `addresses`, in one `ip -batch`, and every other address
 * is on eth0's link (the kernel drops a device's routes with its last address: the route is set again).
 */
export function setAddresses(netns: string, addresses: readonly string[]): void {
    const batch = ["addr flush dev eth0", ...addresses.map((a) => `addr add ${a}/32 dev eth0`), "route replace 0.0.0.0/0 dev eth0"].join("\n") + "\n";
    const result = spawnSync("ip", ["-n", netns, "-batch", "-"], { input: batch, encoding: "utf8" });
    assert.equal(result.status, 0, `ip -n ${netns} addr: ${result.stderr}`);
}

/** probe-client.js in `netns`: every probe at once, each given `timeoutMs`; the outcomes in order. */
export function probe(netns: string, probes: readonly Probe[], timeoutMs: number): ProbeOutcome[] {
    const result = spawnSync("nsenter", inNetns(netns, [process.execPath, path.join(REPO, "test", "fixtures", "probe-client.js"), JSON.stringify(probes), String(timeoutMs)]), { encoding: "utf8" });
    assert.equal(result.status, 0, result.stderr);
    return JSON.parse(result.stdout);
}
