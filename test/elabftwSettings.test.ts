// elabftw-settings.sh, run for real (bash, curl, jq, openssl) as the program sends it, against a
// stateful HTTPS stand-in of eLabFTW's API that enforces the server's rules (test/fixtures).
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ApiStandIn, API_KEY, IMPORTED_ENTITY_ID, keyAndCertificate, RecordedRequest, SMTP_PASSWORD, SP, STACK_PROXY, TS_PASSWORD, wanted, WITH_SECRETS } from "./support/elabftwApi";

const writes = (requests: readonly RecordedRequest[]) => requests.filter((r) => r.method !== "GET");

describe("instance settings applied through eLabFTW's API (stand-in over HTTPS)", () => {
    const api = new ApiStandIn();
    const runs: { stdout: string; stderr: string }[] = [];
    const run = (want: unknown, options?: { keyFile?: string }) => {
        const result = api.run(want, options);
        runs.push(result);
        return result;
    };
    before(() => api.start());
    after(() => api.stop());

    it("applies everything on the first run: config, identity provider, endpoints, signing certificate", () => {
        const want = wanted(WITH_SECRETS);
        const first = run(want);
        assert.equal(first.status, 0, first.stderr);
        const config = api.get("/config") as Record<string, string>;
        for (const [key, value] of Object.entries(want.config as Record<string, string>)) assert.equal(String(config[key]), value, key);
        assert.equal(config.saml_toggle, "1");
        assert.equal(config.local_login_only_sysadmin, "1");
        assert.deepEqual([config.local_login, config.local_login_hidden_only_sysadmin, config.saml_team_default, config.saml_team_create], ["0", "1", "0", "1"]);
        assert.equal(config.email_domain, "lab.example.org,ibcp.lab.example.org");
        assert.equal(config.proxy, `http://${STACK_PROXY}`);
        assert.equal(config.login_announcement, `Use Janus+ &amp; your lab's account; "break-glass" is for the sysadmin only.`);
        const [idp] = api.get("/idps") as any[];
        assert.equal(idp.entityid, "https://idp.lab.example.org/idp/shibboleth");
        assert.equal(idp.enabled, 1);
        assert.deepEqual(idp.endpoints.map((e: any) => [e.is_slo, e.binding, e.location]).sort(), [
            [0, 1, "https://idp.lab.example.org/idp/profile/SAML2/Redirect/SSO"],
            [1, 1, "https://idp.lab.example.org/idp/profile/SAML2/Redirect/SLO"],
        ]);
        assert.equal(idp.certs.length, 1);
        assert.deepEqual(writes(first.requests).map((r) => `${r.method} ${r.path.replace(/\d+/g, "N")}`), [
            "PATCH /config",
            "POST /idps",
            "PATCH /idps/N",
            "POST /idps/N/endpoints",
            "POST /idps/N/endpoints",
            "POST /idps/N/certs",
        ]);
        assert.ok(first.requests.every((r) => r.status < 300), "a request was refused by the stand-in");
    });

    it("sends nothing on a second run with the same settings", () => {
        const second = run(wanted(WITH_SECRETS));
        assert.equal(second.status, 0, second.stderr);
        assert.deepEqual(writes(second.requests), []);
        assert.match(second.stdout, /nothing to change/);
    });

    it("would re-send an announcement with & forever if it compared the text as written (the check can fail)", () => {
        const raw = wanted(WITH_SECRETS);
        raw.config.login_announcement = WITH_SECRETS.loginAnnouncement;
        for (let i = 0; i < 2; i++) assert.deepEqual(writes(run(raw).requests).map((r) => r.body), [{ login_announcement: WITH_SECRETS.loginAnnouncement }]);
        assert.deepEqual(writes(run(wanted(WITH_SECRETS)).requests), []);
    });

    it("sends one PATCH with only the changed setting", () => {
        const changed = run(wanted({ ...WITH_SECRETS, passwordMinLength: "14" }));
        assert.equal(changed.status, 0, changed.stderr);
        const sent = writes(changed.requests);
        assert.equal(sent.length, 1);
        assert.deepEqual([sent[0].method, sent[0].path, sent[0].body], ["PATCH", "/config", { min_password_length: "14" }]);
        assert.match(changed.stdout, /changed min_password_length$/m);
    });

    it("changes a secret that differs (the API returns it decrypted), naming the key only", () => {
        const rotated = run(wanted({ ...WITH_SECRETS, passwordMinLength: "14", smtpPassword: `${SMTP_PASSWORD}-rotated` }));
        assert.equal(rotated.status, 0, rotated.stderr);
        assert.deepEqual(writes(rotated.requests).map((r) => r.body), [{ smtp_password: `${SMTP_PASSWORD}-rotated` }]);
        assert.match(rotated.stdout, /changed smtp_password$/m);
    });

    it("follows a rotated IdP certificate and a moved sign-on endpoint, dropping the old ones", () => {
        const rotated = keyAndCertificate("idp.lab.example.org");
        const overrides = { ...WITH_SECRETS, passwordMinLength: "14", smtpPassword: `${SMTP_PASSWORD}-rotated`, samlIdpCertificate: rotated.cert, samlIdpSsoUrl: "https://idp.lab.example.org/idp/profile/SAML2/Redirect/SSO2" };
        const result = run(wanted(overrides));
        assert.equal(result.status, 0, result.stderr);
        const [idp] = api.get("/idps") as any[];
        assert.deepEqual(idp.endpoints.map((e: any) => e.location).sort(), ["https://idp.lab.example.org/idp/profile/SAML2/Redirect/SLO", "https://idp.lab.example.org/idp/profile/SAML2/Redirect/SSO2"]);
        const der = spawnSync("openssl", ["x509", "-outform", "DER"], { input: rotated.cert }).stdout;
        assert.deepEqual(idp.certs.map((c: any) => c.x509), [der.toString("base64")]);
        assert.deepEqual(writes(result.requests).map((r) => `${r.method} ${r.path.replace(/\d+/g, "N")}`).sort(), ["DELETE /idps/N/certs/N", "DELETE /idps/N/endpoints/N", "POST /idps/N/certs", "POST /idps/N/endpoints"]);
        assert.deepEqual(writes(run(wanted(overrides)).requests), [], "not idempotent after the rotation");
    });

    it("imports an identity provider from its metadata URL, then leaves it alone", () => {
        const metadata = { samlIdpMetadataUrl: "https://idp.example.org/idp/shibboleth", samlIdpEntityId: "", samlIdpSsoUrl: "", samlIdpSloUrl: "", samlIdpCertificate: "" };
        const first = run(wanted(metadata));
        assert.equal(first.status, 0, first.stderr);
        assert.deepEqual(writes(first.requests).map((r) => [r.method, r.path.replace(/\d+/g, "N"), r.body]).filter(([, p]) => p !== "/config"), [
            ["POST", "/idps_sources", { url: "https://idp.example.org/idp/shibboleth" }],
            ["PATCH", "/idps_sources/N", { action: "replace" }],
            ["PATCH", "/idps_sources/N", { action: "validate" }],
        ]);
        assert.deepEqual(writes(run(wanted(metadata)).requests), []);
    });

    it("never resets the config, and never lets a secret reach a command line or its output", () => {
        const all = api.requests();
        assert.ok(!all.some((r) => r.method === "DELETE" && r.path === "/config"));
        const exposed = api.curlCommandLines() + runs.map((r) => r.stdout + r.stderr).join("");
        assert.ok(api.curlCommandLines().includes("--header @"), "the shim recorded no curl call");
        for (const secret of [API_KEY, SMTP_PASSWORD, TS_PASSWORD, SP.key.split("\n")[1]]) {
            assert.ok(!exposed.includes(secret), `a secret reached a command line or the output: ${secret.slice(0, 6)}...`);
        }
    });

    it("stops with the fix when the sysadmin API key is missing, before any request", () => {
        const before = api.requests().length;
        const result = run(wanted(), { keyFile: path.join(api.dir, "absent") });
        assert.equal(result.status, 1);
        assert.match(result.stderr, /no sysadmin API key in .*absent: create a read-write key/);
        assert.equal(api.requests().length, before);
    });

    it("fails on a refused request with the server's message, not its body", () => {
        const result = run({ config: { no_such_setting: "1" }, idp: null });
        assert.equal(result.status, 1);
        assert.match(result.stderr, /PATCH \/config answered HTTP 400: Unknown config key: no_such_setting/);
    });

    it("refuses settings that are not all strings before sending anything", () => {
        const before = api.requests().length;
        const result = run({ config: { login_tries: 3 }, idp: null });
        assert.equal(result.status, 1);
        assert.match(result.stderr, /expected \{"config"/);
        assert.equal(api.requests().length, before);
    });
});

describe("eLabFTW's outgoing calls through the site's proxy (stand-in + CONNECT proxy)", () => {
    const api = new ApiStandIn();
    const metadata = { samlIdpMetadataUrl: "https://idp.example.org/idp/shibboleth", samlIdpEntityId: "", samlIdpSsoUrl: "", samlIdpSloUrl: "", samlIdpCertificate: "" };
    // The same unit with direct egress to its mirrors instead of a proxy: eLabFTW gets no proxy.
    const direct = { httpProxy: "", egressNetworks: JSON.stringify(["10.20.60.0/24"]) };
    before(() => api.start());
    after(() => api.stop());

    it("fails the metadata import when eLabFTW has no proxy and the egress is proxy-only", () => {
        const result = api.run(wanted({ ...metadata, ...direct }));
        assert.equal(result.status, 1);
        assert.match(result.stderr, /PATCH \/idps_sources\/\d+ answered HTTP 400: Error connecting to remote server: https:\/\/idp\.example\.org\/idp\/shibboleth/);
        assert.equal((api.get("/config") as any).proxy, "");
        assert.deepEqual(api.egressLogEntries(), []);
    });

    it("imports the metadata through httpProxy, retrying the import a failed run left undone", () => {
        const result = api.run(wanted(metadata));
        assert.equal(result.status, 0, result.stderr);
        assert.equal((api.get("/config") as any).proxy, `http://${STACK_PROXY}`);
        assert.deepEqual(api.egressLogEntries(), [{ connect: "idp.example.org:443" }, { service: "idp.example.org", method: "GET", path: "/idp/shibboleth" }]);
        const idps = api.get("/idps") as any[];
        assert.deepEqual(idps.map((i) => [i.entityid, i.enabled]), [[IMPORTED_ENTITY_ID, 1]]);
        assert.deepEqual(writes(api.run(wanted(metadata)).requests), []);
    });

    it("timestamps with dfn through httpProxy, and not without it", () => {
        const through = api.call("PATCH", "/experiments/1", { action: "timestamp" });
        assert.equal(through.status, 200, JSON.stringify(through.body));
        assert.deepEqual(api.egressLogEntries().slice(-2), [{ connect: "zeitstempel.dfn.de:443" }, { service: "zeitstempel.dfn.de", method: "POST", path: "/" }]);
        assert.equal(api.run(wanted({ ...metadata, ...direct })).status, 0);
        const without = api.call("PATCH", "/experiments/1", { action: "timestamp" });
        assert.deepEqual([without.status, without.body.message], [400, "Error connecting to remote server: https://zeitstempel.dfn.de"]);
    });
});
