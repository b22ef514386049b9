// What the instance-settings rules share: the ElabftwSettings component's props (the config values
// it applies through eLabFTW's API, secrets left out) and this product's password baseline.
import { PolicyResource } from "@pulumi/policy";

export const SETTINGS_TYPE = "elabftw:app:ElabftwSettings";

export interface SettingsProps {
    readonly config: Readonly<Record<string, string>>;
    /** Keys the component sets whose values are not in the props: secrets, and the generated SAML certificate. */
    readonly generatedKeys: readonly string[];
    readonly idp?: { readonly kind: string };
}

export const settingsProps = (resource: { props: Record<string, any> }): SettingsProps => resource.props as SettingsProps;

export const settingsResources = (resources: readonly PolicyResource[]) => resources.filter((r) => r.type === SETTINGS_TYPE);

/**
 * This product's baseline for local passwords (the break-glass sysadmin's, and anyone's when SAML
 * is off), after ANSSI's password recommendations: 12 characters with mixed classes, few attempts
 * before lockout, a second factor at least for the sysadmins.
 */
export const PASSWORD_BASELINE = { minLength: 12, minComplexity: 20, maxLoginTries: 5, minMfa: 1 } as const;
