// What the instance-settings rules share: the settings the instance ends up with (the ElabftwSettings
// component's props, then every write the deployment sends: the settings document on a command's
// stdin, HTTP calls to the config endpoint, SQL on the config table; the last one wins) and this
// product's password baseline.
import { PolicyResource } from "@pulumi/policy";
import { documentWrites, isSettingsDocument, scriptWrites, sqlWrites } from "../models/elabftwSettings";
import { knownOrUndefined, ofType, tryKnown, TYPES } from "./common";
import { deployedScripts } from "./deployedText";

export const SETTINGS_TYPE = "elabftw:app:ElabftwSettings";

export interface SettingsProps {
    readonly config: Readonly<Record<string, string>>;
    /** Keys the component sets whose values are not in the props: secrets, and the generated SAML certificate. */
    readonly generatedKeys: readonly string[];
    readonly idp?: { readonly kind: string };
}

/**
 * The component's settings as it declares them, and, when they differ, as the instance holds them
 * after every write the deployment sends: a rule must hold for both.
 */
export function settingsViews(resource: PolicyResource, resources: readonly PolicyResource[]): SettingsProps[] {
    const props = resource.props as SettingsProps;
    const stdins = ofType(resources, TYPES.command).map((c) => knownOrUndefined(() => c.props.stdin)).filter((s): s is string => typeof s === "string");
    // What the instance holds is what is sent: when the deployment sends a settings document, a key
    // the component declares but the document leaves out keeps the instance's value (eLabFTW's
    // default on a new instance), so the view as sent starts from nothing, not from the props.
    // A preview may not know the document yet (a secret, or built from certificates not yet made):
    // a command of the component with an unknown stdin is taken to send the component's settings.
    // With no document sent at all, the instance keeps its defaults: the view starts from nothing.
    const sendsDocument = stdins.some((s) => isSettingsDocument(s));
    const pending = !sendsDocument && ofType(resources, TYPES.command).some((c) => c.parent?.urn === resource.urn && !tryKnown(() => c.props.stdin).known);
    const config: Record<string, string> = pending ? { ...props.config } : {};
    // The settings document first: the settings step applies it once per change, while any other
    // write (SQL through the mysql client, an API call in a script or a timer) may run after it.
    const writes = [...stdins.flatMap((s) => documentWrites(s)), ...stdins.flatMap(sqlWrites), ...deployedScripts(resources).flatMap((s) => scriptWrites(s.script))];
    for (const [key, value] of writes) config[key] = value;
    const differs = [...Object.keys(config), ...Object.keys(props.config)].some((key) => config[key] !== props.config[key]);
    return differs ? [props, { ...props, config }] : [props];
}

/** How eLabFTW (PHP) reads a stored setting: "" and "0" are off. */
export const phpTruthy = (value: string) => value !== "" && value !== "0";

export const settingsResources = (resources: readonly PolicyResource[]) => resources.filter((r) => r.type === SETTINGS_TYPE);

/**
 * This product's baseline for local passwords (the break-glass sysadmin's, and anyone's when SAML
 * is off), after ANSSI's password recommendations: 12 characters with mixed classes, few attempts
 * before lockout, a second factor at least for the sysadmins.
 */
export const PASSWORD_BASELINE = { minLength: 12, minComplexity: 20, maxLoginTries: 5, minMfa: 1 } as const;
