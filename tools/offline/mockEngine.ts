// The offline engine: runs the real index.ts under Pulumi mocks with a stack's config and captures
// every registered resource (type, name, parent, inputs with secret inputs marked, outputs, options,
// dependencies, provider, timings). Used by the tests, the benchmark and the compliance report.
// One program run per process: Pulumi's runtime state is global.
import * as pulumi from "@pulumi/pulumi";
import { deserializeProperties, specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import { getMonitor } from "@pulumi/pulumi/runtime/settings";
import { readStackConfig } from "../../components/config/stackFile";
import { tlsStandIn } from "./tlsStandIn";
import { defuseAsciiSafeKey } from "../../components/pki/defuseKey";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

/** The image id the mocks give a pulled image: a stand-in for the registry's content hash. */
export const MOCK_IMAGE_ID = (name: string) => `sha256:${createHash("sha256").update(name).digest("hex")}`;

/** The host key the mocks give a VM's host-key reader: "ssh-ed25519 <blob>", 32 key bytes from the name. */
export const MOCK_HOST_KEY = (name: string) => {
    const field = (bytes: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, bytes.length]), bytes]);
    return `ssh-ed25519 ${Buffer.concat([field(Buffer.from("ssh-ed25519")), field(createHash("sha256").update(name).digest())]).toString("base64")}`;
};

export interface CapturedResource {
    readonly type: string;
    readonly name: string;
    readonly urn: string;
    readonly parent: string;
    readonly custom: boolean;
    /** Inputs as the provider receives them (secrets unwrapped). */
    readonly inputs: Record<string, any>;
    /** Top-level input names whose value is marked secret. */
    readonly secretInputs: readonly string[];
    readonly protect: boolean;
    readonly retainOnDelete: boolean;
    readonly deleteBeforeReplace: boolean;
    readonly ignoreChanges: readonly string[];
    /** The `import` option: the id of an existing resource the engine adopts ("" when none). */
    readonly importId: string;
    readonly additionalSecretOutputs: readonly string[];
    readonly dependencies: readonly string[];
    /** Per input, the resources its value comes from (the engine's propertyDependencies). */
    readonly propertyDependencies: Readonly<Record<string, readonly string[]>>;
    /** The provider reference ("<urn>::<id>"), as the engine records it. */
    readonly provider: string;
    /** Inputs and outputs as serialised on the wire (secrets and unknowns as their signatures). */
    readonly rawInputs: Record<string, unknown>;
    rawOutputs: Record<string, unknown>;
    /** When the registration reached the engine, and when the engine answered (ms, performance clock). */
    readonly startedAt: number;
    endedAt: number;
}

/** Runtime state a refresh reads from the cluster: the guest agent's interfaces, the node HA moved a VM to. */
export interface ReportedState {
    readonly agentMacAddresses?: readonly string[];
    readonly nodeName?: string;
}

export interface ProgramRun {
    readonly resources: readonly CapturedResource[];
    readonly outputs: Record<string, unknown>;
    /** Values the mocks generated for random secrets: none may appear in a plaintext place. */
    readonly generatedSecrets: readonly string[];
    /** The value the mocks gave the RandomPassword whose name ends with `nameSuffix`. */
    passwordOf(nameSuffix: string): string;
    ofType(type: string): CapturedResource[];
    one(type: string, nameSuffix: string): CapturedResource;
    /** The HOME the program ran with: a scratch folder, where it writes the VMs' pinned known_hosts. */
    readonly home: string;
}

function containsSecret(value: unknown): boolean {
    if (value === null || typeof value !== "object") return false;
    if ((value as Record<string, unknown>)[specialSigKey] === specialSecretSig) return true;
    return Object.values(value as Record<string, unknown>).some(containsSecret);
}

/** Every resource registered by this process's program run, even one that failed half-way. */
export const captured: CapturedResource[] = [];

/** Resolves an Output in a test (not in preview: every value is known). */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply((value) => resolve(value)));
}

