// Runs on the workstation (a local command of the program): reads a VM's SSH host public key through
// the Proxmox API's guest-agent channel, authenticated by the API token, so that the program knows
// the key before its first SSH connection. Input on stdin (JSON, kept secret by the caller):
// { node, vmId, file, readyFile, endpoint?, apiToken?, insecure?, timeoutSeconds?, retrySeconds? };
// endpoint, apiToken and insecure default to PROXMOX_VE_ENDPOINT, PROXMOX_VE_API_TOKEN and
// PROXMOX_VE_INSECURE, as the Proxmox provider reads them. The token travels in a header, never argv.
// Prints the key as "<type> <base64>" (no comment) on stdout; waits while the guest agent is not up.
"use strict";
const https = require("node:https");

const ACCEPTED_TYPE = "ssh-ed25519";

function fail(message) {
    process.stderr.write(`read-host-key: ${message}\n`);
    process.exit(1);
}

/** GET <endpoint>/api2/json/nodes/<node>/qemu/<vmId>/agent/file-read?file=<file>: { status, body }. */
function fileRead(settings, file) {
    const url = new URL(`api2/json/nodes/${encodeURIComponent(settings.node)}/qemu/${settings.vmId}/agent/file-read`, settings.endpoint);
    url.searchParams.set("file", file);
    return new Promise((resolve) => {
        const request = https.get(
            url,
            { headers: { Authorization: `PVEAPIToken=${settings.apiToken}` }, rejectUnauthorized: !settings.insecure, timeout: 30_000 },
            (response) => {
                let body = "";
                response.setEncoding("utf8");
                response.on("data", (chunk) => (body += chunk));
                response.on("end", () => resolve({ status: response.statusCode, message: response.statusMessage, body }));
            },
        );
        request.on("timeout", () => request.destroy(new Error("no answer within 30 s")));
        request.on("error", (error) => resolve({ status: 0, message: error.message, body: "" }));
    });
}

/** The one key line of an ssh_host_*_key.pub file, or undefined if the content is anything else. */
function hostKeyOf(content) {
    const lines = content.split("\n").filter((line) => line.trim() !== "");
    if (lines.length !== 1) return undefined;
    const [type, blob] = lines[0].trim().split(/ +/);
    if (type !== ACCEPTED_TYPE || !/^[A-Za-z0-9+/]+={0,2}$/.test(blob ?? "")) return undefined;
    const decoded = Buffer.from(blob, "base64");
    // ed25519 wire format: string "ssh-ed25519" (4 + 11 bytes) then string key (4 + 32 bytes).
    if (decoded.length !== 51 || decoded.subarray(4, 15).toString("latin1") !== ACCEPTED_TYPE) return undefined;
    return `${type} ${blob}`;
}

async function main() {
    let input = "";
    for await (const chunk of process.stdin) input += chunk;
    let given;
    try {
        given = JSON.parse(input);
    } catch {
        fail("standard input is not the expected JSON"); // never echo it: it may hold the token
    }
    const settings = {
        ...given,
        endpoint: given.endpoint || process.env.PROXMOX_VE_ENDPOINT,
        apiToken: given.apiToken || process.env.PROXMOX_VE_API_TOKEN,
        insecure: given.insecure ?? process.env.PROXMOX_VE_INSECURE === "true",
    };
    if (!settings.endpoint) fail("no Proxmox API endpoint: set proxmoxve:endpoint or PROXMOX_VE_ENDPOINT");
    if (!settings.apiToken) fail("no Proxmox API token: set PROXMOX_VE_API_TOKEN or pulumi config set --secret proxmoxve:apiToken");
    const deadline = Date.now() + (settings.timeoutSeconds ?? 1200) * 1000;
    const where = `VM ${settings.vmId} on node ${settings.node}`;
    let last = "";
    // cloud-init writes readyFile at the end of the first boot, after it generated the host keys.
    for (const file of [settings.readyFile, settings.file]) {
        for (;;) {
            const { status, message, body } = await fileRead(settings, file);
            if (status === 401 || status === 403) {
                fail(`the API refused the token (${status} ${message}) for ${where}: give its role VM.GuestAgent.FileRead on /vms/${settings.vmId} (Proxmox VE 9; VM.Monitor on 8)`);
            }
            if (status === 200) {
                if (file === settings.readyFile) break;
                let content;
                try {
                    content = JSON.parse(body).data.content;
                } catch {
                    fail(`unexpected answer from ${settings.endpoint} for ${file}`);
                }
                const key = hostKeyOf(String(content));
                if (!key) fail(`${file} of ${where} is not one ${ACCEPTED_TYPE} public key: refusing to pin it`);
                process.stdout.write(key);
                return;
            }
            last = `${status} ${message}`;
            if (Date.now() > deadline) fail(`gave up waiting for the guest agent of ${where} to read ${file} (last answer: ${last})`);
            await new Promise((resolve) => setTimeout(resolve, (settings.retrySeconds ?? 10) * 1000));
        }
    }
}

main().catch((error) => fail(error.message));
