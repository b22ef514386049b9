// Hardening: key sizes and certificate lifetimes of the private CA, and the strength of generated
// secrets (passwords, passphrases, key bytes) as the random provider draws them.
import { ResourceValidationPolicy } from "@pulumi/policy";
import { generatedSecretBits } from "../models/randomSecrets";
import { TYPES } from "./common";

const CURVES = ["P256", "P384", "P521"];
const HOURS_PER_DAY = 24;

export const keyStrength: ResourceValidationPolicy = {
    name: "key-strength-and-validity",
    description: "Keys are RSA of at least the configured size, ECDSA on P-256 or stronger, or ED25519; leaf certificates last at most the configured days and renew early; the CA lasts at most the configured days; generated secrets carry at least the configured bits (length over the alphabet drawn from).",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            minimumRsaBits: { type: "integer", default: 3072, description: "Smallest RSA key accepted." },
            maximumLeafDays: { type: "integer", default: 825, description: "Longest validity of a server or client certificate." },
            maximumCaDays: { type: "integer", default: 7300, description: "Longest validity of the CA certificate." },
            minimumGeneratedSecretBits: { type: "integer", default: 128, description: "Least strength of a generated password, passphrase or byte string: its length times log2 of the alphabet the random provider draws from (bytes: 8 bits each)." },
        },
    },
    validateResource: (args, reportViolation) => {
        const { minimumRsaBits, maximumLeafDays, maximumCaDays, minimumGeneratedSecretBits } = args.getConfig<{ minimumRsaBits: number; maximumLeafDays: number; maximumCaDays: number; minimumGeneratedSecretBits: number }>();
        const p = args.props;
        if (args.type === TYPES.privateKey) {
            if (p.algorithm === "RSA" && (p.rsaBits ?? 2048) < minimumRsaBits) reportViolation(`${args.name}: RSA key of ${p.rsaBits ?? 2048} bits. Fix: use ECDSA P-384 or RSA >= ${minimumRsaBits}.`);
            if (p.algorithm === "ECDSA" && !CURVES.includes(p.ecdsaCurve ?? "P224")) reportViolation(`${args.name}: ECDSA curve ${p.ecdsaCurve ?? "P224"}. Fix: use P-256 or stronger.`);
        }
        if (args.type === TYPES.locallySignedCert) {
            if (p.validityPeriodHours > maximumLeafDays * HOURS_PER_DAY) reportViolation(`${args.name}: valid ${p.validityPeriodHours / HOURS_PER_DAY} days. Fix: at most ${maximumLeafDays} (certValidityDays).`);
            if (!(p.earlyRenewalHours > 0)) reportViolation(`${args.name}: never renews before expiry. Fix: set earlyRenewalHours (certRenewBeforeDays).`);
        }
        const bits = generatedSecretBits(args.type, p);
        if (bits !== undefined && bits < minimumGeneratedSecretBits) {
            reportViolation(`${args.name}: a generated secret of ${bits} bits (length ${p.length ?? p.byteLength}). Fix: at least ${minimumGeneratedSecretBits} bits: 22 alphanumeric characters, or 16 bytes (the program generates 32 to 64 characters).`);
        }
        if (args.type === TYPES.selfSignedCert && p.validityPeriodHours > maximumCaDays * HOURS_PER_DAY) {
            reportViolation(`${args.name}: valid ${p.validityPeriodHours / HOURS_PER_DAY} days. Fix: at most ${maximumCaDays} (caValidityDays).`);
        }
    },
};
