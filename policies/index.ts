// The policy pack: `pulumi preview --policy-pack policies` refuses a stack that breaks a rule.
// Only builds the pack (which starts its gRPC server); the rules live in rules/ so tests import them.
import { PolicyPack } from "@pulumi/policy";
import { rules } from "./rules";

new PolicyPack("elabftw-onprem-cnrs", { policies: rules });
