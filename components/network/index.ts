// The network area: the flow matrix (the paper's Table 1 as data), the rules rendered from it
// for Proxmox, the guests' nftables and the edge firewall, and the components that apply them.
export * from "./addresses";
export * from "./edgeHandOff";
export * from "./firewallRules";
export * from "./flowMatrix";
export * from "./guestFirewall";
export * from "./proxmoxFirewall";
