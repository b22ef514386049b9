// Variants of the example stack that several test files run.

export const IMAGE_URL = "https://cloud.debian.org/images/cloud/trixie/20261101-2300/debian-13-generic-amd64-20261101-2300.qcow2";
export const IMAGE_SHA512 = "0123456789abcdef".repeat(8);

/** Pulumi.dev.yaml turned into a production stack with a downloaded, checksummed image. */
export const PRODUCTION_OVERRIDES: Record<string, string | undefined> = {
    "elabftw-onprem:stackKind": "production",
    "elabftw-onprem:egressPublicAddress": "147.210.1.25",
    "elabftw-onprem:cloudImageUrl": IMAGE_URL,
    "elabftw-onprem:cloudImageChecksum": IMAGE_SHA512,
    "elabftw-onprem:cloudImageVolume": undefined,
    // Made-up digests of the right shape (tests only: no registry here to read the real ones).
    "elabftw-onprem:elabftwImageDigest": `sha256:${"e1ab".repeat(16)}`,
    "elabftw-onprem:mysqlImageDigest": `sha256:${"5a1d".repeat(16)}`,
};

/** Two nodes, the DB VM on the second. */
export const TWO_NODES: Record<string, string> = { "elabftw-onprem:clusterNodes": JSON.stringify(["pve1", "pve2"]), "elabftw-onprem:dbNode": "pve2" };

/** HA on Ceph: RBD for the volumes, CephFS for snippets and the image, both declared shared. */
export const HA_ON_SHARED_STORAGE: Record<string, string> = {
    ...TWO_NODES,
    "elabftw-onprem:highAvailability": "true",
    "elabftw-onprem:datastores": JSON.stringify(["ceph-crypt=os,data,efi,tpm,cloudinit", "cephfs=snippets,import"]),
    "elabftw-onprem:sharedDatastores": JSON.stringify(["ceph-crypt", "cephfs"]),
};
