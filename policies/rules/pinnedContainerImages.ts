// Hardening: every container image is pinned to an exact release or a digest, so that two runs of
// the same stack deploy the same software and upgrades happen only when the config says so.
import { ResourceValidationPolicy } from "@pulumi/policy";
import { parseImageReference } from "../models/imageReference";

/** The property that names the image, per resource type of the Docker provider. */
export const IMAGE_PROPERTY: Readonly<Record<string, string>> = {
    "docker:index/container:Container": "image",
    "docker:index/remoteImage:RemoteImage": "name",
};

const EXACT_RELEASE = "^v?\\d+\\.\\d+\\.\\d+([-+._][A-Za-z0-9.]+)?$";

/** Why `reference` is not pinned, or undefined when it is. */
export function unpinnedImageProblem(reference: string, exactRelease = EXACT_RELEASE): string | undefined {
    if (/^sha256:[0-9a-f]{64}$/.test(reference)) return undefined; // an image id: content-addressed
    const image = parseImageReference(reference);
    if (image?.digest && /^sha256:[0-9a-f]{64}$/.test(image.digest)) return undefined; // pinned by digest
    const tag = image?.tag;
    if (!tag) return `"${reference}" has no tag, which means latest`;
    if (!new RegExp(exactRelease).test(tag)) return `"${reference}" uses the moving tag "${tag}"`;
    return undefined;
}

export const pinnedContainerImages: ResourceValidationPolicy = {
    name: "pinned-container-images",
    description: "Container images are pinned to an exact release (x.y.z) or a sha256 digest; never latest, stable or a major-only tag.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            exactReleasePattern: { type: "string", default: EXACT_RELEASE, description: "Regular expression a tag must match to count as an exact release." },
        },
    },
    validateResource: (args, reportViolation) => {
        const property = IMAGE_PROPERTY[args.type];
        const reference = property ? args.props[property] : undefined;
        if (typeof reference !== "string") return;
        const problem = unpinnedImageProblem(reference, args.getConfig<{ exactReleasePattern: string }>().exactReleasePattern);
        if (problem) {
            reportViolation(`${problem}. Fix: set the exact release in the stack config (elabftwVersion, mysqlVersion), e.g. 5.6.12 or 8.4.8.`);
        }
    },
};
