// Authentication: a production unit signs its users in through the identity provider (Janus+ for
// the CNRS, with its FIDO2 keys); local passwords remain for the break-glass sysadmin only.
import { StackValidationPolicy } from "@pulumi/policy";
import { isProductionStack, knownOrUndefined, ofType, TYPES } from "./common";
import { idpEmailAttribute, isInstitutionalEmailAttribute } from "../models/elabftwSettings";
import { phpTruthy, settingsResources, settingsViews } from "./instanceSettings";

export const samlSsoOnProduction: StackValidationPolicy = {
    name: "saml-sso-on-production",
    description: "On a production stack, eLabFTW's instance settings are managed, SAML sign-on through the unit's identity provider is on, local login is limited to the break-glass sysadmin, self-registration is off, no other sign-on bypasses the identity provider (no external authentication header, no LDAP login), and the settings resources ignore no change. The identity provider is registered with the directory's institutional mail as the account key.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        if (!isProductionStack(args.resources)) return;
        const settings = settingsResources(args.resources);
        if (settings.length === 0) {
            reportViolation("eLabFTW's instance settings are not managed on this production stack, so nothing enforces SAML sign-on. Fix: keep the ElabftwSettings component of the platform.");
        }
        for (const resource of settings) {
            // A settings resource that ignores changes applies its settings once: later ones never reach eLabFTW.
            for (const r of [resource, ...args.resources.filter((c) => c.parent?.urn === resource.urn)].filter((c) => (c.opts.ignoreChanges ?? []).length > 0)) {
                reportViolation(`${r.name}: ignores changes to ${r.opts.ignoreChanges!.join(", ")} on a production stack: the settings reached eLabFTW once, and a later change (a revoked IdP certificate, a stricter MFA or password policy) never does, while the stack shows it. Fix: remove ignoreChanges from the settings resources.`, r.urn);
            }
            // The attribute eLabFTW matches accounts on must be the address the directory assigns.
            for (const command of ofType(args.resources, TYPES.command)) {
                const stdin = knownOrUndefined(() => command.props.stdin);
                const attribute = typeof stdin === "string" ? idpEmailAttribute(stdin) : undefined;
                if (attribute !== undefined && !isInstitutionalEmailAttribute(attribute)) {
                    reportViolation(`${command.name}: registers the identity provider with the email attribute ${attribute}, not the directory's institutional mail: eLabFTW finds the account by that address, so a user who puts a colleague's address there logs into the colleague's account. Fix: pulumi config set samlEmailAttribute urn:oid:0.9.2342.19200300.100.1.3 (mail).`, command.urn);
                }
            }
            for (const { config, idp } of settingsViews(resource, args.resources)) {
                if (config.saml_toggle !== "1" || !idp) {
                    reportViolation(`${resource.name}: SAML sign-on is off on a production stack. Fix: pulumi config set samlEnabled true, with samlIdpMetadataUrl or the manual samlIdp* keys.`, resource.urn);
                }
                // php-saml's strict mode rejects unsigned or unencrypted responses and those meant for
                // another service provider; off (or unset, php-saml's default false) it accepts them.
                if (config.saml_toggle === "1" && (config.saml_strict === undefined || !phpTruthy(config.saml_strict))) {
                    reportViolation(`${resource.name}: SAML is on without strict mode (saml_strict=${JSON.stringify(config.saml_strict ?? null)}), so the identity provider's responses are accepted unsigned or for another service provider. Fix: keep the settings component's saml_strict "1" (do not override it in a settings write).`, resource.urn);
                }
                if (config.local_login_only_sysadmin !== "1") {
                    reportViolation(`${resource.name}: every user may log in with a local password on a production stack. Fix: pulumi config set localLogin sysadmin-only (the break-glass sysadmin keeps a local login).`, resource.urn);
                }
                // Other ways in that bypass the identity provider and its second factor.
                if (config.extauth_remote_user !== undefined && config.extauth_remote_user.trim() !== "") {
                    reportViolation(`${resource.name}: eLabFTW trusts the request header ${config.extauth_remote_user} to say who is logged in (external authentication) on a production stack: anyone who can send that header (every VPN user, unless a proxy strips it) logs in as whoever they name, without the identity provider. Fix: remove the extauth_* settings; sign-on goes through SAML.`, resource.urn);
                }
                if (config.ldap_toggle !== undefined && phpTruthy(config.ldap_toggle)) {
                    reportViolation(`${resource.name}: LDAP login is on (ldap_toggle=${JSON.stringify(config.ldap_toggle)}) on a production stack: users log in with a directory password alone, without the identity provider's second factor. Fix: remove the ldap_* settings; sign-on goes through SAML.`, resource.urn);
                }
                if (config.local_register !== "0") {
                    reportViolation(`${resource.name}: anyone may register a local account on a production stack. Fix: pulumi config set localRegistration false.`, resource.urn);
                }
            }
        }
    },
};
