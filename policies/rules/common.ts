// What the rules share: resource types, how to read the program's resources (VM addresses, Docker
// hosts, firewall references, which container is which), and the wording of violations.
import { PolicyResource, UnknownValueError } from "@pulumi/policy";
import { commandName, effectiveCommand, pipelines } from "../models/shell";
// Not in the typings, but exported by the module: the sentinel its UnknownValueError names.
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const { unknownObjectValue } = require("@pulumi/policy/proxy") as { unknownObjectValue: unknown };

export const TYPES = {
    vm: "proxmoxve:index/vmLegacy:VmLegacy",
    snippet: "proxmoxve:index/fileLegacy:FileLegacy",
    rules: "proxmoxve:firewall/rulesLegacy:RulesLegacy",
    options: "proxmoxve:firewall/optionsLegacy:OptionsLegacy",
    ipset: "proxmoxve:firewall/ipsetLegacy:IpsetLegacy",
    alias: "proxmoxve:firewall/aliasLegacy:AliasLegacy",
    datacenterFirewall: "proxmoxve:cluster/firewallLegacy:FirewallLegacy",
    container: "docker:index/container:Container",
    remoteImage: "docker:index/remoteImage:RemoteImage",
    command: "command:remote:Command",
    localCommand: "command:local:Command",
    privateKey: "tls:index/privateKey:PrivateKey",
    selfSignedCert: "tls:index/selfSignedCert:SelfSignedCert",
    locallySignedCert: "tls:index/locallySignedCert:LocallySignedCert",
    randomPassword: "random:index/randomPassword:RandomPassword",
    randomBytes: "random:index/randomBytes:RandomBytes",
    edgeHandOff: "elabftw:firewall:EdgeHandOff",
} as const;

/** "CNRS « French wording » (English gloss)": how every violation of a mandatory requirement starts. */
export function cnrs(french: string, english: string): string {
    return `CNRS requirement « ${french} » (${english})`;
}

export function violation(requirement: string, subject: string, problem: string, fix: string): string {
    return `${requirement}: ${subject} ${problem}. Fix: ${fix}`;
}

/**
 * The resources of a type. A Docker resource with no outputs at all was not previewed: its
 * provider's configuration is not known yet (in a stack's first preview the VM's host key, which
 * the provider pins, is read only once the VM exists). Nothing can be decided about it then, so the
 * policy reports itself as not run in this preview (the engine's UnknownValueError) instead of
 * judging an empty container; it runs at `up` and in every later preview.
 */
export function ofType(resources: readonly PolicyResource[], type: string): PolicyResource[] {
    const found = resources.filter((r) => r.type === type);
    const unpreviewed = found.find((r) => type.startsWith("docker:") && Object.keys(r.props).length === 0);
    if (unpreviewed) throw new UnknownValueError(unknownObjectValue, [unpreviewed.name]);
    return found;
}

/** The VM's address, from its cloud-init IP configuration. */
export function vmAddress(vm: PolicyResource): string | undefined {
    const address: string | undefined = vm.props.initialization?.ipConfigs?.[0]?.ipv4?.address;
    return address?.split("/")[0];
}

/**
 * The address of the VM a remote command runs on: its connection's host. In a stack's first preview
 * the connection is unknown as a whole (it pins the VM's host key, read once the VM exists, and the
 * SDK sends a connection as one secret value): the command then runs on the VM whose key it pins,
 * the VM that the resource its connection comes from (the key reader) depends on.
 */
export function commandHost(command: PolicyResource): string | undefined {
    const host = tryKnown(() => command.props.connection?.host as string | undefined);
    if (host.known) return host.value;
    const readers = command.propertyDependencies?.connection ?? [];
    const addresses = [...new Set(readers.flatMap((r) => r.dependencies.filter((d) => d.type === TYPES.vm)).map(vmAddress).filter((a) => a !== undefined))];
    if (addresses.length !== 1) throw new UnknownValueError(unknownObjectValue, [command.name, "connection"]);
    return addresses[0];
}

