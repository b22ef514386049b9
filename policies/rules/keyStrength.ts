// Hardening: key sizes and certificate lifetimes of the private CA.
import { ResourceValidationPolicy } from "@pulumi/policy";
import { TYPES } from "./common";

const CURVES = ["P256", "P384", "P521"];
const HOURS_PER_DAY = 24;

export const keyStrength: ResourceValidationPolicy = {
    name: "key-strength-and-validity",
    description: "Keys are RSA of at least the configured size, ECDSA on P-256 or stronger, or ED25519; leaf certificates last at most the configured days and renew early; the CA lasts at most the configured days.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            minimumRsaBits: { type: "integer", default: 3072, description: "Smallest RSA key accepted." },
            maximumLeafDays: { type: "integer", default: 825, description: "Longest validity of a server or client certificate." },
            maximumCaDays: { type: "integer", default: 7300, description: "Longest validity of the CA certificate." },
        },
    },
    validateResource: (args, reportViolation) => {
        const { minimumRsaBits, maximumLeafDays, maximumCaDays } = args.getConfig<{ minimumRsaBits: number; maximumLeafDays: number; maximumCaDays: number }>();
        const p = args.props;
        if (args.type === TYPES.privateKey) {
            if (p.algorithm === "RSA" && (p.rsaBits ?? 2048) < minimumRsaBits) reportViolation(`${args.name}: RSA key of ${p.rsaBits ?? 2048} bits. Fix: use ECDSA P-384 or RSA >= ${minimumRsaBits}.`);
            if (p.algorithm === "ECDSA" && !CURVES.includes(p.ecdsaCurve ?? "P224")) reportViolation(`${args.name}: ECDSA curve ${p.ecdsaCurve ?? "P224"}. Fix: use P-256 or stronger.`);
        }
        if (args.type === TYPES.locallySignedCert) {
            if (p.validityPeriodHours > maximumLeafDays * HOURS_PER_DAY) reportViolation(`${args.name}: valid ${p.validityPeriodHours / HOURS_PER_DAY} days. Fix: at most ${maximumLeafDays} (certValidityDays).`);
            if (!(p.earlyRenewalHours > 0)) reportViolation(`${args.name}: never renews before expiry. Fix: set earlyRenewalHours (certRenewBeforeDays).`);
        }
        if (args.type === TYPES.selfSignedCert && p.validityPeriodHours > maximumCaDays * HOURS_PER_DAY) {
            reportViolation(`${args.name}: valid ${p.validityPeriodHours / HOURS_PER_DAY} days. Fix: at most ${maximumCaDays} (caValidityDays).`);
        }
    },
};
