import { ResourceValidationPolicy } from "@pulumi/policy";
import { pinnedContainerImages } from "./pinnedContainerImages";
import { verifiedCloudImage } from "./verifiedCloudImage";

export { pinnedContainerImages, verifiedCloudImage };

export const rules: ResourceValidationPolicy[] = [pinnedContainerImages, verifiedCloudImage];
