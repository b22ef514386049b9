// The ElabftwSettings component in the program's graph (under mocks): it runs after the site is
// healthy, sends every secret through stdin only, and shows the policies no secret value.
import assert from "node:assert/strict";
import { createPrivateKey } from "node:crypto";
import { before, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { CapturedResource, ProgramRun, runProgram, valueOf } from "../tools/offline/mockEngine";
import { SYSADMIN_API_KEY_FILE } from "../components/elabftw/databaseLifecycle";

const COMMAND = "command:remote:Command";
const SMTP_PASSWORD = "smtp-password-of-the-program-test";
const TS_PASSWORD = "tsa-password-of-the-program-test";
const overrides = {
    "elabftw-onprem:smtpHost": "smtp.lab.example.org",
    "elabftw-onprem:smtpFrom": "elabftw-noreply@lab.example.org",
    "elabftw-onprem:smtpUser": "elabftw",
    "elabftw-onprem:smtpPassword": SMTP_PASSWORD,
    "elabftw-onprem:extraFlows": JSON.stringify(["allow tcp web -> 10.20.60.25 587 # SMTP relay"]),
    "elabftw-onprem:timestampAuthority": "universign",
    "elabftw-onprem:timestampLogin": "unit-account",
    "elabftw-onprem:timestampPassword": TS_PASSWORD,
};

let run: ProgramRun;
let apply: CapturedResource;
before(async () => {
    run = await runProgram({ overrides, secretKeys: ["elabftw-onprem:smtpPassword", "elabftw-onprem:timestampPassword"] });
    apply = run.one(COMMAND, "-settings-apply");
});

describe("instance settings in the program", () => {
    it("apply after the HTTPS healthcheck, on the web VM, with the sysadmin API key file", () => {
        assert.ok(apply.dependencies.includes(run.one(COMMAND, "-db-lifecycle-https-healthcheck").urn));
        assert.match(apply.inputs.create, new RegExp(`elabftw-settings\\.sh --name elabftw-test\\.lab\\.example\\.org --address 10\\.20\\.30\\.10 --cacert \\S+ --key-file ${SYSADMIN_API_KEY_FILE.replace(/\//g, "\\/")}$`));
        assert.equal(apply.inputs.delete, undefined, "destroying the stack must not reset the settings");
    });

    it("send the settings, secrets included, through stdin marked secret", () => {
        assert.ok(apply.secretInputs.includes("stdin"));
        const document = JSON.parse(apply.inputs.stdin);
        assert.equal(document.config.smtp_password, SMTP_PASSWORD);
        assert.equal(document.config.ts_password, TS_PASSWORD);
        const spKey = createPrivateKey(document.config.saml_privatekey);
        assert.deepEqual([spKey.asymmetricKeyType, spKey.asymmetricKeyDetails?.modulusLength], ["rsa", 3072]);
        assert.match(document.config.saml_x509, /^-----BEGIN CERTIFICATE-----/);
        assert.equal(document.idp.kind, "manual");
        assert.ok(Object.values(document.config).every((v) => typeof v === "string"));
        for (const secret of [SMTP_PASSWORD, TS_PASSWORD]) assert.ok(!apply.inputs.create.includes(secret));
    });

    it("show the policies the settings without any secret value", () => {
        const component = run.one("elabftw:app:ElabftwSettings", "-settings");
        const shown = JSON.stringify([component.rawInputs, component.rawOutputs]);
        const spKey = JSON.parse(apply.inputs.stdin).config.saml_privatekey as string;
        for (const secret of [SMTP_PASSWORD, TS_PASSWORD, spKey.split("\n")[1]]) assert.ok(!shown.includes(secret), secret.slice(0, 8));
        assert.deepEqual((component.inputs as any).generatedKeys, ["saml_privatekey", "saml_x509", "smtp_password", "ts_password"]);
        assert.equal((component.inputs as any).config.smtp_verify_cert, "1");
    });

    it("generate the SAML service provider's RSA-3072 key, and export its certificate and metadata URL", async () => {
        const key = run.one("tls:index/privateKey:PrivateKey", "-settings-saml-sp-key");
        assert.deepEqual([key.inputs.algorithm, key.inputs.rsaBits], ["RSA", 3072]);
        const certificate = run.outputs.samlServiceProviderCertificate as pulumi.Output<string>;
        assert.match(await valueOf(certificate), /BEGIN CERTIFICATE/);
        assert.equal(await pulumi.isSecret(certificate), false, "the certificate is public: the IdP needs it");
        assert.equal(run.outputs.samlServiceProviderMetadataUrl, "https://elabftw-test.lab.example.org/metadata.php");
    });

    it("give eLabFTW the site's proxy when the egress is proxy-only (the example stack): its outgoing calls read only that", () => {
        const component = run.one("elabftw:app:ElabftwSettings", "-settings");
        assert.equal((component.inputs as any).config.proxy, "http://10.20.60.8:3128");
        assert.equal(JSON.parse(apply.inputs.stdin).config.proxy, "http://10.20.60.8:3128");
    });
});
