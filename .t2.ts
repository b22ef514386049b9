import { runProgram } from "./tools/offline/mockEngine";
import { evaluate } from "./tools/offline/policyEngine";
import { rules } from "./policies/rules";
import { PRODUCTION_OVERRIDES } from "./test/support/stacks";
(async () => {
  const run = await runProgram(process.argv[2] === "prod" ? { overrides: PRODUCTION_OVERRIDES } : process.argv[2] === "preview" ? { preview: true } : {});
  const e = await evaluate(rules, run.resources);
  console.log(JSON.stringify(e, null, 1).slice(0, 3000));
  process.exit(0);
})();
