// Stand-in for the one Proxmox VE API call the program makes itself (the provider is a stand-in
// too): GET /api2/json/nodes/{node}/qemu/{vmid}/agent/file-read?file=..., answered as qemu-server's
// Agent.pm does ({ data: { content, "bytes-read" } }, 403 without the right PVEAPIToken header).
// Every VM's host key file holds the key given in HOST_KEY_LINE; any other file exists (the
// first-boot marker). It cannot know real VMs: it answers for any node and VM id.
// Prints its port on stdout once listening; stops on SIGTERM.
"use strict";
const https = require("node:https");
const { readFileSync } = require("node:fs");

const { API_TOKEN, HOST_KEY_LINE, TLS_KEY, TLS_CERT } = process.env;
const server = https.createServer({ key: readFileSync(TLS_KEY), cert: readFileSync(TLS_CERT) }, (request, response) => {
    const url = new URL(request.url, "https://standin");
    const send = (code, message, body) => {
        response.writeHead(code, message, { "Content-Type": "application/json" });
        response.end(JSON.stringify(body));
    };
    if (request.headers.authorization !== `PVEAPIToken=${API_TOKEN}`) return send(401, "authentication failure", { data: null });
    if (!/^\/api2\/json\/nodes\/[^/]+\/qemu\/\d+\/agent\/file-read$/.test(url.pathname)) return send(501, "not implemented by the stand-in", { data: null });
    const file = url.searchParams.get("file") ?? "";
    const content = /ssh_host_.*\.pub$/.test(file) ? `${HOST_KEY_LINE}\n` : "done\n";
    send(200, "OK", { data: { content, "bytes-read": Buffer.byteLength(content) } });
});
server.listen(0, "127.0.0.1", () => process.stdout.write(`${server.address().port}\n`));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
