// The architecture as Graphviz DOT, from the resources: each VM one box (its title inside the box,
// so no edge crosses it), every endpoint with its addresses, allowed flows solid, denied flows
// dashed red, the source NAT with the unit's public address, extra flows labelled, and a legend.
import type { CapturedResource } from "../offline/mockEngine";
import { dataDiskEncryption, of, Resources, TYPES, vmAddress, vmRole, vms } from "./facts";

/** Text inside a DOT "quoted string". */
const quoted = (value: unknown) => `"${String(value ?? "").replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\r?\n/g, "\\n")}"`;
/** Text inside a DOT HTML-like label. */
const html = (value: unknown) => String(value ?? "").replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/\r?\n/g, " ");

interface Endpoint {
    readonly name: string;
    readonly addresses: string;
}

/** "web (10.20.30.10), dns (10.20.60.2, 10.20.60.3)" -> [{web, 10.20.30.10}, {dns, "10.20.60.2, 10.20.60.3"}] */
export function endpoints(side: string): Endpoint[] {
    const found: Endpoint[] = [];
    const pattern = /\s*([^,(]+?)\s*(?:\(([^)]*)\))?\s*(?:,|$)/gy;
    for (let match = pattern.exec(side); match && match[0] !== ""; match = pattern.exec(side)) found.push({ name: match[1], addresses: match[2] ?? "" });
    return found;
}

const STANDARD = /^(\d+|node-management|admin-ssh|dns|ntp|http-proxy|backup|nat|egress-networks)$/;

function vmNode(resources: Resources, vm: CapturedResource): string {
    const role = vmRole(vm);
    const containers = of(resources, TYPES.container).filter((c) => {
        const provider = resources.find((p) => c.provider.startsWith(`${p.urn}::`));
        return String(provider?.inputs.host ?? "").endsWith(`@${vmAddress(vm)}`);
    });
    const disk = dataDiskEncryption(resources, vm);
    const encryption = disk.luksBy ? `data disk: LUKS2 in the VM${disk.tpm ? ", vTPM unlock" : ""}` : `volumes on ${disk.datastores.join(", ")} (host encryption)`;
    const rows = [
        `<tr><td bgcolor="#5b6b8c"><font color="white"><b>${html(vm.inputs.name)}</b></font></td></tr>`,
        `<tr><td port="in">VM ${html(vm.inputs.vmId)} on ${html(vm.inputs.nodeName)}, ${html(vmAddress(vm))}</td></tr>`,
        `<tr><td port="out">${html(role === "db" ? "MySQL" : "eLabFTW")} container: ${html(containers.map((c) => c.inputs.name).join(", ") || "none")}</td></tr>`,
        `<tr><td>${html(encryption)}</td></tr>`,
    ];
    return `  ${role} [shape=plaintext, fillcolor=none, label=<<table border="1" cellborder="0" cellspacing="0" cellpadding="4" bgcolor="#dfe8f7" color="#5b6b8c">${rows.join("")}</table>>];`;
}

const LEGEND = [
    '<tr><td colspan="2"><b>Legend</b></td></tr>',
    '<tr><td bgcolor="#dfe8f7">blue box</td><td align="left">a VM the program deploys (name, VM ID, node, address)</td></tr>',
    '<tr><td bgcolor="#ffffff">white box</td><td align="left">a network or host outside the program (name, address)</td></tr>',
    '<tr><td><font color="#2b5797">———</font></td><td align="left">allowed flow: row of the flow matrix, port, protocol</td></tr>',
    '<tr><td><font color="#c0392b">- - -</font></td><td align="left">denied flow (explicit deny row)</td></tr>',
    '<tr><td colspan="2" align="left">Anything not drawn is dropped (default deny, both directions).</td></tr>',
].join("");

const end = (name: string, port: "in" | "out") => (name === "web" || name === "db" ? `${name}:${port}` : quoted(name));

/** The DOT source of the architecture diagram. */
export function architectureDot(resources: Resources): string {
    const handOff = of(resources, TYPES.handOff)[0];
    const rows = ((handOff?.inputs.rules ?? []) as Record<string, string>[]).filter((r) => r.source !== "any" || r.destination !== "any");
    const nodesOfProxmox = [...new Set(vms(resources).map((vm) => String(vm.inputs.nodeName)))].join(", ");
    const lines = [
        "digraph elabftw {",
        '  rankdir=TB; nodesep=0.3; ranksep=0.7; node [shape=box, style="rounded,filled", fillcolor="#ffffff", fontname="Helvetica", fontsize=11]; edge [fontname="Helvetica", fontsize=9, color="#2b5797", fontcolor="#2b5797"];',
        `  legend [shape=plaintext, style="", label=<<table border="1" cellborder="0" cellspacing="0" cellpadding="3" color="#888888">${LEGEND}</table>>];`,
    ];
    for (const vm of vms(resources)) lines.push(vmNode(resources, vm));
    const external = new Map<string, string>();
    for (const row of rows) {
        for (const side of [row.source, row.destination]) {
            for (const e of endpoints(side)) {
                if (e.name === "web" || e.name === "db") continue;
                const isAddress = /^\d/.test(e.name);
                const label =
                    e.name === "Internet"
                        ? `Internet\nthe unit's calls leave from\n${handOff?.inputs.egressPublicAddress ?? "?"} (source NAT)`
                        : e.name === "proxmoxNodes"
                          ? `Proxmox nodes\n${nodesOfProxmox}`
                          : isAddress
                            ? `${row.description ? `${row.description}\n` : ""}${e.name}`
                            : `${e.name}\n${e.addresses || "address not declared"}`;
                if (!external.has(e.name)) external.set(e.name, label);
            }
        }
    }
    for (const [name, label] of external) lines.push(`  ${quoted(name)} [label=${quoted(label)}];`);
    for (const row of rows) {
        const deny = row.action.startsWith("deny");
        const nat = /source NAT to (\S+)/.exec(row.action)?.[1];
        const what = `${STANDARD.test(row.num) ? `#${row.num}` : row.description || row.num}: ${row.destinationPort}${nat ? `, source NAT to ${nat}` : ""}${deny ? " DENIED" : ""}`;
        const style = deny ? ', style=dashed, color="#c0392b", fontcolor="#c0392b"' : "";
        for (const from of endpoints(row.source)) {
            // Edges end on a VM's body rows, never on its title.
            for (const to of endpoints(row.destination)) lines.push(`  ${end(from.name, "out")} -> ${end(to.name, "in")} [label=${quoted(what)}${style}];`);
        }
    }
    lines.push("}");
    return `${lines.join("\n")}\n`;
}
