// CNRS « Pare-feu d'infrastructure capable de segmenter les VM convenablement ».
// The switches and defaults of both firewall layers (Proxmox, and nftables in the guests), and the
// default-deny egress, decided on the firewall model.
import { StackValidationPolicy } from "@pulumi/policy";
import { covers, describe, INTERNET, setOf, subtract } from "../models/ipv4";
import { acceptsEverything, loadsRuleset, parseRuleset, unitExecCommands, wipesGuestTable } from "../models/nftables";
import { effectiveCommand, pipelines } from "../models/shell";
import { cloudInitFiles, deployedScripts } from "./deployedText";
import { forwardingAllowed, sshdTexts } from "../models/sshd";
import { datacenterInputPolicy, sendableSources, vmPolicy } from "../models/proxmoxFirewall";
import { PVE_TYPES } from "../models/pveResources";
import { declaredEndpoints, HandOffRow, matrixFloorBreaches, matrixFlows, missingDenials } from "../models/handOff";
import { describeExposure, passingPeers, reach } from "../models/reachability";
import { cnrs, commandHost, knownOrUndefined, ofType, TYPES, violation, vmAddress } from "./common";
import { exitsBefore, flagVariables } from "../models/scriptFlags";
import { beyondMatrix, nodeAccessBeyondMatrix, stackNetwork } from "./firewallView";
import { guestBeyondMatrix } from "./guestFirewallView";

const REQUIREMENT = cnrs("Pare-feu d'infrastructure capable de segmenter les VM convenablement", "an infrastructure firewall able to segment the VMs");
const GUEST_TABLE = "inet elabftw";

