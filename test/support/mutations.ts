// Copies of a captured graph with one thing changed, for the policy pack's mutation tests. A change
// applies to a resource's inputs and outputs alike (resource policies read the first, stack
// policies the second), through secret envelopes.
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import { CapturedResource } from "../../tools/offline/mockEngine";

type Props = Record<string, any>;

/** The value inside a secret envelope, or the value itself. */
export function plain(value: any): any {
    return value && typeof value === "object" && value[specialSigKey] === specialSecretSig ? value.value : value;
}

function clone(resources: readonly CapturedResource[]): CapturedResource[] {
    return resources.map((r) => ({ ...r, inputs: structuredClone(r.inputs), rawInputs: structuredClone(r.rawInputs), rawOutputs: structuredClone(r.rawOutputs) }));
}

function find(resources: CapturedResource[], type: string, nameSuffix: string): CapturedResource {
    const matches = resources.filter((r) => r.type === type && r.name.endsWith(nameSuffix));
    if (matches.length !== 1) throw new Error(`expected one ${type} named *${nameSuffix}, found ${matches.length}`);
    return matches[0];
}

/** The graph with `change` applied to one resource's properties (inputs and outputs). */
export function changed(resources: readonly CapturedResource[], type: string, nameSuffix: string, change: (props: Props) => void): CapturedResource[] {
    const copy = clone(resources);
    const target = find(copy, type, nameSuffix);
    for (const raw of [target.rawInputs, target.rawOutputs]) if (Object.keys(raw).length > 0) change(raw);
    return copy;
}

/** The graph with one resource's options changed. */
export function withOptions(resources: readonly CapturedResource[], type: string, nameSuffix: string, options: Partial<CapturedResource>): CapturedResource[] {
    const copy = clone(resources);
    Object.assign(find(copy, type, nameSuffix), options);
    return copy;
}

/** The graph without one resource. */
export function without(resources: readonly CapturedResource[], type: string, nameSuffix: string): CapturedResource[] {
    const copy = clone(resources);
    const target = find(copy, type, nameSuffix);
    return copy.filter((r) => r !== target);
}

/** The graph with one more resource, built on `template`'s links (parent, provider) with new props. */
export function withResource(resources: readonly CapturedResource[], template: CapturedResource, type: string, name: string, props: Props): CapturedResource[] {
    const urn = template.urn.replace(/::[^:]+::[^:]+$/, `::${type}::${name}`);
    return [...clone(resources), { ...template, type, name, urn, inputs: structuredClone(props), rawInputs: structuredClone(props), rawOutputs: structuredClone(props), dependencies: [] }];
}

/**
 * MySQL moved onto the eLabFTW VM as the program would move it: its Docker provider pointed at the
 * web VM, and what waited for the DB VM's firewall (the platform's `filters.db`) waiting for the web
 * VM's instead.
 */
export function mysqlOnWebVm(resources: readonly CapturedResource[], webHost: string): CapturedResource[] {
    const copy = changed(resources, "pulumi:providers:docker", "-db-docker", (p) => (p.host = webHost));
    for (const r of copy) (r as unknown as { dependencies: string[] }).dependencies = r.dependencies.map((d) => d.replace(/-firewall-db-/, "-firewall-web-").replace(/-db-guest-firewall/, "-web-guest-firewall"));
    return copy;
}
