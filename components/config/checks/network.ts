// Checks across network keys: addresses in their networks, distinct roles, the flow matrix's endpoints.
import { addressInNetwork, isDocumentationAddress, isIpv4, isPublicAddress, isUsableHostIn, networksOverlap } from "../../network/addresses";
import { KeyName } from "../keys";
import { CrossCheck, extraFlows, MATRIX_KEYS, matrixOf, parseBackupTarget, parseProxy } from "../parsed";
import { addressesOf } from "../../network/flowMatrix";
import { DATA_MOUNT } from "../../vm/cloudInit";
// The policy pack's address arithmetic, so that config refuses exactly what the pack would.
import { matrixFloorBreaches } from "../../../policies/models/handOff";
import { AddressSet, contains, covers, describe, INTERNET, intersect, isEmpty, setOf, subtract, toInt, union } from "../../../policies/models/ipv4";

const SEGMENTATION = "CNRS requirement « Pare-feu d'infrastructure capable de segmenter les VM convenablement » (flow matrix row 3: the eLabFTW VM reaches MySQL on 3306/tcp, row 8: nothing else)";
const DB_REQUIREMENT = "CNRS requirement « Pas d'accès depuis l'extérieur » (no access from outside): no packet from the VPN clients or the lab subnet reaches the DB VM";


/** The addresses endpoint names stand for in a stack's matrix; a name it does not define stands for none (reported by its own check). */
function addressesIn(matrix: ReturnType<typeof matrixOf>): (names: readonly string[]) => AddressSet {
    return (names) => {
        try {
            return union(...names.map((name) => setOf(...addressesOf(matrix, name))));
        } catch {
            return [];
        }
    };
}

/** The unit's service hosts the VMs reach, each with the key that gives its address (a host name in backupTarget: none). */
function serviceHosts(c: Parameters<CrossCheck["check"]>[0]): [KeyName, string | undefined][] {
    const target = parseBackupTarget(c.backupTarget);
    return [
        ["filerAddress", c.filerAddress],
        ["syslogAddress", c.syslogAddress],
        ...c.dnsServers.map((address): [KeyName, string] => ["dnsServers", address]),
        ...c.ntpServers.map((address): [KeyName, string] => ["ntpServers", address]),
        ["httpProxy", c.httpProxy ? parseProxy(c.httpProxy).address : undefined],
        ["backupTarget", target.kind === "ssh" && isIpv4(target.host) ? target.host : undefined],
    ];
}

