// Over 300 lines on purpose: the whole provider protocol of the stand-ins in one place, so each stand-in stays a table.
// The common part of the stand-in provider plugins: a provider on @pulumi/pulumi/provider's main()
// that answers the engine the way a bridged (Terraform-based) Pulumi provider does.
//
// What it reproduces, for every resource type a stand-in declares:
//   - the state holds every property of the type (read from the installed SDK package, so it
//     follows the package's version): what the program set, the schema's defaults, what the
//     provider computed, and `null` for every optional property left unset;
//   - preview of a create (the engine sends preview=true once Configure said supportsPreview):
//     every property the provider computes and the program did not set is unknown, and so is
//     any input that is still unknown; defaults are known;
//   - Diff compares the program's inputs with the state (unset Optional+Computed inputs keep the
//     state's value, unset Optional ones are a change back to null) and asks for replacement
//     when a changed property is one the real schema forces a new resource for;
//   - outputs the schema marks secret, and inputs that arrived secret, go back secret (so the
//     engine keeps them encrypted in state even without the SDK's additionalSecretOutputs);
//   - Read (refresh) gives back the state as it is (there is nothing outside to read); Delete
//     forgets.
// What it does not: nested objects are not padded with nulls; Check returns the inputs with
// the defaults only for stand-ins whose real bridge does that (SDKv2-based ones); no
// CheckConfig/DiffConfig (the engine falls back to its own comparison); no invokes.
//
// @pulumi/pulumi/provider's main() serves the gRPC protocol, but its Server hides the preview
// flag from create/update and does not announce supportsPreview; so the methods that need it are
// replaced on the implementation object main() registers (through grpc.Server.addService).
import { appendFileSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { main } from "@pulumi/pulumi/provider";

const pulumiDir = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
const fromPulumi = createRequire(path.join(pulumiDir, "package.json"));
// The very modules @pulumi/pulumi/provider uses (same instances).
const grpc = fromPulumi("@grpc/grpc-js");
const provproto = fromPulumi("./proto/provider_pb");
const structproto = fromPulumi("google-protobuf/google/protobuf/struct_pb");

/** The wire form of an unknown value (sdk/go/common/resource/plugin/rpc.go). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const SIG = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

export type Props = Record<string, unknown>;

export function secret(value: unknown): unknown {
    return { [SIG]: SECRET_SIG, value };
}

function isSecret(v: unknown): v is { value: unknown } {
    return typeof v === "object" && v !== null && (v as Props)[SIG] === SECRET_SIG;
}

/** The value without its secret wrappers, and whether any was found. */
export function reveal(v: unknown): { value: unknown; secret: boolean } {
    if (isSecret(v)) return { value: reveal(v.value).value, secret: true };
    if (Array.isArray(v)) {
        const items = v.map(reveal);
        return { value: items.map((i) => i.value), secret: items.some((i) => i.secret) };
    }
    if (typeof v === "object" && v !== null) {
        let anySecret = false;
        const out: Props = {};
        for (const [k, e] of Object.entries(v)) {
            const r = reveal(e);
            out[k] = r.value;
            anySecret ||= r.secret;
        }
        return { value: out, secret: anySecret };
    }
    return { value: v, secret: false };
}

export function containsUnknown(v: unknown): boolean {
    if (v === UNKNOWN) return true;
    if (Array.isArray(v)) return v.some(containsUnknown);
    if (typeof v === "object" && v !== null) return Object.values(v).some(containsUnknown);
    return false;
}

function deepEqual(a: unknown, b: unknown): boolean {
    // Unset and null are the same: a native provider leaves unset properties out of its state.
    return JSON.stringify(canonical(a ?? null)) === JSON.stringify(canonical(b ?? null));
}

function canonical(v: unknown): unknown {
    if (Array.isArray(v)) return v.map(canonical);
    if (typeof v === "object" && v !== null) {
        return Object.fromEntries(
            Object.keys(v)
                .sort()
                .filter((k) => (v as Props)[k] !== null && (v as Props)[k] !== undefined)
                .map((k) => [k, canonical((v as Props)[k])]),
        );
    }
    return v;
}

/** What a stand-in says about one resource type. */
export interface TypeSpec {
    /** Schema defaults: in the state (and, with checkDefaults, in Check's inputs) when unset. */
    defaults?: Props;
    /** Optional+Computed inputs: the provider fills them when unset, so they are unknown in preview. */
    computed?: string[];
    /** Inputs whose change forces a new resource (ForceNew / RequiresReplace in the real schema). */
    replaceOnChanges?: string[];
    /** Outputs the real schema marks secret. */
    secretOutputs?: string[];
    /** Values of output-only properties known before creation (schema defaults of computed outputs). */
    knownInPreview?: Props;
    /** The SDKv2 bridge puts defaults into Check's inputs; the plugin-framework bridge does not. */
    checkDefaults?: boolean;
    /** Native (non-bridged) providers leave unset properties out of the state instead of `null`. */
    omitUnset?: boolean;
    /** Output-only properties that stay unset (left out, not unknown) unless the provider sets them. */
    optionalOutputs?: string[];
    /** In preview of an update, output-only properties become unknown (pulumi-go-provider's default wiring). */
    unknownOutputsOnUpdate?: boolean;
    /** Further Check-time normalisation (nested defaults), on the inputs as sent (secrets, unknowns). */
    normalize?(inputs: Props): Props;
    /** Makes the resource: its id and the properties it computes. `inputs` are plain (no secrets, no unknowns). */
    create(inputs: Props, urn: string): Promise<{ id: string; outs: Props }> | { id: string; outs: Props };
    /** Changes it in place; the default keeps the computed properties of the state. */
    update?(olds: Props, news: Props, urn: string): Promise<Props> | Props;
    /**
     * Nested Optional+Computed attributes the program left unset keep the state's value (Terraform
     * plans them from the prior state): returns the news with those filled from the olds.
     */
    carryComputed?(olds: Props, news: Props): Props;
    /** Extra replacement reasons from the state (e.g. a certificate due for renewal). */
    extraReplaces?(olds: Props, news: Props): string[];
    delete?(id: string, state: Props): Promise<void> | void;
}

/** Every state property of a type, from the installed SDK package's class (its `state?.x` lines). */
function sdkProperties(packageDir: string, token: string): { all: string[]; outputOnly: string[] } {
    // "pkg:index/someThing:SomeThing" is <package>/someThing.js, "pkg:mod/someThing:SomeThing" is
    // <package>/mod/someThing.js, and a native provider's "pkg:mod:Name" is <package>/mod/name.js.
    const [, mod, typeName] = token.split(":");
    const [folder, file = typeName.charAt(0).toLowerCase() + typeName.slice(1)] = mod.split("/");
    const js = readFileSync(path.join(packageDir, folder === "index" ? "" : folder, `${file}.js`), "utf8");
    const names = (re: RegExp) => [...new Set([...js.matchAll(re)].map((m) => m[1]))];
    const fromState = names(/resourceInputs\["(\w+)"\] = state\?\.\w+;/g);
    const fromArgs = names(/resourceInputs\["(\w+)"\] = [^;]*\bargs\b/g);
    const outputOnly = names(/resourceInputs\["(\w+)"\] = undefined \/\*out\*\/;/g).filter((p) => !fromArgs.includes(p));
    // Bridged SDKs have a `get` branch listing the state; native ones (command) only the args and outs.
    const all = fromState.length > 0 ? fromState : [...fromArgs, ...outputOnly];
    if (all.length === 0) throw new Error(`no state properties found for ${token} in ${packageDir}`);
    return { all, outputOnly };
}

function typeOf(urn: string): string {
    // urn:pulumi:stack::project::[parent$]type::name
    const parts = urn.split("::");
    const types = parts[2].split("$");
    return types[types.length - 1];
}

function toStruct(props: Props): unknown {
    return structproto.Struct.fromJavaScript(JSON.parse(JSON.stringify(props, (_k, v) => (v === undefined ? null : v))));
}

function readable(resp: any): unknown {
    if (!resp) return null;
    if (typeof resp.getProperties === "function") return { id: resp.getId?.(), properties: resp.getProperties()?.toJavaScript() };
    if (typeof resp.getInputs === "function") return { inputs: resp.getInputs()?.toJavaScript() };
    return resp.toObject?.() ?? null;
}

export interface StandIn {
    /** Plugin name, as in pulumi-resource-<name>. */
    name: string;
    /** Plugin version: what the SDK package asks for. */
    version: string;
    /** The npm package whose classes give the property lists. */
    npmPackage: string;
    /** Resource types by token; "*" serves any other type of the package. */
    types: Record<string, TypeSpec>;
}

export function serve(standIn: StandIn): void {
    const packageDir = path.dirname(require.resolve(`${standIn.npmPackage}/package.json`));
    const props = new Map<string, { all: string[]; outputOnly: string[] }>();
    const propertiesOf = (token: string) => {
        if (!props.has(token)) props.set(token, sdkProperties(packageDir, token));
        return props.get(token)!;
    };
    const specOf = (urn: string): [string, TypeSpec] => {
        const token = typeOf(urn);
        const spec = standIn.types[token] ?? standIn.types["*"];
        if (!spec) throw new Error(`${standIn.name} stand-in: resource type ${token} is not reproduced (${urn})`);
        return [token, spec];
    };

    /** Check: the inputs, with defaults where the real bridge adds them. */
    const check = (urn: string, news: Props): Props => {
        const [, spec] = specOf(urn);
        const inputs = { ...news };
        if (spec.checkDefaults) for (const [k, v] of Object.entries(spec.defaults ?? {})) if (inputs[k] === undefined || inputs[k] === null) inputs[k] = v;
        return spec.normalize ? spec.normalize(inputs) : inputs;
    };

    /** The full state from the inputs and what the provider computed (or unknowns in preview). */
    const state = (token: string, spec: TypeSpec, inputs: Props, computed: Props | undefined): Props => {
        const { all, outputOnly } = propertiesOf(token);
        const secretOut = new Set(spec.secretOutputs ?? []);
        const out: Props = {};
        for (const p of all) {
            let v: unknown;
            if (computed && p in computed) v = computed[p];
            else if (inputs[p] !== undefined && inputs[p] !== null) v = inputs[p];
            else if (spec.defaults && p in spec.defaults) v = spec.defaults[p];
            else if (!computed && spec.knownInPreview && p in spec.knownInPreview) v = spec.knownInPreview[p];
            else if (!computed && (spec.optionalOutputs ?? []).includes(p)) v = null;
            else if (!computed && (outputOnly.includes(p) || (spec.computed ?? []).includes(p))) v = UNKNOWN;
            else v = null;
            const wasSecret = reveal(inputs[p]).secret;
            if (v !== null && v !== UNKNOWN && !isSecret(v) && (secretOut.has(p) || wasSecret)) v = secret(reveal(v).value);
            if (v === null && spec.omitUnset) continue;
            out[p] = v;
        }
        return out;
    };

    const diff = (urn: string, olds: Props, sent: Props): { changed: string[]; replaces: string[] } => {
        const [token, spec] = specOf(urn);
        const news = spec.carryComputed ? spec.carryComputed(olds, sent) : sent;
        const { all, outputOnly } = propertiesOf(token);
        const changed: string[] = [];
        for (const p of all) {
            if (outputOnly.includes(p)) continue;
            const n = news[p];
            if ((n === undefined || n === null) && ((spec.computed ?? []).includes(p) || (spec.defaults && p in spec.defaults))) {
                // Unset: the state keeps the provider's value (or the default).
                const d = spec.defaults?.[p];
                if (d === undefined || deepEqual(reveal(olds[p]).value, d)) continue;
            }
            const nv = n === undefined ? (spec.defaults?.[p] ?? null) : n;
            if (containsUnknown(nv) || !deepEqual(reveal(olds[p]).value, reveal(nv).value)) changed.push(p);
        }
        const forcing = new Set(spec.replaceOnChanges ?? []);
        const replaces = changed.filter((p) => forcing.has(p));
        for (const p of spec.extraReplaces?.(olds, news) ?? []) if (!replaces.includes(p)) replaces.push(p);
        return { changed: [...new Set([...changed, ...replaces])], replaces };
    };

    const respond = (callback: (err: unknown, resp?: unknown) => void, work: () => Promise<unknown>) => {
        work().then(
            (resp) => callback(undefined, resp),
            (e: Error) => {
                console.error(`${standIn.name} stand-in: ${e.stack ?? e}`);
                callback({ code: grpc.status.UNKNOWN, details: e.message, message: e.message });
            },
        );
    };

    const methods: Record<string, (call: any, callback: any) => void> = {
        configure(_call, callback) {
            const resp = new provproto.ConfigureResponse();
            resp.setAcceptsecrets(true);
            resp.setSupportspreview(true);
            resp.setAcceptresources(false);
            resp.setAcceptoutputs(false);
            callback(undefined, resp);
        },
        check(call, callback) {
            respond(callback, async () => {
                const resp = new provproto.CheckResponse();
                resp.setInputs(toStruct(check(call.request.getUrn(), call.request.getNews().toJavaScript())));
                return resp;
            });
        },
        diff(call, callback) {
            respond(callback, async () => {
                const req = call.request;
                const { changed, replaces } = diff(req.getUrn(), req.getOlds().toJavaScript(), req.getNews().toJavaScript());
                const resp = new provproto.DiffResponse();
                resp.setChanges(changed.length > 0 ? provproto.DiffResponse.DiffChanges.DIFF_SOME : provproto.DiffResponse.DiffChanges.DIFF_NONE);
                resp.setDiffsList(changed);
                resp.setReplacesList(replaces);
                return resp;
            });
        },
        create(call, callback) {
            respond(callback, async () => {
                const req = call.request;
                const urn = req.getUrn();
                const [token, spec] = specOf(urn);
                const inputs = req.getProperties().toJavaScript() as Props;
                const resp = new provproto.CreateResponse();
                if (req.getPreview()) {
                    resp.setId("");
                    resp.setProperties(toStruct(state(token, spec, inputs, undefined)));
                    return resp;
                }
                const plain = reveal(inputs).value as Props;
                for (const [k, v] of Object.entries(spec.defaults ?? {})) if (plain[k] === undefined || plain[k] === null) plain[k] = v;
                const made = await spec.create(plain, urn);
                resp.setId(made.id);
                resp.setProperties(toStruct(state(token, spec, inputs, { ...made.outs })));
                return resp;
            });
        },
        update(call, callback) {
            respond(callback, async () => {
                const req = call.request;
                const urn = req.getUrn();
                const [token, spec] = specOf(urn);
                const olds = req.getOlds().toJavaScript() as Props;
                const sent = req.getNews().toJavaScript() as Props;
                const news = spec.carryComputed ? spec.carryComputed(olds, sent) : sent;
                const { outputOnly } = propertiesOf(token);
                const kept: Props = {};
                for (const p of [...outputOnly, ...(spec.computed ?? [])]) if (news[p] === undefined || news[p] === null) kept[p] = olds[p];
                if (req.getPreview() || containsUnknown(news)) {
                    if (spec.unknownOutputsOnUpdate) for (const p of outputOnly) if (!(spec.optionalOutputs ?? []).includes(p)) kept[p] = UNKNOWN;
                    const resp = new provproto.UpdateResponse();
                    resp.setProperties(toStruct(state(token, spec, news, kept)));
                    return resp;
                }
                const plainNews = reveal(news).value as Props;
                for (const [k, v] of Object.entries(spec.defaults ?? {})) if (plainNews[k] === undefined || plainNews[k] === null) plainNews[k] = v;
                const outs = spec.update ? await spec.update(reveal(olds).value as Props, plainNews, urn) : {};
                const resp = new provproto.UpdateResponse();
                resp.setProperties(toStruct(state(token, spec, news, { ...reveal(kept).value as Props, ...outs })));
                return resp;
            });
        },
        read(call, callback) {
            respond(callback, async () => {
                const req = call.request;
                const resp = new provproto.ReadResponse();
                resp.setId(req.getId());
                resp.setProperties(req.getProperties());
                if (req.hasInputs()) resp.setInputs(req.getInputs());
                return resp;
            });
        },
        delete(call, callback) {
            respond(callback, async () => {
                const req = call.request;
                const [, spec] = specOf(req.getUrn());
                await spec.delete?.(req.getId(), reveal(req.getProperties().toJavaScript()).value as Props);
                return new (fromPulumi("google-protobuf/google/protobuf/empty_pb").Empty)();
            });
        },
    };

    const addService = grpc.Server.prototype.addService;
    grpc.Server.prototype.addService = function (service: unknown, implementation: object) {
        const wrapped = Object.create(implementation);
        // PULUMI_STAND_IN_TRACE=<file>: one JSON line per call (method, urn, preview, answer), for tests.
        const trace = process.env.PULUMI_STAND_IN_TRACE;
        for (const [name, fn] of Object.entries(methods)) {
            wrapped[name] = !trace
                ? fn
                : (call: any, callback: any) =>
                      fn(call, (err: any, resp: any) => {
                          const req = call.request;
                          const line = { plugin: standIn.name, method: name, urn: req.getUrn?.(), preview: req.getPreview?.() ?? null, error: err?.message, answer: readable(resp) };
                          appendFileSync(trace, `${JSON.stringify(line)}\n`);
                          callback(err, resp);
                      });
        }
        return addService.call(this, service, wrapped);
    };
    void main({ version: standIn.version }, process.argv.slice(2));
}