/** The HOMEs the runs made (each holds the pinned known_hosts): removed when the process exits. */
const runHomes: string[] = [];
function newRunHome(): string {
    if (runHomes.length === 0) process.once("exit", () => runHomes.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
    const home = mkdtempSync(path.join(tmpdir(), "elabftw-offline-home-"));
    runHomes.push(home);
    return home;
}

/** `overrides` replaces keys of the stack file; an undefined value removes the key. */
export async function runProgram(
    options: {
        stackFile?: string;
        overrides?: Record<string, string | undefined>;
        secretKeys?: string[];
        preview?: boolean;
        /** Every custom resource takes this long to create (the benchmark's simulated provider). */
        latencyMs?: number;
        /** Generated values derived from names and inputs instead of random: two runs give the same state. */
        deterministic?: boolean;
        /** What the provider reads back from a running cluster on refresh, unlike the inputs. */
        reported?: ReportedState;
    } = {},
): Promise<ProgramRun> {
    const config: Record<string, string> = readStackConfig(options.stackFile);
    for (const [key, value] of Object.entries(options.overrides ?? {})) {
        if (value === undefined) delete config[key];
        else config[key] = value;
    }
    pulumi.runtime.setAllConfig(config, options.secretKeys ?? []);
    // The program writes the VMs' pinned known_hosts under $HOME (vm/hostKey.ts): never the user's own.
    const home = newRunHome();
    const userHome = process.env.HOME;
    process.env.HOME = home;

    const generatedSecrets: string[] = [];
    const secretsByName = new Map<string, string>();
    let counter = 0;
    await pulumi.runtime.setMocks(
        {
            async newResource(args) {
                if (options.latencyMs && args.custom) await new Promise((resolve) => setTimeout(resolve, options.latencyMs));
                // A preview knows the inputs only: ids and computed outputs stay unknown.
                if (options.preview) return { id: "", state: { ...args.inputs } };
                const tls = options.deterministic ? deterministicTls(args.type, args.name, unwrapSecrets(args.inputs)) : await tlsStandIn(args.type, unwrapSecrets(args.inputs));
                if (tls) {
                    for (const field of ["privateKeyPem", "privateKeyOpenssh"]) if (typeof tls[field] === "string") generatedSecrets.push(tls[field] as string);
                    return { id: `${args.name}-id`, state: tls };
                }
                const state: Record<string, unknown> = { ...args.inputs };
                let id = `${args.name}-id`;
                switch (args.type) {
                    case "random:index/randomBytes:RandomBytes": {
                        const bytes = options.deterministic ? createHash("sha256").update(args.name).digest().subarray(0, args.inputs.length) : randomBytes(args.inputs.length);
                        state.hex = bytes.toString("hex");
                        state.base64 = bytes.toString("base64");
                        // The bytes, and the SECRET_KEY the program derives from them.
                        generatedSecrets.push(state.hex as string, defuseAsciiSafeKey(state.hex as string));
                        break;
                    }
                    case "random:index/randomPassword:RandomPassword": {
                        // Unique, recognisable, of the requested length; the digest part keeps it unique when cut.
                        const digest = createHash("sha256").update(args.name).digest("hex");
                        // Only digits and overrideSpecial (the SECRET_KEY's hex digits): random hex, as the real provider would draw.
                        const hexOnly = args.inputs.upper === false && args.inputs.lower === false && args.inputs.overrideSpecial === "abcdef";
                        const hex = (options.deterministic ? `${digest}${digest}` : randomBytes(64).toString("hex")).slice(0, args.inputs.length ?? 32);
                        const secret = hexOnly ? hex : `Mock${String(++counter).padStart(3, "0")}${digest}${digest}`.slice(0, args.inputs.length ?? 32);
                        generatedSecrets.push(secret);
                        // The SECRET_KEY the program derives from the hex digits is a secret too.
                        if (hexOnly && secret.length === 64) generatedSecrets.push(defuseAsciiSafeKey(secret));
                        secretsByName.set(args.name, secret);
                        state.result = secret;
                        break;
                    }
                    case "command:local:Command":
                        // The VM's SSH host key as read through the guest agent: a well-formed ed25519 line.
                        if (args.name.endsWith("-host-key")) state.stdout = MOCK_HOST_KEY(args.name);
                        break;
                    case "docker:index/remoteImage:RemoteImage":
                        state.imageId = MOCK_IMAGE_ID(args.inputs.name);
                        break;
                    case "proxmoxve:index/vmLegacy:VmLegacy": {
                        id = String(args.inputs.vmId);
                        // Proxmox gives a NIC without one a MAC in its BC:24:11 range, kept in the VM's config.
                        const configured = (nic: number) => `BC:24:11:${createHash("sha256").update(`${args.name}/${nic}`).digest("hex").slice(0, 6).match(/../g)!.join(":").toUpperCase()}`;
                        state.networkDevices = (args.inputs.networkDevices ?? []).map((nic: Record<string, unknown>, i: number) => ({ ...nic, macAddress: nic.macAddress ?? configured(i) }));
                        // bpg reads macAddresses from the guest agent: every interface of the guest.
                        state.macAddresses = options.reported?.agentMacAddresses ?? ["00:00:00:00:00:00", ...(state.networkDevices as { macAddress: string }[]).map((nic) => nic.macAddress)];
                        if (options.reported?.nodeName) state.nodeName = options.reported.nodeName;
                        break;
                    }
                    case "proxmoxve:index/fileLegacy:FileLegacy":
                        id = `${args.inputs.datastoreId}:snippets/${args.inputs.sourceRaw.fileName}`;
                        break;
                    case "proxmoxve:download/file:File":
                        id = `${args.inputs.datastoreId}:import/${args.inputs.fileName}`;
                        break;
                }
                return { id, state };
            },
            call: (args) => args.inputs,
        },
        "elabftw-onprem",
        "dev",
        options.preview ?? false,
    );

    const pending: Promise<unknown>[] = [];
    const failures: string[] = [];
    const monitor = getMonitor() as any;
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, callback: (err: unknown, response: any) => void) => {
        const raw = req.getObject()?.toJavaScript() ?? {};
        const startedAt = performance.now();
        let done!: () => void;
        pending.push(new Promise<void>((resolve) => (done = resolve)));
        register(req, (err: unknown, response: any) => {
            if (err) failures.push(`${req.getType()} ${req.getName()}: ${String(err)}`);
            else {
                captured.push({
                    type: req.getType(),
                    name: req.getName(),
                    urn: response.getUrn(),
                    parent: req.getParent(),
                    custom: req.getCustom(),
                    inputs: unwrapSecrets(deserializeProperties(req.getObject())),
                    secretInputs: Object.keys(raw).filter((key) => containsSecret(raw[key])),
                    protect: req.getProtect(),
                    retainOnDelete: req.getRetainondelete(),
                    deleteBeforeReplace: req.getDeletebeforereplace(),
                    ignoreChanges: req.getIgnorechangesList(),
                    importId: req.getImportid(),
                    additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
                    provider: req.getProvider(),
                    rawInputs: raw,
                    rawOutputs: {},
                    startedAt,
                    endedAt: performance.now(),
                    dependencies: req.getDependenciesList(),
                    propertyDependencies: propertyDependenciesOf(req),
                });
            }
            callback(err, response);
            done();
        });
    };

    // The SDK takes a stack trace for every promise and resource it makes (leak reports, source
    // positions the mocks ignore); tsx's source maps make each one cost ~1 ms of mapping, a third of a
    // second per run. Off while the program runs, back on for whatever the caller does next.
    const sourceMaps = process.sourceMapsEnabled;
    process.setSourceMapsEnabled(false);
    let program: Record<string, unknown>;
    try {
        program = await import("../../index");
        // Wait until every registration, including those started by earlier ones, has completed.
        for (let seen = -1; seen !== pending.length; ) {
            seen = pending.length;
            await Promise.all(pending);
            await new Promise((resolve) => setImmediate(resolve));
        }
    } finally {
        process.setSourceMapsEnabled(sourceMaps);
    }

    if (failures.length > 0) throw new Error(`registrations failed under mocks:\n${failures.join("\n")}`);
    // What the engine would hold as each resource's outputs (components: their registered outputs).
    const registered: Map<string, { state: any }> = monitor.getRegisteredResources();
    for (const resource of captured) {
        const state = registered.get(resource.urn)?.state ?? {};
        resource.rawOutputs = typeof state.toJavaScript === "function" ? state.toJavaScript() : state;
    }
    const outputs: Record<string, unknown> = { ...program };
    process.env.HOME = userHome;
    return {
        home,
        resources: captured,
        outputs,
        generatedSecrets,
        passwordOf(nameSuffix) {
            const matches = [...secretsByName].filter(([name]) => name.endsWith(nameSuffix));
            if (matches.length !== 1) throw new Error(`expected one password named *${nameSuffix}, found ${matches.length}`);
            return matches[0][1];
        },
        ofType: (type) => captured.filter((r) => r.type === type),
        one(type, nameSuffix) {
            const matches = captured.filter((r) => r.type === type && r.name.endsWith(nameSuffix));
            if (matches.length !== 1) throw new Error(`expected one ${type} named *${nameSuffix}, found ${matches.length}`);
            return matches[0];
        },
    };
}

