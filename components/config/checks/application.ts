// Checks across application keys: certificates, SAML, timestamping and SMTP.
import { TS_AUTHORITIES } from "../settingsKeys";
import { CrossCheck, extraFlows } from "../parsed";
import { keyMatchesCertificate } from "../tlsKeys";
import { isInstitutionalEmailAttribute } from "../../../policies/models/elabftwSettings";

export const APPLICATION_CHECKS: readonly CrossCheck[] = [
    {
        reads: ["certValidityDays", "caValidityDays", "certRenewBeforeDays"],
        check: (c, problem) => {
            if (c.caValidityDays <= c.certValidityDays) problem("caValidityDays", `must be longer than certValidityDays (${c.certValidityDays})`);
            if (c.certRenewBeforeDays * 2 > c.certValidityDays) problem("certRenewBeforeDays", `must be at most half of certValidityDays (${c.certValidityDays})`);
            if (c.certRenewBeforeDays * 4 * 2 > c.caValidityDays) problem("certRenewBeforeDays", `times 4 (the CA's renewal window) must be at most half of caValidityDays (${c.caValidityDays})`);
        },
    },
    {
        reads: ["httpsCertificate", "httpsPrivateKey"],
        check: (c, problem) => {
            if (c.httpsCertificate !== undefined && c.httpsPrivateKey === undefined) problem("httpsPrivateKey", "is required with httpsCertificate");
            if (c.httpsCertificate === undefined && c.httpsPrivateKey !== undefined) problem("httpsCertificate", "is required with httpsPrivateKey");
            if (c.httpsCertificate !== undefined && c.httpsPrivateKey !== undefined && keyMatchesCertificate(c.httpsCertificate, c.httpsPrivateKey) === false) {
                problem("httpsPrivateKey", "is not the key of httpsCertificate's first certificate (nginx would refuse to start): set the pair the CA issued together");
            }
        },
    },
    {
        reads: ["samlEnabled", "samlIdpMetadataUrl", "samlIdpEntityId", "samlIdpSsoUrl", "samlIdpCertificate", "samlIdpSloUrl", "localLogin", "localLoginHidden", "samlEmailAttribute"],
        check: (c, problem) => {
            const manual = (["samlIdpEntityId", "samlIdpSsoUrl", "samlIdpCertificate", "samlIdpSloUrl"] as const).filter((key) => c[key] !== undefined);
            if (!c.samlEnabled) {
                if (c.localLogin !== "everyone") problem("localLogin", "limits local login to the sysadmin while samlEnabled is false: nobody else could log in", "pulumi config set localLogin everyone   # or turn SAML on: pulumi config set samlEnabled true");
                if (c.localLoginHidden) problem("localLoginHidden", "hides the only login form while samlEnabled is false", "pulumi config set localLoginHidden false");
                return;
            }
            if (c.localLoginHidden && c.localLogin !== "sysadmin-only") problem("localLoginHidden", "limits the hidden form to the sysadmin, but localLogin is everyone: set localLogin sysadmin-only", "pulumi config set localLogin sysadmin-only   # or pulumi config set localLoginHidden false");
            if (c.samlIdpMetadataUrl !== undefined) {
                for (const key of manual) problem(key, "is set together with samlIdpMetadataUrl: keep either the metadata URL or the manual samlIdp* keys", `pulumi config rm ${key}   # or pulumi config rm samlIdpMetadataUrl`);
                return;
            }
            for (const key of ["samlIdpEntityId", "samlIdpSsoUrl", "samlIdpCertificate"] as const) {
                if (c[key] === undefined) problem(key, "is required with samlEnabled true when samlIdpMetadataUrl is not set (manual identity provider)");
            }
            // eLabFTW finds the account by this address: one the user chooses lets them claim a colleague's.
            if (!isInstitutionalEmailAttribute(c.samlEmailAttribute)) problem("samlEmailAttribute", `is ${c.samlEmailAttribute}, not the directory's institutional mail: eLabFTW matches accounts on it, so an address users declare themselves would let one log into another's account`, "pulumi config set samlEmailAttribute urn:oid:0.9.2342.19200300.100.1.3");
        },
    },
    {
        reads: ["timestampAuthority", "timestampUrl", "timestampLogin", "timestampPassword"],
        check: (c, problem) => {
            const custom = c.timestampAuthority === "custom";
            if (custom && c.timestampUrl === undefined) problem("timestampUrl", "is required with timestampAuthority custom");
            if (!custom && c.timestampUrl !== undefined) problem("timestampUrl", `is only used with timestampAuthority custom (not ${c.timestampAuthority})`, "pulumi config rm timestampUrl");
            const needsCredentials = TS_AUTHORITIES[c.timestampAuthority];
            for (const key of ["timestampLogin", "timestampPassword"] as const) {
                if (needsCredentials && c[key] === undefined) problem(key, `is required with timestampAuthority ${c.timestampAuthority}`);
                if (!needsCredentials && c.timestampAuthority !== "custom" && c[key] !== undefined) problem(key, `is not used by timestampAuthority ${c.timestampAuthority}`, `pulumi config rm ${key}`);
            }
        },
    },
    {
        reads: ["smtpHost", "smtpFrom", "smtpUser", "smtpPassword", "smtpPort", "extraFlows"],
        check: (c, problem) => {
            if (c.smtpHost === undefined) {
                for (const key of ["smtpFrom", "smtpUser", "smtpPassword"] as const) {
                    if (c[key] !== undefined) problem(key, "is set but smtpHost is not: set smtpHost too, or remove it", `pulumi config rm ${key}   # or pulumi config set smtpHost <relay name>`);
                }
                return;
            }
            if (c.smtpFrom === undefined) problem("smtpFrom", "is required with smtpHost");
            if (c.smtpPassword !== undefined && c.smtpUser === undefined) problem("smtpUser", "is required with smtpPassword");
            // The relay is a name: the flow to its address is the sysadmin's to declare.
            const flows = extraFlows(c.extraFlows);
            if (!flows.some((f) => f.action === "allow" && f.from.includes("web") && f.protocols.includes("tcp") && f.ports.includes(c.smtpPort))) {
                problem(
                    "smtpHost",
                    `has no flow from the web VM to the relay on port ${c.smtpPort}: the firewall would drop eLabFTW's mail`,
                    `pulumi config set --path "extraFlows[${c.extraFlows.length}]" "allow tcp web -> <relay IPv4 address> ${c.smtpPort} # SMTP relay"`,
                );
            }
        },
    },
];
