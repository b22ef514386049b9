// Hardening: the VMs' OS image is a dated release whose SHA-256/512 the node checks before use.
import { ResourceValidationPolicy } from "@pulumi/policy";

export const DOWNLOAD_TYPES = ["proxmoxve:download/file:File", "proxmoxve:download/fileLegacy:FileLegacy"];

export const verifiedCloudImage: ResourceValidationPolicy = {
    name: "verified-cloud-image",
    description: "Images downloaded to Proxmox come from a dated https URL and are verified against a SHA-256 or SHA-512 checksum.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            checksumAlgorithms: { type: "array", items: { type: "string" }, default: ["sha256", "sha512"], description: "Checksums accepted for downloaded images." },
        },
    },
    validateResource: (args, reportViolation) => {
        if (!DOWNLOAD_TYPES.includes(args.type)) return;
        const { checksumAlgorithms } = args.getConfig<{ checksumAlgorithms: string[] }>();
        const { url, checksum, checksumAlgorithm } = args.props as { url?: string; checksum?: string; checksumAlgorithm?: string };
        if (!url?.startsWith("https://")) reportViolation(`the image URL "${url}" is not https. Fix: use the https address of the image.`);
        if (url && /\/(latest|daily)\//.test(url)) {
            reportViolation(`the image URL "${url}" points at a moving image. Fix: use a dated folder and its SHA512SUMS (cloudImageUrl, cloudImageChecksum).`);
        }
        if (!checksum || !checksumAlgorithms.includes(checksumAlgorithm ?? "")) {
            reportViolation("the image is not verified by a SHA-256 or SHA-512 checksum. Fix: set cloudImageChecksum from the SHA512SUMS file next to the image.");
        }
    },
};
