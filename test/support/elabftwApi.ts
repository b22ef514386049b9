// Runs the settings script for real against the eLabFTW API stand-in (test/fixtures), over HTTPS
// with its own CA, with a `curl` shim on PATH that records every command line curl receives. The
// stand-in's outgoing calls reach the outside only through the egress stand-in (a CONNECT proxy
// with the IdP and the timestamping authority behind it), at the example stack's httpProxy address.
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import assert from "node:assert/strict";
import { projectKeys, readStackConfig } from "../../components/config/stackFile";
import { validateConfig } from "../../components/config/validate";
import { settingsDocument } from "../../components/elabftw/instanceSettings";
import { scriptCommand } from "../../components/vm/remoteScript";

export const FIXTURES = path.join(__dirname, "..", "fixtures");
export const API_DATA = path.join(FIXTURES, "elabftw-5.6.12");
export const SITE = "elabftw.test";
/** The example stack's httpProxy (Pulumi.dev.yaml): the stand-in's route to the egress stand-in. */
export const STACK_PROXY = "10.20.60.8:3128";
/** The entity ID in the metadata the egress stand-in serves. */
export const IMPORTED_ENTITY_ID = "https://idp.example.org/idp/shibboleth#served-through-the-proxy";
// The shape of an eLabFTW API key (<id>-<hex>); made up for the test.
export const API_KEY = `2-${"5eed".repeat(21)}`;

export interface RecordedRequest {
    readonly method: string;
    readonly path: string;
    readonly headers: { readonly authorization?: string; readonly "content-type"?: string };
    readonly body?: unknown;
    readonly status: number;
}

export interface ScriptRun {
    readonly status: number | null;
    readonly stdout: string;
    readonly stderr: string;
    /** The requests of this run only. */
    readonly requests: readonly RecordedRequest[];
}

export class ApiStandIn {
    readonly dir = mkdtempSync(path.join(tmpdir(), "elabftw-api-"));
    readonly keyFile = path.join(this.dir, "secrets", "sysadmin-api-key");
    private readonly log = path.join(this.dir, "requests.jsonl");
    private readonly curlLog = path.join(this.dir, "curl-argv.log");
    private readonly egressLog = path.join(this.dir, "egress.jsonl");
    private server?: ChildProcess;
    private egress?: ChildProcess;
    private port = 0;
    private seen = 0;

