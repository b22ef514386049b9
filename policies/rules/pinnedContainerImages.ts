// Hardening: every container image is pinned to an exact release or a digest, so that two runs of
// the same stack deploy the same software and upgrades happen only when the config says so.
import { PolicyResource, StackValidationPolicy, UnknownValueError } from "@pulumi/policy";
import { dockerHostAddress, isApplicationContainer, isDatabaseContainer, knownOrUndefined, ofType, tryKnown, TYPES, unknownObjectValue, vmAddress } from "./common";
import { cloudInitFiles, deployedScripts } from "./deployedText";
import { imagesRunBy } from "../models/dockerCli";
import { daemonConfig } from "../models/dockerContainer";
import { parseImageReference } from "../models/imageReference";

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

/**
 * The image reference a container runs, as far as the stack says: its `image` when known, otherwise
 * (a preview of a container whose image a RemoteImage of the same run pulls) the names of the
 * RemoteImages its `image` comes from. Anything else is reported as what it is.
 */
function containerImages(container: PolicyResource): { references: string[]; otherSources: PolicyResource[] } {
    const image = tryKnown(() => container.props.image);
    if (image.known) return { references: typeof image.value === "string" ? [image.value] : [], otherSources: [] };
    const sources = container.propertyDependencies?.image ?? [];
    // Unknown and from nowhere the stack shows: nothing to decide on yet.
    if (sources.length === 0) throw new UnknownValueError(unknownObjectValue, [container.name, "image"]);
    const pulled = sources.filter((s) => s.type === TYPES.remoteImage);
    return { references: pulled.map((s) => String(s.props.name)), otherSources: sources.filter((s) => s.type !== TYPES.remoteImage) };
}

