// The VM area: a hardened Proxmox VM with its encrypted data disk, its first-boot user-data, the
// Docker engine reached over SSH, and the way files and scripts reach the guest.
export * from "./cloudInit";
export * from "./dataDisk";
export * from "./dockerHost";
export { knownHostsLine } from "./hostKey";
export * from "./remoteFile";
export * from "./remoteScript";
export * from "./secureVm";
export * from "./tpmSeal";
