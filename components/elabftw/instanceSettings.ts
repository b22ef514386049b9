// The typed instance settings turned into what eLabFTW's API v2 takes: a flat map of config keys to
// string values (PATCH /api/v2/config takes strings only), and the identity provider to register.
// Pure functions: the ElabftwSettings component sends the result, the policies and tests read it.
import { PASSWORD_COMPLEXITY, MFA_LEVELS } from "../config/settingsKeys";
import type { InstanceSettings } from "../config/validate";

/** Config keys eLabFTW stores encrypted with SECRET_KEY, and GET /config returns decrypted. */
export const ENCRYPTED_KEYS = ["smtp_password", "ldap_password", "ts_password", "remote_dir_config", "dspace_password"] as const;

const flag = (on: boolean) => (on ? "1" : "0");

/** The identity provider as the script registers it (manual mode) or imports it (metadata mode). */
export type IdpRequest =
    | { readonly kind: "metadata"; readonly url: string }
    | {
          readonly kind: "manual";
          /** POST /api/v2/idps body. */
          readonly idp: { readonly name: string; readonly entityid: string; readonly email_attr: string; readonly fname_attr: string; readonly lname_attr: string };
          /** POST /api/v2/idps/{id}/endpoints bodies: HTTP-Redirect (binding 1) only, as eLabFTW requires. */
          readonly endpoints: readonly { readonly location: string; readonly binding: 1; readonly is_slo: 0 | 1 }[];
          /** The signing certificate, PEM (POST /api/v2/idps/{id}/certs with purpose 0). */
          readonly certificate: string;
      };

/** The non-secret config keys and values; the SAML service provider's certificate and key come apart. */
export function configValues(settings: InstanceSettings, siteUrl: string, spCertificate?: string): Record<string, string> {
    const values: Record<string, string> = {
        saml_toggle: flag(settings.saml !== undefined),
        // 0 would disable password login for everyone, the break-glass sysadmin included.
        local_auth_enabled: "1",
        // 0 only hides the form: /login.php?letmein still shows it.
        local_login: flag(!settings.localLoginHidden),
        local_login_hidden_only_sysadmin: flag(settings.localLoginHidden),
        local_login_only_sysadmin: flag(settings.localLogin === "sysadmin-only"),
        enforce_mfa: String(MFA_LEVELS.indexOf(settings.mfa)),
        min_password_length: String(settings.password.minLength),
        password_complexity_requirement: String(PASSWORD_COMPLEXITY[settings.password.complexity]),
        max_password_age_days: String(settings.password.maxAgeDays),
        login_tries: String(settings.loginAttempts),
        cookie_validity_time: String(settings.rememberMeMinutes),
        remember_me_allowed: flag(settings.rememberMe),
        emit_audit_logs: flag(settings.auditLogs),
        local_register: flag(settings.localRegistration),
        admins_create_users: flag(settings.adminsCreateUsers),
        anon_users: flag(settings.anonymousUsers),
        // EmailValidator splits on "," and compares the part after @ exactly.
        email_domain: (settings.allowedEmailDomains ?? []).join(","),
        login_announcement: storedText(settings.loginAnnouncement ?? ""),
        // eLabFTW's outgoing calls (IdP metadata, timestamping) use this, never the environment.
        proxy: settings.proxy ?? "",
        ts_authority: settings.timestamping.authority,
    };
    const ts = settings.timestamping;
    if (ts.authority === "custom") Object.assign(values, { ts_url: ts.url!, ts_hash: ts.hash });
    if (ts.login !== undefined) values.ts_login = ts.login;
    if (settings.saml) {
        Object.assign(values, {
            saml_baseurl: siteUrl,
            saml_entityid: settings.saml.spEntityId,
            // Strict validation, everything signed both ways; eLabFTW cannot ask for an authentication
            // context, so FIDO2 (Janus+) is enforced at the identity provider.
            saml_strict: "1",
            saml_wantassertionssigned: "1",
            saml_wantmessagessigned: "0",
            saml_authnrequestssigned: "1",
            saml_logoutrequestsigned: "1",
            saml_logoutresponsesigned: "1",
            saml_signmetadata: "1",
            saml_wantxmlvalidation: "1",
            saml_debug: "0",
            saml_team_default: String(settings.saml.teamDefault),
            saml_team_create: flag(settings.saml.teamCreate),
        });
        if (spCertificate !== undefined) values.saml_x509 = spCertificate;
    }
    if (settings.smtp) {
        Object.assign(values, {
            smtp_address: settings.smtp.host,
            smtp_port: String(settings.smtp.port),
            mail_from: settings.smtp.from,
            smtp_username: settings.smtp.user ?? "",
            smtp_verify_cert: flag(settings.smtp.verifyCert),
        });
    }
    return sortedKeys(values);
}

/** The secret config values: passwords eLabFTW encrypts, and the SAML service provider's key. */
export function secretValues(secrets: { smtpPassword?: string; timestampPassword?: string; samlPrivateKey?: string }): Record<string, string> {
    const values: Record<string, string> = {};
    if (secrets.smtpPassword !== undefined) values.smtp_password = secrets.smtpPassword;
    if (secrets.timestampPassword !== undefined) values.ts_password = secrets.timestampPassword;
    if (secrets.samlPrivateKey !== undefined) values.saml_privatekey = secrets.samlPrivateKey;
    return values;
}

export function idpRequest(settings: InstanceSettings): IdpRequest | undefined {
    const idp = settings.saml?.idp;
    if (!idp) return undefined;
    if (idp.kind === "metadata") return { kind: "metadata", url: idp.metadataUrl };
    return {
        kind: "manual",
        idp: { name: idp.name, entityid: idp.entityId, email_attr: idp.attributes.email, fname_attr: idp.attributes.firstName, lname_attr: idp.attributes.lastName },
        endpoints: [
            { location: idp.ssoUrl, binding: 1, is_slo: 0 },
            ...(idp.sloUrl ? [{ location: idp.sloUrl, binding: 1 as const, is_slo: 1 as const }] : []),
        ],
        certificate: idp.certificate.trim() + "\n",
    };
}

export interface SettingsSecrets {
    readonly spCertificate?: string;
    readonly samlPrivateKey?: string;
    readonly smtpPassword?: string;
    readonly timestampPassword?: string;
}

/** What elabftw-settings.sh reads on stdin: every config value (secrets included) and the IdP. */
export function settingsDocument(settings: InstanceSettings, siteUrl: string, secrets: SettingsSecrets): string {
    return JSON.stringify({
        config: { ...configValues(settings, siteUrl, secrets.spCertificate), ...secretValues(secrets) },
        idp: idpRequest(settings) ?? null,
    });
}

/**
 * A text as eLabFTW stores it: its config PATCH passes the announcements through HTMLPurifier, which
 * escapes & as &amp; in text (the validation refuses < >, entities and control characters). Sending
 * the stored form makes the comparison exact: the purifier leaves its own output unchanged.
 */
export function storedText(text: string): string {
    return text.replace(/&/g, "&amp;");
}

function sortedKeys(values: Record<string, string>): Record<string, string> {
    return Object.fromEntries(Object.entries(values).sort(([a], [b]) => a.localeCompare(b)));
}