export const cnrsInfrastructureFirewall: StackValidationPolicy = {
    name: "cnrs-infrastructure-firewall",
    description:
        "The datacenter firewall is on with input policy DROP; each VM's firewall is on with DROP both ways and its own rules, every NIC filtered; no VM reaches the whole Internet on any port; each VM loads the nftables table inet elabftw with drop policies and no accept-all rule; each VM sends only from its own address (IP filter), with the MAC filter and the datacenter's ebtables left on and router advertisements dropped (radv off); the boot unit loads the ruleset from a persistent file; the guest ruleset includes no other file; no NIC trunks other VLANs; no firewall resource ignores changes (but the management set's members); the hand-off keeps the matrix's floor: the lab reaches the filer on no port (row 6), users reach the web VM only through the edge, which reaches it on 443 alone (rows 1-2), SSH to the VMs from the admin network only; no command empties the guest table (nft flush ruleset, Debian's nftables.service enabled). The edge hand-off keeps the paper's deny rows 5 and 6 (the lab denied the database and the filer) and lets users reach the edge on 443/tcp only.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            datacenterFirewallManagedElsewhere: {
                type: "boolean",
                default: false,
                description: "True when another stack of the cluster owns the datacenter firewall (manageClusterFirewall: false here).",
            },
        },
    },
    validateStack: (args, reportViolation) => {
        const { datacenterFirewallManagedElsewhere } = args.getConfig<{ datacenterFirewallManagedElsewhere: boolean }>();
        const net = stackNetwork(args.resources);
        const datacenter = ofType(args.resources, TYPES.datacenterFirewall)[0];
        // The floor of the paper's matrix, whatever rows the hand-off adds (extraFlows).
        for (const handOff of ofType(args.resources, TYPES.edgeHandOff)) {
            const rows = knownOrUndefined(() => handOff.props.rules as HandOffRow[]) ?? [];
            const named = declaredEndpoints(rows);
            const get = (name: string) => named.get(name) ?? [];
            const endpoints = { lab: get("labSubnet"), vpn: get("vpnClients"), admin: get("adminNetwork"), edge: get("edgeFirewall"), web: get("web"), db: get("db"), filer: get("filer") };
            for (const breach of matrixFloorBreaches(matrixFlows(rows), endpoints)) {
                reportViolation(violation(REQUIREMENT, `${handOff.name}'s row ${breach.row}`, breach.rule, "remove the row (its extraFlows entry)"), handOff.urn);
            }
            for (const missing of missingDenials(rows, endpoints)) {
                reportViolation(violation(REQUIREMENT, handOff.name, `no longer tells the network team ${missing}: only the campus firewall can enforce it (the filer is no VM of the program; the DB VM's own firewall is one layer)`, "keep the hand-off's deny rows (the program writes them from the flow matrix)"), handOff.urn);
            }
        }
        // A firewall object that ignores changes keeps its first state in Proxmox while the stack (and
        // this pack) reads the new one. The one exception is the program's: the management set's
        // members, which the provider cannot change in place (components/network/proxmoxFirewall.ts).
        const firewallTypes: string[] = Object.values(PVE_TYPES).filter((t) => t !== PVE_TYPES.vm);
        for (const r of args.resources.filter((r) => firewallTypes.includes(r.type) || (r.type === TYPES.command && /guest-firewall/.test(r.name)))) {
            const ignored = (r.opts.ignoreChanges ?? []).filter((field) => !(r.type === TYPES.ipset && field === "cidrs" && knownOrUndefined(() => r.props.name) === "management"));
            if (ignored.length > 0) reportViolation(violation(REQUIREMENT, r.name, `ignores changes to ${ignored.join(", ")}: the rules applied stay those of its creation while the stack shows the new ones`, "remove ignoreChanges from the firewall's resources"), r.urn);
        }
        if (!datacenterFirewallManagedElsewhere && (!net.fw.datacenter || net.fw.datacenter.enabled !== true)) {
            reportViolation(violation(REQUIREMENT, "the stack", "does not switch on the datacenter firewall (without it no VM firewall filters)", "set manageClusterFirewall true, or declare datacenterFirewallManagedElsewhere in the policy config"));
        }
        if (net.fw.datacenter && datacenterInputPolicy(net.fw) !== "DROP") {
            reportViolation(violation(REQUIREMENT, "the datacenter firewall", `has the input policy ${datacenterInputPolicy(net.fw)}`, "set its inputPolicy to DROP"), datacenter?.urn);
        }
        // Layer 2: Proxmox's MAC filter (VM option macfilter, on unless set off) and the ebtables rules
        // that carry it and the ARP side of the IP filter (datacenter option ebtables, on unless off).
        // Off, a VM can send as another's MAC, answer ARP for its address, and take its traffic.
        if (datacenter && [false, 0, "0"].includes(datacenter.props.ebtables)) {
            reportViolation(violation(REQUIREMENT, "the datacenter firewall", "has ebtables off: no VM's MAC filter nor ARP filter applies, so a VM can pose as another on the segment", "leave the datacenter option ebtables on (its default)"), datacenter.urn);
        }
        // radv: Proxmox stops dropping the router advertisements the VM sends (its default drops them).
        for (const options of ofType(args.resources, TYPES.options).filter((o) => [true, 1, "1"].includes(o.props.radv))) {
            reportViolation(violation(REQUIREMENT, options.name, "lets the VM send IPv6 router advertisements (radv): it can announce itself as the router of the server network, and its neighbours' IPv6 traffic then goes through it, past the segmentation", "leave the VM firewall option radv off (its default)"), options.urn);
        }
        for (const options of ofType(args.resources, TYPES.options).filter((o) => [false, 0, "0"].includes(o.props.macfilter))) {
            reportViolation(violation(REQUIREMENT, options.name, "switches the MAC filter off: the VM may send frames from any MAC address, another VM's or the gateway's", "leave the VM firewall option macfilter on (its default)"), options.urn);
        }
        // The nodes: only the matrix's node administrators reach their GUI and SSH.
        const datacenterRules = ofType(args.resources, TYPES.rules).filter((r) => r.props.vmId === undefined || r.props.vmId === null).flatMap((r) => (Array.isArray(r.props.rules) ? r.props.rules : []));
        for (const access of nodeAccessBeyondMatrix(net, datacenterRules)) {
            reportViolation(violation(REQUIREMENT, "the Proxmox nodes", `are reachable by ${access.peers} through ${access.via}, beyond the flow matrix's administrators`, "keep the management IP set and the datacenter rules to adminNetwork (the node-management flow)"), datacenter?.urn);
        }
        // One NIC per VM, all on the same server network: a second NIC (another bridge or VLAN)
        // would route around the segmentation the firewalls enforce on the server network.
        const nicsOf = (r: { props: Record<string, any> }) => ((r.props.networkDevices ?? []) as { bridge?: string; vlanId?: number | null; enabled?: boolean | null; trunks?: string | null }[]).filter((n) => n.enabled !== false);
        const vmResources = ofType(args.resources, TYPES.vm);
        const segments = new Set(vmResources.flatMap((r) => nicsOf(r).slice(0, 1).map((n) => `${n.bridge ?? "?"}/${n.vlanId ?? "untagged"}`)));
        for (const r of vmResources) {
            const nics = nicsOf(r);
            if (nics.length !== 1) {
                reportViolation(violation(REQUIREMENT, r.name, `has ${nics.length} network devices (${nics.map((n) => `${n.bridge ?? "?"} VLAN ${n.vlanId ?? "untagged"}`).join(", ")}), not one on the server network`, "give each VM a single NIC on the server network (the bridge and vlanId settings); other networks are reached through the flow matrix"), r.urn);
            }
            // A trunk lets the guest tag its own frames for other VLANs: a VLAN sub-interface then sits
            // on those segments, and tagged frames bypass the bridge firewall's rules.
            for (const nic of nics.filter((n) => typeof n.trunks === "string" && n.trunks.trim() !== "")) {
                reportViolation(violation(REQUIREMENT, r.name, `has a NIC that trunks the VLANs ${nic.trunks}: the guest reaches those segments with tagged frames the Proxmox firewall does not filter`, "remove trunks: one untagged or vlanId-tagged NIC on the server network"), r.urn);
            }
        }
        if (segments.size > 1) reportViolation(violation(REQUIREMENT, "the stack's VMs", `sit on different networks (${[...segments].join(", ")})`, "put both VMs' NICs on the server network (bridge, vlanId)"));
        for (const vm of net.fw.vms) {
            const urn = ofType(args.resources, TYPES.vm).find((r) => r.props.vmId === vm.vmId)?.urn;
            if (vm.options?.enabled !== true || vmPolicy(vm, "in") !== "DROP" || vmPolicy(vm, "out") !== "DROP") {
                const state = vm.options ? `enabled=${vm.options.enabled ?? "unset"}, input ${vmPolicy(vm, "in")}, output ${vmPolicy(vm, "out")}` : "no firewall options";
                reportViolation(violation(REQUIREMENT, vm.name, `has ${state}, not a firewall enabled with input and output policies DROP`, "give the VM firewall options enabled: true, inputPolicy DROP, outputPolicy DROP"), urn);
            }
            if (vm.rules.length === 0) reportViolation(violation(REQUIREMENT, vm.name, "has no firewall rules of its own", "render the flow matrix's rules for this VM"), urn);
            vm.nics.forEach((filtered, i) => {
                if (!filtered) reportViolation(violation(REQUIREMENT, `${vm.name} net${i}`, "is not filtered by the Proxmox firewall", "set firewall: true on every network device"), urn);
                // Every rule of the other VM trusts a source address: a VM that may send from any
                // other address can pose as the admin network or as its neighbour.
                const sources = sendableSources(net.fw, vm, i);
                const foreign = sources && subtract(sources, vm.address ? setOf(vm.address) : []);
                if (!foreign || foreign.length > 0) {
                    reportViolation(violation(REQUIREMENT, `${vm.name} net${i}`, foreign ? `may send from ${describe(foreign)}, not only its own address: it can pose as the admin network or the other VM` : "has an IP filter set the model cannot read", "keep the firewall option ipfilter on and the ipfilter-net0 set to the VM's own address"), urn);
                }
            });
            // Segmentation: each VM exchanges with the others only what the flow matrix allows, both ways.
            for (const direction of ["in", "out"] as const) {
                const beyond = beyondMatrix(net, vm, direction);
                if (beyond.length === 0) continue;
                const more = beyond.length > 3 ? ` and ${beyond.length - 3} more packet classes` : "";
                reportViolation(
                    violation(REQUIREMENT, vm.name, `${direction === "in" ? "accepts from" : "may send to"} peers beyond the flow matrix: ${beyond.slice(0, 3).map(describeExposure).join("; ")}${more}`, "remove or narrow the rule (extraFlows, security groups, IP sets, aliases) so that only the flow matrix's flows pass"),
                    urn,
                );
            }
            const egress = reach(net.fw, vm, "out", INTERNET);
            const open = egress.exposures.find((e) => covers(passingPeers(egress, e.proto, e.ports[0]), INTERNET));
            if (open) {
                reportViolation(
                    violation(REQUIREMENT, vm.name, `may send ${open.proto}${open.proto === "icmp" ? "" : `/${open.ports[0]}`} to every Internet address (${open.by}; ${egress.evidence})`, "name the egress networks precisely (egressNetworks) or go through the httpProxy"),
                    urn,
                );
            }
        }
        for (const finding of guestBeyondMatrix(net, args.resources).filter((f) => f.exposures.length > 0)) {
            const more = finding.exposures.length > 3 ? ` and ${finding.exposures.length - 3} more packet classes` : "";
            reportViolation(
                violation(REQUIREMENT, `${finding.vmName}'s in-guest nftables layer (${finding.resource.name})`, `alone breaks "${finding.statement}": ${finding.exposures.slice(0, 3).join("; ")}${more} (${finding.evidence})`, "accept in each chain only the flow matrix's peers and ports (input: who may connect; output and Docker's forward: the egress networks or the proxy)"),
                finding.resource.urn,
            );
        }
        // sshd's forwarding carries any connection through a VM (the admin network to MySQL through
        // the web VM, say): a path around both firewall layers.
        for (const vm of ofType(args.resources, TYPES.vm)) {
            const files = cloudInitFiles(vm, args.resources);
            const texts = sshdTexts(files);
            if (texts.length === 0) continue; // the image's own sshd_config: nothing the program decides
            const forwarding = forwardingAllowed(texts);
            if (forwarding.length > 0) reportViolation(violation(REQUIREMENT, vm.name, `lets SSH sessions forward connections (${forwarding.join("; ")}), a path around the flow matrix through the VM`, "keep AllowTcpForwarding no and PermitTunnel no in the cloud-init sshd drop-in"), vm.urn);
        }
        // A command that empties the guest table (now, or at every boot from cloud-init's bootcmd or a
        // unit) leaves the VM with the Proxmox layer alone.
        for (const s of deployedScripts(args.resources)) {
            for (const stage of pipelines(s.script).flatMap((p) => p.stages)) {
                const wipe = wipesGuestTable(effectiveCommand(stage).argv, GUEST_TABLE);
                if (wipe) reportViolation(violation(REQUIREMENT, `${s.resource.name} (${s.where})`, `runs ${wipe}: the guest's nftables table ${GUEST_TABLE} is emptied or not loaded, and the VM runs without its in-guest layer`, "never flush the ruleset nor touch the table inet elabftw outside the GuestFirewall; keep Debian's nftables.service disabled"), s.resource.urn);
            }
        }
        // `include` pulls rules from files the deployment does not write: whatever lands there is
        // loaded with the table, beyond everything evaluated above.
        for (const c of ofType(args.resources, TYPES.command).filter((c) => /apply-nftables\.sh/.test(String(c.props.create ?? "")))) {
            const text = knownOrUndefined(() => c.props.stdin);
            const includes = typeof text === "string" ? [...text.matchAll(/^\s*include\s+("[^"]*"|\S+)/gm)].map((m) => m[1]) : [];
            if (includes.length > 0) reportViolation(violation(REQUIREMENT, `${c.name}`, `loads the guest ruleset with include ${includes.join(", ")}: rules from files the deployment does not write join the table, unchecked against the flow matrix`, "keep the guest ruleset self-contained (GuestFirewall renders it whole)"), c.urn);
        }
        // One ruleset per guest: each load replaces the table inet elabftw, so a VM given two keeps
        // whichever ran last, and a VM given none (a ruleset sent to the wrong host) has no guest layer.
        const rulesets = ofType(args.resources, TYPES.command).filter((c) => /apply-nftables\.sh/.test(String(c.props.create ?? "")));
        if (rulesets.length > 0) {
            for (const vm of ofType(args.resources, TYPES.vm)) {
                const onVm = rulesets.filter((c) => commandHost(c) === vmAddress(vm));
                if (onVm.length === 1) continue;
                reportViolation(violation(REQUIREMENT, vm.name, onVm.length === 0 ? "gets no in-guest nftables ruleset while the stack's other VMs do (the guest layer of the flow matrix is missing there)" : `gets ${onVm.length} in-guest rulesets (${onVm.map((c) => c.name).join(", ")}), each replacing the table inet elabftw: the last one applied wins`, "send each VM its own GuestFirewall ruleset, over its own connection"), vm.urn);
            }
        }
        for (const command of rulesets) {
            const chains = parseRuleset(String(command.props.stdin ?? "")).filter((c) => c.table === GUEST_TABLE && c.hook);
            if (chains.length === 0) reportViolation(violation(REQUIREMENT, command.name, `loads no base chain in table ${GUEST_TABLE}`, "keep the GuestFirewall's rendered ruleset"), command.urn);
            // The ruleset counts only if nft loads it: now (the command) and at every boot (a unit's Exec line).
            const scripts = deployedScripts(args.resources).filter((d) => d.resource === command);
            const stages = (text: string) => pipelines(text).flatMap((p) => p.stages);
            const loads = (text: string) => stages(text).some((stage) => loadsRuleset(effectiveCommand(stage).argv));
            const units = scripts.flatMap((d) => stages(d.script).flatMap((stage) => (stage.heredoc && /ExecStart/.test(stage.heredoc) ? [stage.heredoc] : [])));
            if (!scripts.some((d) => d.runByPulumi && loads(d.script))) {
                reportViolation(violation(REQUIREMENT, command.name, "never loads the ruleset it installs (no nft -f without --check)", "keep apply-nftables.sh's nft --file after the check"), command.urn);
            }
            // The invocation's flags may stop the script before it writes the unit (--no-systemd).
            const skipsUnit = stages(String(command.props.create ?? "")).some((stage) => {
                const argv = effectiveCommand(stage).argv;
                return /(^|\/)(ba)?sh$/.test(argv[0] ?? "") && argv[1] === "-c" && exitsBefore(argv[2] ?? "", argv.slice(4), /^\s*ExecStart\s*=/);
            });
            // The file the boot unit loads, with the script's variables as its flags set them: one under
            // a tmpfs or a cleaned temporary folder is gone at the next boot.
            const invocation = stages(String(command.props.create ?? "")).map((stage) => effectiveCommand(stage).argv).find((argv) => /(^|\/)(ba)?sh$/.test(argv[0] ?? "") && argv[1] === "-c");
            const vars = invocation ? flagVariables(invocation.slice(4)) : new Map<string, string>();
            const expand = (text: string) => text.replace(/\$\{?(\w+)\}?/g, (whole, name: string) => vars.get(name) ?? new RegExp(`(?:^|\\s)${name}="([^"$]*)"`, "m").exec(invocation?.[2] ?? "")?.[1] ?? whole);
            const bootFiles = units.flatMap((unit) => unitExecCommands(expand(unit))).flatMap((line) => stages(line).flatMap((stage) => {
                const argv = effectiveCommand(stage).argv;
                return loadsRuleset(argv) ? argv.flatMap((a, i) => (/^(-f|--file)$/.test(a) ? [argv[i + 1] ?? ""] : /^--file=/.test(a) ? [a.slice(7)] : [])) : [];
            }));
            const volatile = bootFiles.find((f) => /^\/(tmp|run|var\/tmp|dev\/shm)\//.test(f));
            if (volatile) reportViolation(violation(REQUIREMENT, command.name, `makes the boot unit load ${volatile}, a temporary folder emptied at boot: after a reboot the unit fails and the VM has no guest firewall`, "keep the ruleset at /etc/elabftw/nftables.nft (apply-nftables.sh's default)"), command.urn);
            if (skipsUnit || !units.some((unit) => unitExecCommands(unit).some(loads))) {
                reportViolation(violation(REQUIREMENT, command.name, `installs no boot unit that loads the ruleset (an ExecStart= with nft -f, without --check)${skipsUnit ? ": its flags make the script exit before writing it" : ""}, so the guest layer is gone after a reboot`, "keep apply-nftables.sh's elabftw-nftables.service (no --no-systemd)"), command.urn);
            }
            for (const chain of chains) {
                const acceptAll = chain.rules.find(acceptsEverything);
                if (chain.policy !== "drop" || acceptAll) {
                    reportViolation(violation(REQUIREMENT, `${command.name}: chain ${chain.name}`, acceptAll ? `accepts every packet ("${acceptAll}")` : `has the policy ${chain.policy}`, "keep policy drop and accept only the flow matrix's flows"), command.urn);
                }
            }
        }
    },
};
