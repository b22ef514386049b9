// Proxmox firewall macros (pve-firewall's $pve_fw_macros), the ones a rule toward a web
// application, a database or the services around them would use, with what each expands to.
// Proxmox looks macro names up case-insensitively. A macro missing here matches "maybe".
export interface MacroRule {
    readonly proto: "tcp" | "udp" | "icmp";
    readonly dport?: string;
}

const tcp = (dport: string): MacroRule => ({ proto: "tcp", dport });
const udp = (dport: string): MacroRule => ({ proto: "udp", dport });

const TABLE: Record<string, readonly MacroRule[]> = {
    DNS: [udp("53"), tcp("53")],
    FTP: [tcp("21")],
    HTTP: [tcp("80")],
    HTTPS: [tcp("443")],
    IMAP: [tcp("143")],
    IMAPS: [tcp("993")],
    LDAP: [tcp("389")],
    LDAPS: [tcp("636")],
    MySQL: [tcp("3306")],
    NFS: [tcp("111"), udp("111"), tcp("2049"), udp("2049")],
    NTP: [udp("123")],
    OpenVPN: [udp("1194")],
    Ping: [{ proto: "icmp", dport: "echo-request" }],
    POP3: [tcp("110")],
    POP3S: [tcp("995")],
    PostgreSQL: [tcp("5432")],
    RDP: [tcp("3389")],
    Rsync: [tcp("873")],
    SMB: [udp("135,445"), udp("137:139"), udp("1024:65535"), tcp("135,139,445")],
    SMTP: [tcp("25")],
    SMTPS: [tcp("465")],
    SNMP: [udp("161:162"), tcp("161")],
    SSH: [tcp("22")],
    Squid: [tcp("3128")],
    Submission: [tcp("587")],
    Syslog: [udp("514"), tcp("514")],
    Telnet: [tcp("23")],
    TFTP: [udp("69")],
    VNC: [tcp("5900:5999")],
    Web: [tcp("80"), tcp("443")],
    Webcache: [tcp("8080")],
    Webmin: [tcp("10000")],
};

export const MACROS: Readonly<Record<string, readonly MacroRule[]>> = Object.fromEntries(Object.entries(TABLE).map(([name, rules]) => [name.toLowerCase(), rules]));