export const pinnedContainerImages: StackValidationPolicy = {
    name: "pinned-container-images",
    description: "Every image pulled and every container's image is pinned to an exact release (x.y.z) or a sha256 digest; never latest, stable or a major-only tag; no image built for the stack (its base would float); no insecure registry; images the deployment's scripts run with docker run/create/pull or install as plugins pinned too; no registry mirror while an image is pinned by tag only; eLabFTW and MySQL from their publishers' repositories; no ignoreChanges on a container's image or a pulled image's name (a declared release that never runs).",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            exactReleasePattern: { type: "string", default: EXACT_RELEASE, description: "Regular expression a tag must match to count as an exact release." },
        },
    },
    validateStack: (args, reportViolation) => {
        const pattern = args.getConfig<{ exactReleasePattern: string }>().exactReleasePattern;
        const fix = "set the exact release in the stack config (elabftwVersion, mysqlVersion), e.g. 5.6.12 or 8.4.8.";
        for (const image of ofType(args.resources, TYPES.remoteImage)) {
            const problem = unpinnedImageProblem(String(image.props.name), pattern);
            if (problem) reportViolation(`${image.name} pulls ${problem}. Fix: ${fix}`, image.urn);
            // With `build`, the provider builds the image on the VM and only tags it with the name: its
            // content is whatever the Dockerfile's base (and any build argument) resolves to that day.
            const build = tryKnown(() => image.props.build);
            if (build.known && build.value !== undefined && build.value !== null) {
                const { context, buildArgs } = build.value as { context?: string; buildArgs?: Record<string, unknown> };
                const args = Object.entries(buildArgs ?? {}).map(([k, v]) => `${k}=${v}`);
                reportViolation(`${image.name} builds its image on the VM from ${context ?? "a context"}${args.length ? ` (${args.join(", ")})` : ""} and names it ${image.props.name}: the tag is a label on whatever its base resolves to at build time, not the pinned release. Fix: pull the vendor's image by release and digest (no build), and add site files through mounts.`, image.urn);
            }
        }
        // eLabFTW and MySQL come from their publishers' repositories: a mirror or a fork under the same
        // tag is someone else's build, whatever its name says.
        const remoteImages = ofType(args.resources, TYPES.remoteImage);
        for (const container of ofType(args.resources, TYPES.container)) {
            const expected = isApplicationContainer(container.props) ? "elabftw" : isDatabaseContainer(container.props) ? "mysql" : undefined;
            if (!expected) continue;
            const image = tryKnown(() => container.props.image);
            const pulled = [
                ...(container.propertyDependencies?.image ?? []).filter((r) => r.type === TYPES.remoteImage),
                ...(image.known ? remoteImages.filter((r) => knownOrUndefined(() => r.props.imageId) === image.value) : []),
            ];
            for (const source of new Set(pulled)) {
                const name = tryKnown(() => String(source.props.name));
                const family = name.known ? parseImageReference(name.value)?.family : undefined;
                if (name.known && family !== expected && !(expected === "mysql" && family !== undefined)) {
                    reportViolation(`${container.name} runs ${name.value}, which is not ${expected === "elabftw" ? "eLabFTW's image (docker.io/elabftw/elabimg)" : "an official MySQL image (docker.io/library/mysql, container-registry.oracle.com/mysql/community-server)"}: a mirror or a fork under the same tag is another party's build. Fix: pull the publisher's repository (a registry mirror belongs in Docker's registry-mirrors, which still verifies the digest).`, container.urn);
                }
            }
        }
        // A tag pins what a registry serves only if the pull verifies the registry: Docker skips TLS
        // verification (and accepts plain HTTP) for the registries listed as insecure.
        // A registry mirror answers Docker Hub pulls: content under a tag is then the mirror operator's
        // choice, unless the reference carries a digest, which Docker verifies whoever serves it.
        for (const vm of ofType(args.resources, TYPES.vm)) {
            const daemon = daemonConfig(cloudInitFiles(vm, args.resources).get("/etc/docker/daemon.json"));
            const insecure = daemon["insecure-registries"];
            if (Array.isArray(insecure) && insecure.length > 0) {
                reportViolation(`${vm.name}: Docker pulls from ${insecure.join(", ")} without verifying the registry (insecure-registries in /etc/docker/daemon.json): whoever sits on the path serves its own image under the pinned tag. Fix: remove insecure-registries; give Docker the proxy's CA instead (/etc/docker/certs.d or the system trust store).`, vm.urn);
            }
            const mirrors = daemon["registry-mirrors"];
            const onVm = ofType(args.resources, TYPES.remoteImage).filter((r) => dockerHostAddress(r) === vmAddress(vm));
            const tagOnly = onVm.map((r) => knownOrUndefined(() => String(r.props.name))).filter((n): n is string => n !== undefined && !parseImageReference(n)?.digest);
            if (Array.isArray(mirrors) && mirrors.length > 0 && tagOnly.length > 0) {
                reportViolation(`${vm.name}: Docker pulls Docker Hub images through ${mirrors.join(", ")} (registry-mirrors in /etc/docker/daemon.json) while ${tagOnly.join(", ")} ${tagOnly.length > 1 ? "are" : "is"} pinned by tag only: the mirror's operator decides what that tag holds. Fix: remove registry-mirrors, or pin every image by digest (name:tag@sha256:…), which Docker verifies whoever serves it.`, vm.urn);
            }
        }
        // Images the deployment's own scripts and units run (docker run/create/pull), nightly jobs included.
        for (const s of deployedScripts(args.resources)) {
            for (const reference of new Set(imagesRunBy(s.script))) {
                const problem = unpinnedImageProblem(reference, pattern);
                if (problem) reportViolation(`${s.resource.name} (${s.where}) runs ${problem}: whatever that tag holds when the script runs. Fix: ${fix}`, s.resource.urn);
            }
        }
        // ignoreChanges on what names the software keeps the running container (or the pulled image) as it
        // was: a new release, a security fix among them, is declared and never deployed.
        for (const r of [...ofType(args.resources, TYPES.container), ...ofType(args.resources, TYPES.remoteImage)]) {
            const frozen = (r.opts?.ignoreChanges ?? []).filter((p) => /^(image|name|pullTriggers|platform)(\b|$)|^\*$/.test(p));
            if (frozen.length > 0) reportViolation(`${r.name} ignores changes to ${frozen.join(", ")}: a new release in the config (a security fix among them) is pulled or declared but never replaces what runs, so the stack says one version and the VM runs another. Fix: remove ${frozen.join(", ")} from ignoreChanges; an upgrade is a version change followed by pulumi up.`, r.urn);
        }
        for (const built of ofType(args.resources, "docker:index/image:Image")) {
            reportViolation(`${built.name} builds an image for the stack: its content is whatever its base resolves to at build time, not a pinned release. Fix: pull the vendor's image by release and digest with a RemoteImage, and add site files through mounts.`, built.urn);
        }
        for (const container of ofType(args.resources, TYPES.container)) {
            const { references, otherSources } = containerImages(container);
            for (const reference of references) {
                const problem = unpinnedImageProblem(reference, pattern);
                if (problem) reportViolation(`${container.name} runs ${problem}. Fix: ${fix}`, container.urn);
            }
            for (const source of otherSources) {
                reportViolation(`${container.name} runs an image computed by ${source.name} (${source.type}), not one pulled by a pinned RemoteImage. Fix: give the container the imageId of a RemoteImage pinned by release or digest.`, container.urn);
            }
        }
    },
};
