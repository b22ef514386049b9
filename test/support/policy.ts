// Runs resource policies of the pack over captured resources, as the policy engine would, and
// collects the violations they report.
import { PolicyResourceOptions, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { CapturedResource } from "./harness";

export interface Violation {
    readonly policy: string;
    readonly resource: string;
    readonly message: string;
}

function validationArgs(resource: CapturedResource): ResourceValidationArgs {
    const opts = {
        protect: resource.protect,
        ignoreChanges: [...resource.ignoreChanges],
        retainOnDelete: resource.retainOnDelete,
        deleteBeforeReplace: resource.deleteBeforeReplace,
        dependencies: [...resource.dependencies],
    } as unknown as PolicyResourceOptions;
    return {
        type: resource.type,
        props: resource.inputs,
        urn: resource.urn,
        name: resource.name,
        opts,
        stackTags: new Map(),
        isType: () => false,
        asType: () => undefined,
        getConfig: <T extends object>() => ({}) as T,
        notApplicable: (reason?: string): never => {
            throw new Error(`not applicable: ${reason}`);
        },
    };
}

export async function violationsOf(policies: readonly ResourceValidationPolicy[], resources: readonly CapturedResource[]): Promise<Violation[]> {
    const found: Violation[] = [];
    for (const policy of policies) {
        const validations = [policy.validateResource ?? []].flat();
        for (const resource of resources.filter((r) => r.custom)) {
            for (const validate of validations) {
                await validate(validationArgs(resource), (message: string) => found.push({ policy: policy.name, resource: resource.name, message }));
            }
        }
    }
    return found;
}

/** A copy of a captured resource with some inputs replaced: one violation per mutated copy. */
export function mutated(resource: CapturedResource, inputs: Record<string, unknown>): CapturedResource {
    return { ...resource, inputs: { ...resource.inputs, ...inputs } };
}
