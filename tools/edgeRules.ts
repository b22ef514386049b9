// npm run edge-rules [-- Pulumi.<stack>.yaml]: prints, from a stack file alone (no Pulumi CLI, no
// cluster), the Markdown table of the rules the network team must apply on the edge firewall. The
// table goes to stdout (redirect it to a file); the closing line goes to stderr.
import { validateConfig } from "../components/config/validate";
import { projectKeys, readStackConfig } from "../components/config/stackFile";
import { edgeRules, edgeRulesMarkdown } from "../components/network/firewallRules";
import { Command, EXIT, EXIT_CODES_HELP, existingFile, runCommand, UsageError } from "./cli";

const COMMAND: Command = {
    name: "edge-rules",
    synopsis: "[--stack FILE | FILE]",
    options: { stack: { type: "string" } },
    positionals: 1,
    help: [
        "Prints the rules the university's edge firewall must apply for a stack, as a Markdown table on",
        "stdout (e.g. npm run -s edge-rules -- Pulumi.prod.yaml > edge-rules.md).",
        "",
        "  --stack FILE, FILE     the stack file (default Pulumi.dev.yaml)",
        "",
        EXIT_CODES_HELP,
    ].join("\n"),
};

void runCommand(COMMAND, ({ values, positionals }) => {
    if (values.stack !== undefined && positionals.length > 0) throw new UsageError(`the stack file is given twice (--stack ${values.stack} and ${positionals[0]})`);
    const stackFile = String(values.stack ?? positionals[0] ?? "Pulumi.dev.yaml");
    const { config } = validateConfig(projectKeys(readStackConfig(existingFile(stackFile))), stackFile);
    const rules = edgeRules(config.flows, config.endpoints.egressPublic);
    console.log(`# Edge firewall rules for unit ${config.unit} (${stackFile})\n`);
    console.log(edgeRulesMarkdown(rules));
    console.error(`${stackFile}: valid configuration, ${rules.length} edge firewall rules printed`);
    return EXIT.ok;
});