function propertyDependenciesOf(req: any): Record<string, string[]> {
    const found: Record<string, string[]> = {};
    req.getPropertydependenciesMap().forEach((value: { getUrnsList(): string[] }, key: string) => (found[key] = value.getUrnsList()));
    return found;
}

/** Replaces the SDK's secret envelopes ({<sig key>: <secret sig>, value}) by their values. */
function unwrapSecrets(value: any): any {
    if (Array.isArray(value)) return value.map(unwrapSecrets);
    if (value === null || typeof value !== "object") return value;
    if (value[specialSigKey] === specialSecretSig) return unwrapSecrets(value.value);
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, unwrapSecrets(inner)]));
}

/** Stable stand-ins for the TLS provider's outputs: text derived from the resource's name and inputs. */
function deterministicTls(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> | undefined {
    if (!type.startsWith("tls:")) return undefined;
    const digest = createHash("sha256").update(`${type} ${name} ${JSON.stringify(inputs)}`).digest("base64");
    const pem = (label: string) => `-----BEGIN ${label}-----\n${digest}\n-----END ${label}-----\n`;
    switch (type) {
        case "tls:index/privateKey:PrivateKey":
            return { ...inputs, privateKeyPem: pem("EC PRIVATE KEY"), publicKeyPem: pem("PUBLIC KEY"), privateKeyOpenssh: pem("OPENSSH PRIVATE KEY"), publicKeyOpenssh: `ssh-ed25519 ${digest}\n` };
        case "tls:index/certRequest:CertRequest":
            return { ...inputs, certRequestPem: pem("CERTIFICATE REQUEST") };
        default:
            return { ...inputs, certPem: pem("CERTIFICATE") };
    }
}
