// Runs the policy pack's rules over a captured graph the way the policy engine does: resource
// policies get each resource's inputs, stack policies every resource's outputs with parent,
// dependency and provider links; properties go through @pulumi/policy's own deserialiser and its
// unknown-checking proxy, and an access to an unknown value (preview) is what the engine turns into
// a "can't run during preview" note, not a violation.
import { Policies, PolicyResource, PolicyResourceOptions, ResourceValidationArgs, StackValidationArgs } from "@pulumi/policy";
import { CapturedResource } from "./mockEngine";

// The engine-side helpers of @pulumi/policy (marked internal, so not in its type declarations).
const { deserializeProperties } = require("@pulumi/policy/deserialize") as {
    deserializeProperties(struct: { toJavaScript(): unknown }, proxySecrets: boolean): Record<string, any>;
};
const { unknownCheckingProxy, UnknownValueError } = require("@pulumi/policy/proxy") as {
    unknownCheckingProxy<T>(value: T): T;
    UnknownValueError: new (...args: any[]) => Error;
};

export interface Violation {
    readonly policy: string;
    readonly resource: string;
    readonly message: string;
}

export interface Evaluation {
    readonly violations: Violation[];
    /** Policies that met an unknown value (preview), as "policy on resource". */
    readonly skippedInPreview: string[];
}

const props = (raw: Record<string, unknown>) => unknownCheckingProxy(deserializeProperties({ toJavaScript: () => raw }, false));

function options(r: CapturedResource): PolicyResourceOptions {
    return {
        protect: r.protect,
        ignoreChanges: [...r.ignoreChanges],
        deleteBeforeReplace: r.deleteBeforeReplace,
        aliases: [],
        customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
        additionalSecretOutputs: [...r.additionalSecretOutputs],
        parent: r.parent || undefined,
    } as PolicyResourceOptions;
}

const typeChecks = {
    isType: () => false,
    asType: () => undefined,
    notApplicable: (reason?: string): never => {
        throw new Error(`not applicable: ${reason}`);
    },
};

function providerOf(r: CapturedResource, byUrn: Map<string, CapturedResource>) {
    const provider = r.provider ? byUrn.get(r.provider.split("::").slice(0, -1).join("::")) : undefined;
    return provider ? { type: provider.type, urn: provider.urn, name: provider.name, props: props(provider.rawInputs) } : undefined;
}

/** A policy's configuration: its schema's defaults, overridden by `config[policy]`. */
function configOf(policy: Policies[number], config: Record<string, Record<string, unknown>>): Record<string, unknown> {
    const defaults = Object.fromEntries(Object.entries(policy.configSchema?.properties ?? {}).map(([key, schema]) => [key, (schema as { default?: unknown }).default]));
    return { ...defaults, ...(config[policy.name] ?? {}) };
}

export async function evaluate(policies: Policies, resources: readonly CapturedResource[], config: Record<string, Record<string, unknown>> = {}): Promise<Evaluation> {
    const violations: Violation[] = [];
    const skippedInPreview: string[] = [];
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const run = async (policy: Policies[number], subject: string, validate: () => unknown) => {
        try {
            await validate();
        } catch (error) {
            if (error instanceof UnknownValueError) skippedInPreview.push(`${policy.name} on ${subject}`);
            else throw error;
        }
    };

    // Stack policies see every resource's outputs, linked as the engine links them.
    const stackResources: PolicyResource[] = resources.map((r) => ({
        type: r.type,
        props: props(r.rawOutputs),
        urn: r.urn,
        name: r.name,
        opts: options(r),
        provider: providerOf(r, byUrn),
        dependencies: [],
        propertyDependencies: {},
        ...typeChecks,
    })) as PolicyResource[];
    const stackByUrn = new Map(stackResources.map((r) => [r.urn, r]));
    resources.forEach((r, i) => {
        (stackResources[i] as { parent?: PolicyResource }).parent = stackByUrn.get(r.parent);
        (stackResources[i] as { dependencies: PolicyResource[] }).dependencies = r.dependencies.map((d) => stackByUrn.get(d)!).filter(Boolean);
        (stackResources[i] as { propertyDependencies: Record<string, PolicyResource[]> }).propertyDependencies = Object.fromEntries(
            Object.entries(r.propertyDependencies ?? {}).map(([key, urns]) => [key, urns.map((u) => stackByUrn.get(u)!).filter(Boolean)]),
        );
    });

    for (const policy of policies) {
        const getConfig = <T extends object>() => configOf(policy, config) as T;
        if ("validateResource" in policy && policy.validateResource) {
            // As the engine does: every registered resource, components, providers and the stack included.
            for (const r of resources) {
                const args: ResourceValidationArgs = {
                    type: r.type,
                    props: props(r.rawInputs),
                    urn: r.urn,
                    name: r.name,
                    opts: options(r),
                    provider: providerOf(r, byUrn),
                    stackTags: new Map(),
                    getConfig,
                    ...typeChecks,
                };
                for (const validate of [policy.validateResource].flat()) {
                    await run(policy, r.name, () => validate(args, (message) => violations.push({ policy: policy.name, resource: r.name, message })));
                }
            }
        }
        if ("validateStack" in policy && policy.validateStack) {
            const args: StackValidationArgs = { resources: stackResources, stackTags: new Map(), getConfig, ...typeChecks } as unknown as StackValidationArgs;
            await run(policy, "the stack", () =>
                policy.validateStack(args, (message, urn) => violations.push({ policy: policy.name, resource: urn ? byUrn.get(urn)?.name ?? urn : "the stack", message })),
            );
        }
    }
    return { violations, skippedInPreview };
}
