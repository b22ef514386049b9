// eLabFTW's instance settings (SAML sign-on, local-login lockdown, MFA, password and session
// policy, timestamping, SMTP) applied through its API v2, on the web VM over SSH once the site is
// healthy, with the sysadmin API key db:install left there. The wanted settings, secrets included,
// reach the script on stdin; the script changes only what differs, so a second `pulumi up` sends
// nothing and a changed setting sends one PATCH.
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import type { InstanceSettings } from "../config";
import { SYSADMIN_API_KEY_FILE } from "./databaseLifecycle";
import { configValues, idpRequest, settingsDocument } from "./instanceSettings";
import { scriptCommand } from "../vm";

/** SAML service-provider certificates are registered at the IdP: long-lived, rotated by hand. */
export const SAML_SP_CERT_DAYS = 3650;

export interface ElabftwSettingsArgs {
    readonly connection: pulumi.Input<command.types.input.remote.ConnectionArgs>;
    readonly settings: InstanceSettings;
    readonly siteUrl: string;
    readonly smtpPassword?: pulumi.Output<string>;
    readonly timestampPassword?: pulumi.Output<string>;
    /** How the web VM reaches its own site: the name, its address, the CA file that verifies it. */
    readonly https: { readonly name: string; readonly address: string; readonly caFile: string };
    /** The site is up and its schema installed. */
    readonly siteHealthy: pulumi.Resource;
    readonly protect: boolean;
}

export class ElabftwSettings extends pulumi.ComponentResource {
    public readonly apply: command.remote.Command;
    /** The service provider's certificate, to register at the identity provider (public). */
    public readonly samlSpCertificate?: pulumi.Output<string>;

    constructor(name: string, args: ElabftwSettingsArgs, opts?: pulumi.ComponentResourceOptions) {
        const { settings } = args;
        const idp = idpRequest(settings);
        // What the policies read: the non-secret values, and which secret keys are managed.
        const managed = configValues(settings, args.siteUrl);
        const secretKeys = [...(args.smtpPassword ? ["smtp_password"] : []), ...(args.timestampPassword ? ["ts_password"] : []), ...(settings.saml ? ["saml_privatekey", "saml_x509"] : [])];
        const props = { config: managed, generatedKeys: secretKeys.sort(), idp: idp ? (idp.kind === "metadata" ? { kind: idp.kind, url: idp.url } : { kind: idp.kind, entityid: idp.idp.entityid }) : undefined };
        super("elabftw:app:ElabftwSettings", name, props, opts);

        let spKey: tls.PrivateKey | undefined;
        if (settings.saml) {
            spKey = new tls.PrivateKey(`${name}-saml-sp-key`, { algorithm: "RSA", rsaBits: 3072 }, { parent: this, protect: args.protect });
            const spCert = new tls.SelfSignedCert(
                `${name}-saml-sp-cert`,
                {
                    privateKeyPem: spKey.privateKeyPem,
                    subject: { commonName: new URL(args.siteUrl).hostname },
                    validityPeriodHours: SAML_SP_CERT_DAYS * 24,
                    allowedUses: ["digital_signature", "key_encipherment"],
                },
                { parent: this },
            );
            this.samlSpCertificate = spCert.certPem;
        }
        const document = pulumi
            .all([this.samlSpCertificate, spKey?.privateKeyPem, args.smtpPassword, args.timestampPassword])
            .apply(([spCertificate, samlPrivateKey, smtpPassword, timestampPassword]) =>
                settingsDocument(settings, args.siteUrl, { spCertificate, samlPrivateKey, smtpPassword, timestampPassword }),
            );
        this.apply = new command.remote.Command(
            `${name}-apply`,
            {
                connection: args.connection,
                create: scriptCommand("elabftw-settings.sh", [
                    "--name", args.https.name,
                    "--address", args.https.address,
                    "--cacert", args.https.caFile,
                    "--key-file", SYSADMIN_API_KEY_FILE,
                ]),
                stdin: pulumi.secret(document),
            },
            { parent: this, dependsOn: [args.siteHealthy] },
        );
        // Stack policies read a component's outputs: they repeat its props.
        this.registerOutputs({ ...props, samlSpCertificate: this.samlSpCertificate });
    }
}
