// The private CA between eLabFTW and MySQL, with @pulumi/tls: an ECDSA P-384 CA, the MySQL server
// certificate (SANs = DB_HOST and the DB VM's address), an operator client certificate for the
// mysql client and the backups, and the site's HTTPS certificate unless the institution provides
// one. Every certificate renews itself on the first `pulumi up` inside its renewal window.
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { isIpv4 } from "../network";

const HOURS_PER_DAY = 24;
/** The CA renews this many times earlier than the certificates it signs. */
export const CA_RENEWAL_FACTOR = 4;
export const OPERATOR_COMMON_NAME = "elabftw-operator";

export interface PrivateCaArgs {
    /** Organisation written into every subject (the unit). */
    readonly organization: string;
    /** DB_HOST first, then other names and addresses of the DB VM. */
    readonly dbNames: readonly string[];
    /** The site's names and addresses (FQDN first). */
    readonly siteNames: readonly string[];
    readonly certValidityDays: number;
    readonly caValidityDays: number;
    readonly renewBeforeDays: number;
    /** The institution's chain and key for the site; when given, no HTTPS certificate is issued. */
    readonly institutionalHttps?: { readonly certificateChain: string; readonly privateKey: pulumi.Input<string> };
    readonly protect: boolean;
}

export interface IssuedCertificate {
    readonly certPem: pulumi.Output<string>;
    /** Secret. */
    readonly privateKeyPem: pulumi.Output<string>;
}

/** Splits names into the DNS names and the IP addresses of a certificate's SANs. */
export function subjectAltNames(names: readonly string[]): { dnsNames: string[]; ipAddresses: string[] } {
    const unique = [...new Set(names)];
    return { dnsNames: unique.filter((n) => !isIpv4(n)), ipAddresses: unique.filter(isIpv4) };
}

export class PrivateCa extends pulumi.ComponentResource {
    public readonly caCertPem: pulumi.Output<string>;
    public readonly mysqlServer: IssuedCertificate;
    public readonly operatorClient: IssuedCertificate;
    /** The site's certificate chain (leaf then CA) and key: issued here or the institution's. */
    public readonly https: IssuedCertificate;

    private readonly caKey: tls.PrivateKey;
    private readonly caCert: tls.SelfSignedCert;

    constructor(private readonly name: string, private readonly args: PrivateCaArgs, opts?: pulumi.ComponentResourceOptions) {
        super("elabftw:pki:PrivateCa", name, {}, opts);
        this.caKey = new tls.PrivateKey(`${name}-ca-key`, { algorithm: "ECDSA", ecdsaCurve: "P384" }, { parent: this, protect: args.protect });
        this.caCert = new tls.SelfSignedCert(
            `${name}-ca`,
            {
                privateKeyPem: this.caKey.privateKeyPem,
                subject: { commonName: `${args.organization} eLabFTW private CA`, organization: args.organization },
                isCaCertificate: true,
                maxPathLength: 0,
                setSubjectKeyId: true,
                allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
                validityPeriodHours: args.caValidityDays * HOURS_PER_DAY,
                earlyRenewalHours: args.renewBeforeDays * CA_RENEWAL_FACTOR * HOURS_PER_DAY,
            },
            { parent: this },
        );
        this.caCertPem = this.caCert.certPem;

        this.mysqlServer = this.issue("mysql-server", args.dbNames[0], args.dbNames, ["digital_signature", "server_auth"]);
        this.operatorClient = this.issue("operator-client", OPERATOR_COMMON_NAME, [], ["digital_signature", "client_auth"]);
        if (args.institutionalHttps) {
            this.https = {
                certPem: pulumi.output(args.institutionalHttps.certificateChain),
                privateKeyPem: pulumi.secret(args.institutionalHttps.privateKey),
            };
        } else {
            const site = this.issue("https", args.siteNames[0], args.siteNames, ["digital_signature", "server_auth"]);
            // Browsers and the reverse proxy get the chain: leaf, then the CA.
            this.https = { certPem: pulumi.concat(site.certPem, this.caCertPem), privateKeyPem: site.privateKeyPem };
        }
        this.registerOutputs({ caCertPem: this.caCertPem });
    }

    private issue(role: string, commonName: string, names: readonly string[], allowedUses: string[]): IssuedCertificate {
        const key = new tls.PrivateKey(`${this.name}-${role}-key`, { algorithm: "ECDSA", ecdsaCurve: "P384" }, { parent: this });
        const request = new tls.CertRequest(
            `${this.name}-${role}-csr`,
            { privateKeyPem: key.privateKeyPem, subject: { commonName, organization: this.args.organization }, ...subjectAltNames(names) },
            { parent: this },
        );
        const cert = new tls.LocallySignedCert(
            `${this.name}-${role}`,
            {
                certRequestPem: request.certRequestPem,
                caPrivateKeyPem: this.caKey.privateKeyPem,
                caCertPem: this.caCert.certPem,
                allowedUses,
                setSubjectKeyId: true,
                validityPeriodHours: this.args.certValidityDays * HOURS_PER_DAY,
                earlyRenewalHours: this.args.renewBeforeDays * HOURS_PER_DAY,
            },
            { parent: this },
        );
        return { certPem: cert.certPem, privateKeyPem: key.privateKeyPem };
    }
}