    async start(): Promise<void> {
        const openssl = (args: string[]) => {
            const result = spawnSync("openssl", args, { cwd: this.dir, encoding: "utf8" });
            if (result.status !== 0) throw new Error(`openssl ${args[0]}: ${result.stderr}`);
        };
        openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=stand-in CA", "-days", "2"]);
        openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "site.key", "-out", "site.csr", "-subj", `/CN=${SITE}`]);
        writeFileSync(path.join(this.dir, "san.ext"), `subjectAltName=DNS:${SITE}\n`);
        openssl(["x509", "-req", "-in", "site.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "site.pem", "-days", "2", "-extfile", "san.ext"]);
        mkdirSync(path.dirname(this.keyFile), { recursive: true });
        writeFileSync(this.keyFile, `${API_KEY}\n`, { mode: 0o600 });
        // curl shim: records its arguments, then runs the real curl.
        const realCurl = spawnSync("sh", ["-c", "command -v curl"], { encoding: "utf8" }).stdout.trim();
        mkdirSync(path.join(this.dir, "path"));
        writeFileSync(path.join(this.dir, "path", "curl"), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${this.curlLog}'\nexec '${realCurl}' "$@"\n`);
        chmodSync(path.join(this.dir, "path", "curl"), 0o755);

        // The outside services' certificate, from the same CA, which the stand-in trusts as eLabFTW trusts public CAs.
        openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "outside.key", "-out", "outside.csr", "-subj", "/CN=outside"]);
        writeFileSync(path.join(this.dir, "outside.ext"), "subjectAltName=DNS:idp.example.org,DNS:tsa.example.org,DNS:zeitstempel.dfn.de\n");
        openssl(["x509", "-req", "-in", "outside.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "outside.pem", "-days", "2", "-extfile", "outside.ext"]);
        const egress = spawn(process.execPath, [path.join(FIXTURES, "egress-standin.js"), "outside.pem", "outside.key", this.egressLog, IMPORTED_ENTITY_ID], { cwd: this.dir, stdio: ["ignore", "pipe", "inherit"] });
        this.egress = egress;
        const proxyPort = await listeningPort(egress);
        const server = spawn(process.execPath, [path.join(FIXTURES, "elabftw-api-standin.js"), "site.pem", "site.key", API_KEY, path.join(API_DATA, "config-keys-from-code.txt"), this.log], {
            cwd: this.dir,
            stdio: ["ignore", "pipe", "inherit"],
            env: { ...process.env, NODE_EXTRA_CA_CERTS: path.join(this.dir, "ca.pem"), STANDIN_ROUTES: JSON.stringify({ [STACK_PROXY]: `127.0.0.1:${proxyPort}` }) },
        });
        this.server = server;
        this.port = await listeningPort(server);
    }

    stop(): void {
        this.server?.kill();
        this.egress?.kill();
    }

    /** What crossed the proxy: CONNECT targets and the requests the outside services received. */
    egressLogEntries(): { connect?: string; service?: string; method?: string; path?: string }[] {
        return existsSync(this.egressLog) ? readFileSync(this.egressLog, "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line)) : [];
    }

    /** Runs elabftw-settings.sh as the program sends it, the wanted settings on stdin. */
    run(want: unknown, options: { keyFile?: string } = {}): ScriptRun {
        const line = scriptCommand("elabftw-settings.sh", ["--name", SITE, "--address", "127.0.0.1", "--port", String(this.port), "--cacert", path.join(this.dir, "ca.pem"), "--key-file", options.keyFile ?? this.keyFile]);
        const result = spawnSync("/bin/sh", ["-c", line.slice("sudo ".length)], {
            input: JSON.stringify(want),
            encoding: "utf8",
            env: { PATH: `${path.join(this.dir, "path")}:${process.env.PATH}`, HOME: this.dir },
        });
        const all = this.requests();
        const requests = all.slice(this.seen);
        this.seen = all.length;
        return { status: result.status, stdout: result.stdout, stderr: result.stderr, requests };
    }

    /** Every request the stand-in received. */
    requests(): RecordedRequest[] {
        return existsSync(this.log) ? readFileSync(this.log, "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line)) : [];
    }

    /** Every command line curl received. */
    curlCommandLines(): string {
        return existsSync(this.curlLog) ? readFileSync(this.curlLog, "utf8") : "";
    }

    /** The stand-in's current state, read through its API as the script would. */
    get(pathName: string): unknown {
        return this.call("GET", pathName).body;
    }

    /** A request of the test's own (what eLabFTW's UI would send), with its HTTP status. */
    call(method: string, pathName: string, body?: unknown): { status: number; body: any } {
        const data = body === undefined ? [] : ["-H", "Content-Type: application/json", "--data-binary", JSON.stringify(body)];
        const result = spawnSync("curl", ["-sS", "-X", method, "--cacert", path.join(this.dir, "ca.pem"), "--resolve", `${SITE}:${this.port}:127.0.0.1`, "-H", `Authorization: ${API_KEY}`, ...data, "-w", "\n%{http_code}", `https://${SITE}:${this.port}/api/v2${pathName}`], { encoding: "utf8" });
        this.seen += 1; // this request is the test's, not the script's
        const cut = result.stdout.lastIndexOf("\n");
        const text = result.stdout.slice(0, cut);
        return { status: Number(result.stdout.slice(cut + 1)), body: text ? JSON.parse(text) : undefined };
    }
}

/** Resolves with the port a fixture prints as "listening <port>". */
function listeningPort(child: ChildProcess): Promise<number> {
    return new Promise<number>((resolve, reject) => {
        child.once("exit", (code) => reject(new Error(`a stand-in exited (${code})`)));
        child.stdout!.on("data", (chunk: Buffer) => {
            const match = /listening (\d+)/.exec(chunk.toString());
            if (match) resolve(Number(match[1]));
        });
    });
}

// Made-up secrets for the test; none may leave stdin.
export const SMTP_PASSWORD = "smtp-Secret-of-the-test-8d1f";
export const TS_PASSWORD = "tsa-Secret-of-the-test-41c2";

/** A throwaway key and certificate: the SAML service provider's, and a rotated IdP certificate. */
export function keyAndCertificate(name: string): { key: string; cert: string } {
    const dir = mkdtempSync(path.join(tmpdir(), "elabftw-sp-"));
    const result = spawnSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "k.pem", "-out", "c.pem", "-subj", `/CN=${name}`, "-days", "2"], { cwd: dir, encoding: "utf8" });
    assert.equal(result.status, 0, result.stderr);
    return { key: readFileSync(path.join(dir, "k.pem"), "utf8"), cert: readFileSync(path.join(dir, "c.pem"), "utf8") };
}
export const SP = keyAndCertificate("elabftw-test.lab.example.org");

/** The settings document of the example stack with these config changes, as the component builds it. */
export function wanted(overrides: Record<string, string> = {}): any {
    const { config, secrets } = validateConfig({ ...projectKeys(readStackConfig()), ...overrides });
    return JSON.parse(
        settingsDocument(config.settings, config.site.siteUrl, {
            spCertificate: SP.cert,
            samlPrivateKey: SP.key,
            smtpPassword: secrets.smtpPassword,
            timestampPassword: secrets.timestampPassword,
        }),
    );
}

/**
 * Every option away from its default, with mail and a timestamping authority that needs credentials
 * (the secrets in play), and an announcement with & and quotes (eLabFTW stores & as &amp;).
 */
export const WITH_SECRETS = {
    loginAnnouncement: `Use Janus+ & your lab's account; "break-glass" is for the sysadmin only.`,
    allowedEmailDomains: JSON.stringify(["lab.example.org", "ibcp.lab.example.org"]),
    localLoginHidden: "true",
    samlTeamDefault: "0",
    samlTeamCreate: "true",
    rememberMe: "true",
    rememberMeMinutes: "60",
    mfaEnforcement: "everyone",
    passwordMaxAgeDays: "365",
    loginAttempts: "3",
    auditLogs: "false",
    localRegistration: "true",
    adminsCreateUsers: "true",
    anonymousUsers: "true",
    smtpHost: "smtp.lab.example.org",
    smtpFrom: "elabftw-noreply@lab.example.org",
    smtpUser: "elabftw",
    smtpPassword: SMTP_PASSWORD,
    extraFlows: JSON.stringify(["allow tcp web -> 10.20.60.25 587 # SMTP relay"]),
    timestampAuthority: "universign",
    timestampLogin: "unit-account",
    timestampPassword: TS_PASSWORD,
};