/** The VM a Docker provider reaches over SSH (host: ssh://user@address). */
export function dockerHostAddress(resource: PolicyResource): string | undefined {
    const host: string | undefined = resource.provider?.props?.host;
    return host ? /^ssh:\/\/[^@]+@([^:/]+)/.exec(host)?.[1] : undefined;
}

function octets(address: string): number[] | undefined {
    const parts = address.split(".").map(Number);
    return parts.length === 4 && parts.every((n) => Number.isInteger(n) && n >= 0 && n <= 255) ? parts : undefined;
}

/** RFC 1918 and the VPN ranges' usual homes: addresses that are not on the Internet. */
export function isPrivateAddress(address: string): boolean {
    const o = octets(address.split("/")[0]);
    if (!o) return false;
    return o[0] === 10 || (o[0] === 172 && o[1] >= 16 && o[1] <= 31) || (o[0] === 192 && o[1] === 168);
}

/** RFC 5737 documentation addresses, accepted on test stacks only. */
export function isDocumentationAddress(address: string): boolean {
    return /^(192\.0\.2|198\.51\.100|203\.0\.113)\.\d{1,3}$/.test(address);
}

export function isPublicUnicast(address: string): boolean {
    const o = octets(address);
    if (!o || isPrivateAddress(address) || isDocumentationAddress(address)) return false;
    return !(o[0] === 0 || o[0] === 127 || o[0] >= 224 || (o[0] === 100 && o[1] >= 64 && o[1] <= 127) || (o[0] === 169 && o[1] === 254));
}

export const isAnywhere = (cidr: string) => cidr === "0.0.0.0/0" || cidr === "0.0.0.0" || cidr.endsWith("/0");

/**
 * Reads a value that a preview may not know yet (a generated secret, an id): `{ known: false }`
 * instead of the engine's UnknownValueError, for policies that can decide on the rest.
 */
export function tryKnown<T>(read: () => T): { known: true; value: T } | { known: false } {
    try {
        return { known: true, value: read() };
    } catch (error) {
        // By name too: a pack installed on its own may load a second copy of @pulumi/policy.
        if (error instanceof UnknownValueError || (error as Error)?.constructor?.name === "UnknownValueError") return { known: false };
        throw error;
    }
}

/** A container's environment list as Docker reads it: NAME=value entries, or unknown (preview). */
function envEntries(props: Record<string, any>): ({ name: string; value: string } | undefined)[] {
    const list = (props.envs ?? []) as string[];
    return Array.from({ length: list.length }, (_, i) => {
        const entry = tryKnown(() => list[i]);
        if (!entry.known) return undefined;
        const at = entry.value.indexOf("=");
        return at < 0 ? { name: entry.value, value: "" } : { name: entry.value.slice(0, at), value: entry.value.slice(at + 1) };
    });
}

function envOf(props: Record<string, any>): Record<string, string> {
    return Object.fromEntries(envEntries(props).flatMap((e) => (e ? [[e.name, e.value]] : [])));
}

const mountTargets = (props: Record<string, any>): string[] => ((props.mounts ?? []) as { target: string }[]).map((m) => m.target);

// Containers are recognised by what is known during a preview first (command, mounts), and by
// their environment (secret, so unknown in a preview) only when that says nothing.

/** The MySQL container: it runs mysqld, keeps MySQL's data directory, or initialises a MySQL database. */
export function isDatabaseContainer(props: Record<string, any>): boolean {
    // Mounts first: a container's command is computed by the Docker provider when the program does
    // not set it (eLabFTW's), so it is unknown in a preview and reading it would skip the policy.
    if (mountTargets(props).includes("/var/lib/mysql")) return true;
    if (mountTargets(props).includes("/elabftw/uploads")) return false;
    if (props.command?.[0] === "mysqld") return true;
    return "MYSQL_DATABASE" in envOf(props);
}

