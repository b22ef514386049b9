// Contract: every request the settings script sends (recorded by the stand-in during real runs) is
// checked against eLabFTW 5.6.12's own API description with an OpenAPI validator (openapi-backend),
// and against the server's real rules: its 148 config keys, string values only, Content-Type
// exactly application/json, `Authorization: <id>-<hex>`. Where the description is wrong, the
// corrections below follow the server's code, each with its reason.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import addFormats from "ajv-formats";
import OpenAPIBackend from "openapi-backend";
import { parse } from "yaml";
import { ApiStandIn, API_DATA, RecordedRequest, WITH_SECRETS, wanted } from "./support/elabftwApi";

const SERVER_KEYS = readFileSync(path.join(API_DATA, "config-keys-from-code.txt"), "utf8").split("\n").filter(Boolean);
const IDP_FIELDS = ["name", "entityid", "email_attr", "fname_attr", "lname_attr", "team_attr", "orgid_attr", "orcid_attr", "enabled"];

/** eLabFTW's description, corrected where the 5.6.12 server disagrees. */
function correctedDescription(): any {
    const spec = parse(readFileSync(path.join(API_DATA, "openapi-v2.yaml"), "utf8"));
    const schemas = spec.components.schemas;
    // PATCH /config takes a flat object of strings (Config::patch casts nothing); the description
    // types some keys as integers and lacks 41 of the 148 keys the server creates.
    schemas.config = {
        type: "object",
        additionalProperties: false,
        properties: Object.fromEntries(SERVER_KEYS.map((key) => [key, { type: "string", nullable: true }])),
    };
    // PATCH /idps/{id} takes the fields to change, as strings ("enabled": "1"); the description
    // asks for {"action": "update"} instead.
    spec.paths["/idps/{id}"].patch.requestBody.content["application/json"].schema = {
        type: "object",
        additionalProperties: false,
        minProperties: 1,
        properties: Object.fromEntries(IDP_FIELDS.map((field) => [field, { type: "string" }])),
    };
    // Endpoint binding is the SamlBinding integer (0 HTTP-POST, 1 HTTP-Redirect), as the
    // description's own idp_endpoint schema says; its request body lists URN strings instead.
    const endpoint = spec.paths["/idps/{id}/endpoints"].post.requestBody.content["application/json"].schema;
    endpoint.properties.binding = { type: "integer", enum: [0, 1] };
    endpoint.additionalProperties = false;
    // "int" is not an OpenAPI type.
    schemas.idp.properties.source = { type: "integer", nullable: true };
    return spec;
}

describe("the settings script's requests against eLabFTW's API description", () => {
    const standIn = new ApiStandIn();
    // ajv not strict: the description itself trips strict mode (a required "storage_id" it never defines).
    const api = new OpenAPIBackend({ definition: correctedDescription(), strict: false, ajvOpts: { strict: false }, customizeAjv: (ajv) => addFormats(ajv) });
    let recorded: RecordedRequest[] = [];

    const problemsOf = (request: Pick<RecordedRequest, "method" | "path" | "headers" | "body">): string[] => {
        const req = { method: request.method, path: request.path, headers: { ...request.headers } as Record<string, string>, body: request.body };
        const operation = api.matchOperation(req);
        if (!operation) return [`${request.method} ${request.path} is not in the description`];
        const result = api.validateRequest(req, operation);
        return result.valid ? [] : (result.errors ?? []).map((e) => `${operation.operationId}: ${e.instancePath} ${e.message}`);
    };

    before(async () => {
        await api.init();
        await standIn.start();
        // The sequences of real use: first apply, a changed setting, rotations, metadata import.
        const rotated = { ...WITH_SECRETS, passwordMinLength: "14", samlIdpSsoUrl: "https://idp.lab.example.org/idp/profile/SAML2/Redirect/SSO2" };
        for (const want of [wanted(WITH_SECRETS), wanted(WITH_SECRETS), wanted(rotated), wanted({ samlIdpMetadataUrl: "https://idp.example.org/idp/shibboleth", samlIdpEntityId: "", samlIdpSsoUrl: "", samlIdpSloUrl: "", samlIdpCertificate: "" })]) {
            const run = standIn.run(want);
            assert.equal(run.status, 0, run.stderr);
        }
        recorded = standIn.requests();
    });
    after(() => standIn.stop());

    it("covers every kind of request the script makes", () => {
        const kinds = new Set(recorded.map((r) => `${r.method} ${r.path.replace(/\/\d+/g, "/{id}")}`));
        for (const kind of ["GET /config", "PATCH /config", "GET /idps", "POST /idps", "PATCH /idps/{id}", "POST /idps/{id}/endpoints", "DELETE /idps/{id}/endpoints/{id}", "POST /idps/{id}/certs", "GET /idps_sources", "POST /idps_sources", "PATCH /idps_sources/{id}", "GET /idps_sources/{id}"]) {
            assert.ok(kinds.has(kind), `no ${kind} was recorded`);
        }
    });

    it("sends only requests the description accepts", () => {
        const problems = recorded.flatMap(problemsOf);
        assert.deepEqual(problems, []);
    });

    it("sends PATCH /config with the server's keys and string values only", () => {
        const patches = recorded.filter((r) => r.method === "PATCH" && r.path === "/config");
        assert.ok(patches.length >= 2);
        for (const { body } of patches) {
            for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
                assert.ok(SERVER_KEYS.includes(key), `${key} is not a key of the 5.6.12 server`);
                assert.equal(typeof value, "string", key);
            }
        }
    });

    it("uses the API key header form <id>-<hex> and Content-Type exactly application/json", () => {
        for (const r of recorded) {
            assert.match(r.headers.authorization ?? "", /^\d+-[0-9a-f]+$/, `${r.method} ${r.path}`);
            if (r.body !== undefined) assert.equal(r.headers["content-type"], "application/json", `${r.method} ${r.path}`);
        }
        assert.ok(recorded.every((r) => r.status < 300), "the stand-in refused a request");
    });

    it("would catch a request the server refuses (the checks can fail)", () => {
        const headers = { authorization: "2-abc", "content-type": "application/json" };
        assert.notDeepEqual(problemsOf({ method: "PATCH", path: "/config", headers, body: { login_tries: 3 } }), [], "an integer value");
        assert.notDeepEqual(problemsOf({ method: "PATCH", path: "/config", headers, body: { no_such_key: "1" } }), [], "an unknown key");
        assert.notDeepEqual(problemsOf({ method: "POST", path: "/idps", headers, body: { name: "x", email_attr: "mail" } }), [], "an IdP without entity ID");
        assert.notDeepEqual(problemsOf({ method: "POST", path: "/idps/3/endpoints", headers, body: { location: "https://idp/sso", binding: "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect", is_slo: 0 } }), [], "a URN binding");
        assert.notDeepEqual(problemsOf({ method: "PATCH", path: "/idps/3", headers, body: { enabled: 1 } }), [], "an integer IdP field");
        assert.notDeepEqual(problemsOf({ method: "POST", path: "/no/such/route", headers, body: {} }), [], "an unknown route");
    });
});