export const NETWORK_CHECKS: readonly CrossCheck[] = [
    ...(["gateway", "webAddress", "dbAddress"] as const).map(
        (key): CrossCheck => ({
            reads: [key, "serverSubnet"],
            check: (c, problem) => {
                if (!isUsableHostIn(c[key], c.serverSubnet)) problem(key, `is not a usable host address inside serverSubnet ${c.serverSubnet}`);
            },
        }),
    ),
    {
        reads: ["webAddress", "dbAddress", "gateway", "edgeFirewallAddress"],
        check: (c, problem) => {
            if (c.webAddress === c.dbAddress) problem("dbAddress", "is the same address as webAddress: the CNRS architecture needs two distinct VMs");
            for (const key of ["webAddress", "dbAddress"] as const) {
                if (c[key] === c.gateway) problem(key, "is the gateway's address");
                if (c[key] === c.edgeFirewallAddress) problem(key, "is the edge firewall's address");
            }
        },
    },
    ...(["labSubnet", "vpnClientRange"] as const).map(
        (key): CrossCheck => ({
            reads: [key, "serverSubnet"],
            check: (c, problem) => {
                if (networksOverlap(c[key], c.serverSubnet)) problem(key, `overlaps serverSubnet ${c.serverSubnet}: ${key === "labSubnet" ? "the lab's users" : "VPN clients"} must sit outside the server segment`);
            },
        }),
    ),
    {
        reads: ["edgeFirewallAddress", "labSubnet"],
        check: (c, problem) => {
            if (addressInNetwork(c.edgeFirewallAddress, c.labSubnet)) problem("edgeFirewallAddress", `is inside labSubnet ${c.labSubnet}`);
        },
    },
    {
        reads: ["egressPublicAddress", "stackKind"],
        check: (c, problem) => {
            if (!isPublicAddress(c.egressPublicAddress) && !(c.stackKind === "test" && isDocumentationAddress(c.egressPublicAddress))) {
                problem("egressPublicAddress", "is not a public unicast address (documentation addresses are accepted on test stacks only)");
            }
        },
    },
    {
        reads: ["httpProxy", "egressNetworks"],
        check: (c, problem) => {
            if (!c.httpProxy && c.egressNetworks.length === 0) {
                problem("httpProxy", "is not set, nor is egressNetworks: the VMs could reach no package mirror or registry (the firewall drops everything else)");
            }
        },
    },
    {
        reads: ["backupTarget"],
        check: (c, problem) => {
            const target = parseBackupTarget(c.backupTarget);
            if (target.kind === "ssh" && !isIpv4(target.host)) problem("backupTarget", `names the host "${target.host}": give its IPv4 address, which the firewall rules need`);
        },
    },
    {
        // A backup is off-VM or it is no backup: a repository on one of the platform's own VMs (or
        // on the loopback, the VM that runs Borg) goes down with the VM and its disks.
        reads: ["backupTarget", "webAddress", "dbAddress"],
        check: (c, problem) => {
            const target = parseBackupTarget(c.backupTarget);
            // A path is a filer mounted on the VMs; under the VMs' own data disk it is no filer.
            if (target.kind === "filer" && (target.path === DATA_MOUNT || target.path.startsWith(`${DATA_MOUNT}/`))) {
                problem("backupTarget", `stores the backups under ${DATA_MOUNT}, each VM's own data disk: they would be lost with it. Give the filer's mounted path or the backup host's ssh:// address`);
            }
            if (target.kind !== "ssh" || !isIpv4(target.host)) return;
            const vm = target.host === c.webAddress ? "webAddress" : target.host === c.dbAddress ? "dbAddress" : addressInNetwork(target.host, "127.0.0.0/8") ? "the loopback" : undefined;
            if (vm) problem("backupTarget", `stores the backups on ${target.host} (${vm}), a VM of this platform: they would be lost with it. Give the off-site backup host's address`);
        },
    },
    {
        reads: ["backupTarget", "backupHostKey"],
        check: (c, problem) => {
            // Borg over SSH trusts only a pinned host key: whoever answers on the address would get the dumps.
            if (parseBackupTarget(c.backupTarget).kind === "ssh" && !c.backupHostKey) problem("backupHostKey", "is not set, and backupTarget is an ssh:// repository: Borg needs the backup host's public host key to verify it");
        },
    },
    {
        reads: ["serverSubnet", "serviceNetworks", "edgeFirewallAddress", "filerAddress", "syslogAddress", "dnsServers", "ntpServers", "httpProxy", "backupTarget"],
        check: (c, problem) => {
            const known = [c.serverSubnet, ...c.serviceNetworks];
            for (const [key, address] of [["edgeFirewallAddress", c.edgeFirewallAddress] as [KeyName, string], ...serviceHosts(c)]) {
                if (address && !known.some((network) => addressInNetwork(address, network))) {
                    problem(key, `holds ${address}, which is in no known network (serverSubnet or serviceNetworks: ${known.join(", ")})`);
                }
            }
        },
    },
    {
        // The VMs open flows toward the service networks (row 4 to the filer, DNS, NTP, syslog, the
        // backups): one that is the users' own segment makes those flows reach the lab or the VPN
        // clients, and puts a service the matrix shields from them (row 6: lab -> filer denied) among them.
        reads: ["serviceNetworks", "labSubnet", "vpnClientRange", "filerAddress", "syslogAddress", "dnsServers", "ntpServers", "httpProxy", "backupTarget", "webAddress", "dbAddress"],
        check: (c, problem) => {
            const users = [["labSubnet", c.labSubnet], ["vpnClientRange", c.vpnClientRange]] as const;
            for (const network of c.serviceNetworks) {
                for (const [name, range] of users) if (networksOverlap(network, range)) problem("serviceNetworks", `${network} overlaps ${name} ${range}: the VMs' flows toward the services (NFS, DNS, NTP, syslog, backups) would reach the users' own machines, which the flow matrix keeps apart from the servers. Give the services' own networks, off the users' segments`);
            }
            for (const [key, address] of serviceHosts(c)) {
                // R2: each VM has its own role; the database VM is dedicated to MySQL (a backup target there: its own check above).
                const vm = address === c.dbAddress ? "the database VM (dbAddress)" : address === c.webAddress ? "the eLabFTW VM (webAddress)" : undefined;
                if (vm && key !== "backupTarget") problem(key, `holds ${address}, ${vm}: a VM of the platform would double as a service host (the flows toward that service end on it), which breaks the CNRS requirement « 2 VM : une Docker/eLabFTW, une base de donnée dédiée ». Give the service's own host`);
                const among = address ? users.find(([, range]) => addressInNetwork(address, range)) : undefined;
                if (among) problem(key, `holds ${address}, inside ${among[0]} ${among[1]}: a service the VMs depend on would sit among the users' machines, where any of them can impersonate or reach it past the flow matrix (row 6: the lab never reaches the filer). Give a host on the servers' or the services' networks`);
            }
        },
    },
    {
        reads: ["extraFlows", "httpProxy", "egressNetworks", "backupTarget"],
        check: (c, problem) => {
            const present = new Set(["vpnClients", "edgeFirewall", "web", "db", "filer", "syslog", "labSubnet", "adminNetwork", "dns", "ntp"]);
            if (c.httpProxy) present.add("proxy");
            if (c.egressNetworks.length) present.add("egressNetworks");
            if (parseBackupTarget(c.backupTarget).kind === "ssh") present.add("backupHost");
            for (const flow of extraFlows(c.extraFlows)) {
                for (const name of [...flow.from, ...flow.to]) {
                    if (!present.has(name) && !/^\d/.test(name)) problem("extraFlows", `${flow.id} names ${name}, which this stack does not define`);
                }
            }
        },
    },

    {
        reads: [...MATRIX_KEYS],
        check: (c, problem) => {
            const addresses = addressesIn(matrixOf(c));
            const forbidden = setOf(c.vpnClientRange, c.labSubnet);
            for (const flow of extraFlows(c.extraFlows)) {
                if (flow.action !== "allow" || !contains(addresses(flow.to), toInt(c.dbAddress))) continue;
                const overlap = intersect(addresses(flow.from), forbidden);
                if (!isEmpty(overlap)) {
                    problem("extraFlows", `${flow.id} ("${flow.from.join(",")} -> ${flow.to.join(",")}") lets ${describe(overlap)} reach the DB VM ${c.dbAddress}, which breaks the ${DB_REQUIREMENT}: remove it (the DBA connects from adminNetwork)`);
                    continue;
                }
                // The paper's matrix toward the database: row 3 (the eLabFTW VM, 3306/tcp), then deny;
                // the admin network is the program's own addition. Anyone else is beyond it.
                const mysqlOnly = flow.protocols.length === 1 && flow.protocols[0] === "tcp" && flow.ports.length > 0 && flow.ports.every((p) => p === 3306);
                const beyond = subtract(addresses(flow.from), union(setOf(c.adminNetwork), mysqlOnly ? setOf(c.webAddress) : []));
                if (!isEmpty(beyond)) {
                    problem("extraFlows", `${flow.id} ("${flow.from.join(",")} -> ${flow.to.join(",")}") lets ${describe(beyond)} reach the DB VM ${c.dbAddress}${mysqlOnly ? "" : " beyond MySQL's 3306/tcp"}, which breaks the ${SEGMENTATION}: only the eLabFTW VM (3306/tcp) and adminNetwork reach the database; remove it or open it from adminNetwork`);
                }
            }
        },
    },
    {
        // The rest of the matrix's floor (rows 1-2 and 6, admin SSH), read as the pack reads the hand-off.
        reads: [...MATRIX_KEYS],
        check: (c, problem) => {
            const addresses = addressesIn(matrixOf(c));
            const endpoints = { lab: setOf(c.labSubnet), vpn: setOf(c.vpnClientRange), admin: setOf(c.adminNetwork), edge: setOf(c.edgeFirewallAddress), web: setOf(c.webAddress), db: setOf(c.dbAddress), filer: setOf(c.filerAddress) };
            const flows = extraFlows(c.extraFlows).filter((f) => f.action === "allow").map((f) => ({
                row: f.id,
                from: addresses(f.from),
                to: addresses(f.to),
                protos: f.protocols.length > 0 ? [...f.protocols] : (["tcp", "udp", "icmp"] as const).slice(),
                ports: f.ports.length > 0 ? f.ports.map((p): [number, number] => [p, p]) : [[1, 65535] as [number, number]],
            }));
            for (const breach of matrixFloorBreaches(flows, endpoints)) {
                problem("extraFlows", `${breach.row} ${breach.rule}, which breaks the ${SEGMENTATION.replace(/ \(flow matrix.*$/, "")} (the flow matrix): remove it`);
            }
        },
    },
    {
        // Syslog over UDP is clear text: the audit trail (users' emails and actions) stays on private networks.
        // The backups leave the VMs' network: a host there (a Proxmox node, another VM) shares their fate.
        reads: ["syslogAddress", "backupTarget", "serverSubnet"],
        check: (c, problem) => {
            if (isIpv4(c.syslogAddress) && isPublicAddress(c.syslogAddress)) problem("syslogAddress", `is the public address ${c.syslogAddress}: every log line, eLabFTW's audit log with users' emails and actions, would cross networks in clear UDP (row 7 is a flow inside the unit): give the unit's syslog server's private address, or a relay's`);
            const target = parseBackupTarget(c.backupTarget);
            if (target.kind === "ssh" && isIpv4(target.host) && addressInNetwork(target.host, c.serverSubnet)) problem("backupTarget", `puts the backups on ${target.host}, inside serverSubnet ${c.serverSubnet} beside the VMs (a Proxmox node or another VM there shares their fate: one fire, one compromise takes both): give a backup host off the server network (the filer, a backup server)`);
        },
    },
    {
        reads: ["egressNetworks"],
        check: (c, problem) => {
            if (c.egressNetworks.length > 0 && covers(setOf(...c.egressNetworks), INTERNET)) {
                problem("egressNetworks", `${c.egressNetworks.join(", ")} add up to the whole Internet, which breaks the CNRS requirement « Pare-feu d'infrastructure capable de segmenter les VM » (default-deny egress): name the mirrors' networks, or use httpProxy`);
            }
        },
    },
];
