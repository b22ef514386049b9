// The status tool's plain logic: reading the status script's lines, the table, the JSON, the exit
// code, and the known_hosts the SSH connections trust. No I/O here.
import type { Role } from "../../components/config/types";

export type State = "ok" | "warn" | "fail";
export interface CheckResult {
    readonly vm: Role;
    readonly check: string;
    readonly state: State;
    readonly detail: string;
    readonly since: string;
}
/** A VM that could not be asked (SSH refused, host key mismatch, script crashed). */
export interface VmError {
    readonly vm: Role;
    readonly error: string;
}

/** Exit codes as monitoring plugins use them: 0 ok, 1 a warning, 2 a failure, 3 a VM not reached. */
export const EXIT = { ok: 0, warn: 1, fail: 2, unknown: 3, usage: 64, config: 78 } as const;

/** Parses CHECK<TAB>STATE<TAB>DETAIL<TAB>SINCE lines; anything else is an error naming the line. */
export function parseStatusLines(vm: Role, text: string): CheckResult[] {
    return text
        .split("\n")
        .filter((line) => line.length > 0)
        .map((line, index) => {
            const fields = line.split("\t");
            const [check, state, detail, since] = fields;
            if (fields.length !== 4 || !/^[a-z0-9-]+$/.test(check) || !["ok", "warn", "fail"].includes(state)) {
                throw new Error(`${vm} VM: status line ${index + 1} is not CHECK<TAB>STATE<TAB>DETAIL<TAB>SINCE: ${JSON.stringify(line.slice(0, 120))}`);
            }
            return { vm, check, state: state as State, detail, since };
        });
}

export function exitCode(results: readonly CheckResult[], errors: readonly VmError[]): number {
    if (results.some((r) => r.state === "fail")) return EXIT.fail;
    if (errors.length > 0) return EXIT.unknown;
    return results.some((r) => r.state === "warn") ? EXIT.warn : EXIT.ok;
}

/** The table: VM, check, state, detail, since, in columns; VMs not reached listed after it. */
export function renderTable(results: readonly CheckResult[], errors: readonly VmError[]): string {
    const header = ["VM", "CHECK", "STATE", "DETAIL", "SINCE"];
    const rows = results.map((r) => [r.vm, r.check, r.state.toUpperCase(), r.detail, r.since || "-"]);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (i === 3 ? Math.min(row[i].length, 90) : row[i].length))));
    const line = (row: string[]) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join("  ").trimEnd();
    const out = [line(header), ...rows.map(line)];
    for (const error of errors) out.push(`${error.vm}: NOT REACHED: ${error.error}`);
    const failed = results.filter((r) => r.state === "fail").length;
    const warned = results.filter((r) => r.state === "warn").length;
    out.push("", `${results.length} checks: ${results.length - failed - warned} ok, ${warned} warn, ${failed} fail${errors.length ? `, ${errors.length} VM not reached` : ""}`);
    return `${out.join("\n")}\n`;
}

export function renderJson(unit: string, results: readonly CheckResult[], errors: readonly VmError[], now: Date): string {
    const code = exitCode(results, errors);
    const status = Object.entries(EXIT).find(([, value]) => value === code)![0];
    return `${JSON.stringify({ unit, time: now.toISOString(), status, checks: results, unreachable: errors }, null, 2)}\n`;
}

/**
 * known_hosts for the VMs from the stack output sshKnownHosts (text, or an object of texts per
 * VM) or a file: plain `host type key` lines only (no markers, no wildcards, no hashed names), and
 * a line for every VM address. Never trust on first use.
 */
export function knownHostsFor(source: unknown, addresses: readonly string[]): string {
    const texts = typeof source === "string" ? [source] : source && typeof source === "object" ? Object.values(source) : [source];
    if (!texts.every((text) => typeof text === "string")) throw new Error("sshKnownHosts must be known_hosts text, or an object of such texts per VM");
    const lines = (texts as string[]).flatMap((text) => text.split("\n")).map((line) => line.trim()).filter((line) => line && !line.startsWith("#"));
    for (const line of lines) {
        if (!/^[A-Za-z0-9.:[\]-]+(,[A-Za-z0-9.:[\]-]+)* (ssh-ed25519|ecdsa-sha2-nistp(256|384|521)|ssh-rsa) [A-Za-z0-9+/]+=*( .*)?$/.test(line)) {
            throw new Error(`known_hosts line refused (only "address type key", no marker, wildcard or hashed name): ${line.slice(0, 60)}`);
        }
    }
    const hosts = new Set(lines.flatMap((line) => line.split(" ")[0].split(",")));
    const missing = addresses.filter((address) => !hosts.has(address));
    if (missing.length > 0) throw new Error(`no pinned host key for ${missing.join(", ")}: the VMs' keys must be known before connecting (never accept-new)`);
    return `${lines.join("\n")}\n`;
}
