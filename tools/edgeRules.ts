// npm run edge-rules [-- Pulumi.<stack>.yaml]: prints, from a stack file alone (no Pulumi CLI, no
// cluster), the Markdown table of the rules the network team must apply on the edge firewall.
import { ConfigError, validateConfig } from "../components/config";
import { projectKeys, readStackConfig } from "../components/config/stackFile";
import { edgeRules, edgeRulesMarkdown } from "../components/network/firewallRules";

const stackFile = process.argv[2] ?? "Pulumi.dev.yaml";
try {
    const { config } = validateConfig(projectKeys(readStackConfig(stackFile)));
    console.log(`# Edge firewall rules for unit ${config.unit} (${stackFile})\n`);
    console.log(edgeRulesMarkdown(edgeRules(config.flows, config.endpoints.egressPublic)));
} catch (error) {
    console.error(error instanceof ConfigError ? error.message : error);
    process.exit(1);
}
