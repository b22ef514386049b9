// Supply chain: on a production stack every image is pulled by tag and registry digest
// (name:tag@sha256:...), so a tag re-pushed upstream, or a registry or mirror that lies, cannot
// change what runs; a test stack may follow the tag alone.
import { StackValidationPolicy } from "@pulumi/policy";
import { isProductionStack, ofType, TYPES } from "./common";

const TAG_AND_DIGEST = /^[a-z0-9][a-z0-9._/-]*:[A-Za-z0-9._-]+@sha256:[0-9a-f]{64}$/;

/** Why `reference` is not pinned by tag and digest, or undefined when it is. */
export function missingDigestProblem(reference: string): string | undefined {
    return TAG_AND_DIGEST.test(reference) ? undefined : `"${reference}" is not pinned by tag and digest (name:tag@sha256:<64 hex>)`;
}

export const productionImageDigests: StackValidationPolicy = {
    name: "production-image-digests",
    description: "On a production stack, every container image is pulled as name:tag@sha256:<digest>.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        if (!isProductionStack(args.resources)) return;
        for (const image of ofType(args.resources, TYPES.remoteImage)) {
            const problem = typeof image.props.name === "string" ? missingDigestProblem(image.props.name) : `${image.name} has no image name`;
            if (problem) {
                reportViolation(`${problem}. Fix: pulumi config set elabftwImageDigest / mysqlImageDigest to the registry digest of that tag (docker buildx imagetools inspect <image>:<tag>).`, image.urn);
            }
        }
    },
};
