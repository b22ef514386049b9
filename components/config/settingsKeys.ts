// Stack config keys of eLabFTW's instance settings (authentication, password and session policy,
// timestamping, SMTP), applied through eLabFTW's API by the ElabftwSettings component. Defaults
// are the secure ones: SAML through the unit's identity provider, local login kept for one
// break-glass sysadmin, MFA for administrators, strong passwords, audit logs on, no self-registration.
import { z } from "zod";
import { weakCertificateKey } from "../../policies/models/certificates";
import type { KeySpec } from "./keys";
import { EMAIL, EMAIL_RULE, ENTITY_ID, HTTPS_URL } from "./grammars";

// These values reach eLabFTW as JSON on the settings script's stdin (never a command line), and keep
// to the safe character sets of grammars.ts all the same.
const httpsUrl = z
    .string()
    .refine((url) => url.startsWith("https://"), { message: "must use https", abort: true })
    .regex(HTTPS_URL, "is not an https URL of a safe character set (letters, digits and . _ ~ / + = : @ % -, & in the query only)");
const domain = /^(?=.{3,253}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/;
/** A login at a remote service: one word of a safe character set. */
const login = z.string().regex(/^[A-Za-z0-9_@+=:.-]{1,255}$/, "must be one word of letters, digits and _ @ + = : . -");
const pemCertificate = z
    .string()
    .regex(/^-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----\s*$/, "is not a PEM certificate")
    // Whoever holds (or factors) a weak signing key signs assertions as the identity provider: anyone's login.
    .superRefine((pem, ctx) => {
        const weak = weakCertificateKey(pem);
        if (weak) ctx.addIssue({ code: "custom", message: `carries ${weak}: whoever factors or steals it signs as the identity provider, for any account; ask the IdP's operators for a certificate with an RSA key of 2048 bits or more (3072 from 2030) or an EC key` });
    });
// A SAML attribute name: an OID URN or a plain attribute name.
const attributeName = z.string().regex(/^[A-Za-z0-9:._/-]{1,255}$/, "is not a SAML attribute name");
// Shown by eLabFTW in HTML: printable text on one line.
const oneLine = (max: number) => z.string().regex(new RegExp(`^[^\\p{Cc}<>]{1,${max}}$`, "u"), `must be one line of at most ${max} characters, without < or > or control characters`);
const domainName = z.string().regex(domain, "is not a lowercase domain name");

/** eLabFTW's timestamping authorities (ts_authority) and whether each needs a login and password. */
export const TS_AUTHORITIES = {
    dfn: false,
    digicert: false,
    sectigo: false,
    globalsign: false,
    universign: true,
    dgn: true,
    evidency: true,
    deltablot: true,
    custom: false,
} as const;
export type TsAuthority = keyof typeof TS_AUTHORITIES;

/** enforce_mfa's values, by name. */
export const MFA_LEVELS = ["off", "sysadmins", "admins", "everyone"] as const;
/** password_complexity_requirement's values (0/10/20/30), by name. */
export const PASSWORD_COMPLEXITY = { none: 0, weak: 10, medium: 20, strong: 30 } as const;

export const SETTINGS_KEYS = {
    samlEnabled: {
        type: "boolean",
        description: "Single sign-on through the unit's SAML identity provider (Janus+ for the CNRS). Required on production stacks (policy saml-sso-on-production).",
        fix: "pulumi config set samlEnabled true   # with samlIdpMetadataUrl, or samlIdpEntityId + samlIdpSsoUrl + samlIdpCertificate",
        schema: z.boolean().default(true),
    },
    samlIdpName: {
        type: "string",
        description: "Name of the identity provider shown on eLabFTW's login page.",
        fix: 'pulumi config set samlIdpName "Janus+ (CNRS)"',
        schema: oneLine(64).default("Janus+ (CNRS)"),
    },
    samlIdpMetadataUrl: {
        type: "string",
        description: "https URL of the identity provider's own SAML metadata (one IdP, not a whole federation): eLabFTW imports it and refreshes it daily. Or give samlIdpEntityId, samlIdpSsoUrl and samlIdpCertificate instead.",
        fix: "pulumi config set samlIdpMetadataUrl https://<idp>/idp/shibboleth   # or the manual samlIdp* keys",
        schema: httpsUrl.optional(),
    },
    samlIdpEntityId: {
        type: "string",
        description: "The identity provider's entity ID (manual mode, without samlIdpMetadataUrl).",
        fix: "pulumi config set samlIdpEntityId https://<idp>/idp/shibboleth",
        schema: z.string().regex(ENTITY_ID, "is not an entity ID (an https URL or a URN of a safe character set)").optional(),
    },
    samlIdpSsoUrl: {
        type: "string",
        description: "The identity provider's single sign-on endpoint, HTTP-Redirect binding (manual mode).",
        fix: "pulumi config set samlIdpSsoUrl https://<idp>/idp/profile/SAML2/Redirect/SSO",
        schema: httpsUrl.optional(),
    },
    samlIdpSloUrl: {
        type: "string",
        description: "The identity provider's single logout endpoint, HTTP-Redirect binding (manual mode, optional).",
        fix: "pulumi config set samlIdpSloUrl https://<idp>/idp/profile/SAML2/Redirect/SLO",
        schema: httpsUrl.optional(),
    },
    samlIdpCertificate: {
        type: "string",
        description: "The identity provider's signing certificate, PEM (manual mode).",
        fix: "pulumi config set samlIdpCertificate < idp-signing.pem",
        schema: pemCertificate.optional(),
    },
    samlEmailAttribute: {
        type: "string",
        description: "SAML attribute holding the user's email (manual mode; default: mail's OID). eLabFTW matches accounts on it, so only the directory's institutional mail is accepted (mail, its OID or its claim URI), never an address users declare themselves (supannMailPerso).",
        fix: "pulumi config set samlEmailAttribute urn:oid:0.9.2342.19200300.100.1.3",
        schema: attributeName.default("urn:oid:0.9.2342.19200300.100.1.3"),
    },
    samlFirstNameAttribute: {
        type: "string",
        description: "SAML attribute holding the first name (manual mode; default: givenName's OID).",
        fix: "pulumi config set samlFirstNameAttribute urn:oid:2.5.4.42",
        schema: attributeName.default("urn:oid:2.5.4.42"),
    },
    samlLastNameAttribute: {
        type: "string",
        description: "SAML attribute holding the last name (manual mode; default: sn's OID).",
        fix: "pulumi config set samlLastNameAttribute urn:oid:2.5.4.4",
        schema: attributeName.default("urn:oid:2.5.4.4"),
    },
    samlSpEntityId: {
        type: "string",
        description: "eLabFTW's entity ID as a SAML service provider, registered at the identity provider. Defaults to siteUrl. Its signing key and certificate are generated by the program.",
        fix: "pulumi config set samlSpEntityId https://<fqdn>",
        schema: httpsUrl.optional(),
    },
    localLogin: {
        type: "string",
        description: "Who may log in with a local eLabFTW password: sysadmin-only (the break-glass sysadmin; everyone else through SAML) or everyone (only without SAML).",
        fix: "pulumi config set localLogin sysadmin-only   # or everyone, when samlEnabled is false",
        schema: z.enum(["sysadmin-only", "everyone"]).default("sysadmin-only"),
    },
    mfaEnforcement: {
        type: "string",
        description: "Who must use eLabFTW's own second factor (also after a SAML login): off, sysadmins, admins (and sysadmins) or everyone.",
        fix: "pulumi config set mfaEnforcement admins",
        schema: z.enum(MFA_LEVELS).default("admins"),
    },
    passwordMinLength: {
        type: "integer",
        description: "Minimum length of local passwords (CNRS baseline of this product: 12).",
        fix: "pulumi config set passwordMinLength 12",
        schema: z.number().int().min(8).max(128).default(12),
    },
    passwordComplexity: {
        type: "string",
        description: "Complexity of local passwords: none, weak, medium or strong (baseline: medium or strong).",
        fix: "pulumi config set passwordComplexity strong",
        schema: z.enum(Object.keys(PASSWORD_COMPLEXITY) as [keyof typeof PASSWORD_COMPLEXITY]).default("strong"),
    },
    passwordMaxAgeDays: {
        type: "integer",
        description: "Days before a local password must be changed (0: never, as ANSSI advises for long passwords).",
        fix: "pulumi config set passwordMaxAgeDays 0",
        schema: z.number().int().min(0).max(3650).default(0),
    },
    loginAttempts: {
        type: "integer",
        description: "eLabFTW's login_tries: more than this many failed local logins in the last minute, from anyone, refuse every local login (the break-glass sysadmin's included) until the minute passes; each attempt also waits one second per recent failure. Rate-limit the login form at the edge (docs/instance-settings.md).",
        fix: "pulumi config set loginAttempts 5",
        schema: z.number().int().min(1).max(20).default(5),
    },
    rememberMeMinutes: {
        type: "integer",
        description: "Lifetime in minutes of eLabFTW's remember-me cookie (cookie_validity_time), set only when rememberMe is true. Not a session length: sessions end when the browser closes or after the image's idle limit (docs/instance-settings.md).",
        fix: "pulumi config set rememberMeMinutes 480",
        schema: z.number().int().min(5).max(43_200).default(480),
    },
    rememberMe: {
        type: "boolean",
        description: "Offer 'remember me' on the login page (a long-lived cookie).",
        fix: "pulumi config set rememberMe false",
        schema: z.boolean().default(false),
    },
    auditLogs: {
        type: "boolean",
        description: "Emit eLabFTW's audit logs (logins, permission changes) to its log output, collected with the VM's logs.",
        fix: "pulumi config set auditLogs true",
        schema: z.boolean().default(true),
    },
    localRegistration: {
        type: "boolean",
        description: "Let anyone create a local account from the login page.",
        fix: "pulumi config set localRegistration false",
        schema: z.boolean().default(false),
    },
    adminsCreateUsers: {
        type: "boolean",
        description: "Let team admins create users (besides the sysadmin and SAML sign-on).",
        fix: "pulumi config set adminsCreateUsers false",
        schema: z.boolean().default(false),
    },
    anonymousUsers: {
        type: "boolean",
        description: "Allow anonymous (not logged in) visitors to see public entries.",
        fix: "pulumi config set anonymousUsers false",
        schema: z.boolean().default(false),
    },
    allowedEmailDomains: {
        type: "array",
        description: "Email domains accepted for new accounts, local or created at a SAML login (eLabFTW's email_domain): the part after @ must equal one of them exactly, so cnrs.fr does not admit ibcp.cnrs.fr; list each. Unset: any.",
        fix: 'pulumi config set --path "allowedEmailDomains[0]" cnrs.fr',
        // An empty list (what Pulumi.yaml declares as the default) means any domain.
        schema: z.array(domainName).max(50).optional(),
    },
    loginAnnouncement: {
        type: "string",
        description: "Text shown on the login page (e.g. how to get help, the break-glass rule). eLabFTW stores it HTML-escaped (& as &amp;); & directly before a letter, digit or # is refused, since eLabFTW's HTML parser may decode it as an entity.",
        fix: 'pulumi config set loginAnnouncement "Connectez-vous avec Janus+."',
        schema: oneLine(500)
            .refine((text) => !/&[a-z0-9#]/i.test(text), "has & directly before a letter, digit or #, which eLabFTW's HTML parser may read as an entity (&copy, &#38;): put a space after &, or write the character itself")
            .optional(),
    },
    samlTeamDefault: {
        type: "integer",
        description: "Team of a user whose SAML assertion names none (saml_team_default): a team id (1 is the team db:install creates), 0 to refuse the login, -1 to let users pick any team at first login.",
        fix: "pulumi config set samlTeamDefault 1",
        schema: z.number().int().min(-1).default(1),
    },
    samlTeamCreate: {
        type: "boolean",
        description: "Create the teams a SAML assertion names when they do not exist (saml_team_create). Off: an identity provider's attributes cannot add teams.",
        fix: "pulumi config set samlTeamCreate false",
        schema: z.boolean().default(false),
    },
    localLoginHidden: {
        type: "boolean",
        description: "Hide the local login form; the break-glass sysadmin reaches it at /login.php?letmein (local_login 0 with local_login_hidden_only_sysadmin 1). Only with samlEnabled.",
        fix: "pulumi config set localLoginHidden true",
        schema: z.boolean().default(false),
    },
    timestampAuthority: {
        type: "string",
        description: `Trusted timestamping authority (RFC 3161) of eLabFTW: ${Object.keys(TS_AUTHORITIES).join(", ")}. universign, dgn, evidency and deltablot need timestampLogin and timestampPassword; custom needs timestampUrl.`,
        fix: "pulumi config set timestampAuthority digicert",
        schema: z.enum(Object.keys(TS_AUTHORITIES) as [TsAuthority]).default("digicert"),
    },
    timestampUrl: {
        type: "string",
        description: "URL of the RFC 3161 service when timestampAuthority is custom.",
        fix: "pulumi config set timestampUrl https://<tsa>/tsr",
        schema: httpsUrl.optional(),
    },
    timestampHash: {
        type: "string",
        description: "Hash algorithm sent to a custom timestamping authority.",
        fix: "pulumi config set timestampHash sha256",
        schema: z.enum(["sha256", "sha384", "sha512"]).default("sha256"),
    },
    timestampLogin: {
        type: "string",
        description: "Login at a timestamping authority that requires one.",
        fix: "pulumi config set timestampLogin <account>",
        schema: login.optional(),
    },
    timestampPassword: {
        type: "string",
        secret: true,
        description: "Password at the timestamping authority. Set it with --secret.",
        fix: "pulumi config set --secret timestampPassword <password>",
        schema: z.string().min(1).max(255).optional(),
    },
    smtpHost: {
        type: "string",
        description: "The unit's mail relay for eLabFTW's notifications and password resets; unset: eLabFTW sends no mail.",
        fix: "pulumi config set smtpHost smtp.lab.example.org",
        schema: z.string().regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/, "is not a fully qualified lowercase host name").optional(),
    },
    smtpPort: {
        type: "integer",
        description: "Port of the mail relay (587 submission with STARTTLS, or 465).",
        fix: "pulumi config set smtpPort 587",
        schema: z.number().int().min(1).max(65_535).default(587),
    },
    smtpFrom: {
        type: "string",
        description: "Sender address of eLabFTW's mail (required with smtpHost).",
        fix: "pulumi config set smtpFrom elabftw-noreply@lab.example.org",
        schema: z.string().regex(EMAIL, EMAIL_RULE).optional(),
    },
    smtpUser: {
        type: "string",
        description: "Login at the mail relay, when it wants one.",
        fix: "pulumi config set smtpUser <account>",
        schema: login.optional(),
    },
    smtpPassword: {
        type: "string",
        secret: true,
        description: "Password at the mail relay (with smtpUser). Set it with --secret; eLabFTW stores it encrypted with SECRET_KEY.",
        fix: "pulumi config set --secret smtpPassword <password>",
        schema: z.string().min(1).max(255).optional(),
    },
    smtpVerifyCert: {
        type: "boolean",
        description: "Verify the mail relay's TLS certificate (required by policy smtp-verifies-certificate).",
        fix: "pulumi config set smtpVerifyCert true",
        schema: z.boolean().default(true),
    },
} satisfies Record<string, KeySpec>;