/** The eLabFTW container: it keeps eLabFTW's uploads, or has eLabFTW's database and site settings. */
export function isApplicationContainer(props: Record<string, any>): boolean {
    if (mountTargets(props).includes("/elabftw/uploads")) return true;
    if (mountTargets(props).includes("/var/lib/mysql")) return false;
    if (props.command?.[0] === "mysqld") return false;
    const env = envOf(props);
    return "DB_HOST" in env && "SITE_URL" in env;
}

/**
 * The value a container's process sees for `name` (Docker keeps the last assignment), or undefined
 * when unset. In a preview an entry holding a generated secret is unknown as a whole: if such an
 * entry comes after the last known assignment (or there is none), it could set `name` itself, so
 * nothing can be decided yet and the engine's UnknownValueError is thrown.
 */
export function containerEnvValue(props: Record<string, any>, name: string): string | undefined {
    const entries = envEntries(props);
    const last = entries.map((e, i) => (e?.name === name ? i : -1)).reduce((a, b) => Math.max(a, b), -1);
    const hiddenAfter = entries.findIndex((e, i) => e === undefined && i > last);
    if (hiddenAfter >= 0) throw new UnknownValueError(unknownObjectValue, ["envs", String(hiddenAfter)]);
    return last >= 0 ? entries[last]!.value : undefined;
}

/** A container's variable, or undefined while a preview hides an entry that could set it (decided at `up`). */
export function envValueOrUndecided(props: Record<string, any>, name: string): string | undefined {
    try {
        return containerEnvValue(props, name);
    } catch (error) {
        if (error instanceof UnknownValueError) return undefined;
        throw error;
    }
}

/** Files the program installs on a VM with install-file.sh: path -> command. */
export function installedFiles(resources: readonly PolicyResource[], address: string): Map<string, PolicyResource> {
    const files = new Map<string, PolicyResource>();
    for (const c of ofType(resources, TYPES.command)) {
        if (commandHost(c) !== address) continue;
        const match = /install-file\.sh --path (\S+) /.exec(c.props.create ?? "");
        if (match) files.set(match[1], c);
    }
    return files;
}

/** Every resource a resource waits for, transitively (the engine's dependencies). */
export function waitsFor(resource: PolicyResource): PolicyResource[] {
    const seen = new Map<string, PolicyResource>();
    const walk = (r: PolicyResource) => {
        for (const d of r.dependencies ?? []) if (!seen.has(d.urn)) (seen.set(d.urn, d), walk(d));
    };
    walk(resource);
    return [...seen.values()];
}

/** Where the program mounts each VM's LUKS data disk (components/vm/cloudInit.ts DATA_MOUNT): what lands under it is encrypted at rest. */
export const DATA_MOUNT = "/srv/elabftw";

/** Test stacks tag their VMs "test"; documentation addresses are accepted there only. */
export function isTestStack(resources: readonly PolicyResource[]): boolean {
    const vms = ofType(resources, TYPES.vm);
    return vms.length > 0 && vms.every((vm) => (vm.props.tags ?? []).includes("test"));
}

export function isProductionStack(resources: readonly PolicyResource[]): boolean {
    return ofType(resources, TYPES.vm).some((vm) => (vm.props.tags ?? []).includes("production"));
}

/**
 * A value, or undefined while a preview cannot know it (a secret or computed input): what a preview
 * cannot read is decided at `pulumi up`, where every value is known.
 */
export function knownOrUndefined<T>(read: () => T): T | undefined {
    const value = tryKnown(read);
    return value.known ? value.value : undefined;
}

/** A command whose script runs the mysql client: its standard input is SQL for the server. */
export const runsMysqlClient = (command: PolicyResource) =>
    pipelines(String(command.props.create ?? "")).some((p) => p.stages.some((s) => /^(mysql|mariadb)$/.test(commandName(effectiveCommand(s).argv))));

/** A provider's list setting: the engine passes provider configuration as strings (a list as its JSON text). */
export function providerList(value: unknown): string[] {
    if (Array.isArray(value)) return value.map(String);
    if (typeof value !== "string" || value === "") return [];
    try {
        const parsed = JSON.parse(value);
        return Array.isArray(parsed) ? parsed.map(String) : [value];
    } catch {
        return [value];
    }
}
