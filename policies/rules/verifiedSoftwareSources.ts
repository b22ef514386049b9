// Hardening: the software the VMs run comes through a channel that verifies it (Debian's signed
// archive, a pinned image from its publisher), and Debian's security updates keep being installed.
// A repository APT trusts without a signature, a script piped from a URL, a downloaded binary or
// image tarball nobody checked hands root on the VM to whoever controls that server or the path to it.
import { StackValidationPolicy } from "@pulumi/policy";
import { defaultRelease, disabledSecuritySuites, isTrustStorePath, periodicTooRare, pinningProblems } from "../models/aptUpdates";
import { GRUB_DEFAULTS, grubFileOrder, grubSettings, pinnedKernel } from "../models/bootParameters";
import { cloudConfig } from "../models/programText";
import { aptConfProblems, aptSourceProblems, autoUpgradesOff, frozenSources, securityOriginKept, unsupportedSuites, unverifiedCode, upgradeBlocklist } from "../models/softwareSources";
import { knownOrUndefined, ofType, TYPES, vmAddress } from "./common";
import { commandLinesOn, deployedScripts, snippetHost, vmFileTexts } from "./deployedText";

/** Where a provider's publisher serves its plugin, when not Pulumi's own server (the package's default). */
const PUBLISHERS: Readonly<Record<string, string>> = { proxmoxve: "github://api.github.com/muhlba91" };

const isAptSource = (path: string) => path === "/etc/apt/sources.list" || /^\/etc\/apt\/sources\.list\.d\/[^/]+\.(list|sources)$/.test(path);
const isAptConf = (path: string) => path === "/etc/apt/apt.conf" || /^\/etc\/apt\/apt\.conf\.d\/[^/]+$/.test(path);
const isAptPreferences = (path: string) => path === "/etc/apt/preferences" || /^\/etc\/apt\/preferences\.d\/[^/]+$/.test(path);
/** The volume id Proxmox gives an uploaded snippet: `<datastore>:<content type>/<file name>`. */
const snippetFileId = (s: { props: Record<string, any> }) =>
    `${knownOrUndefined(() => s.props.datastoreId)}:${knownOrUndefined(() => s.props.contentType) ?? "snippets"}/${knownOrUndefined(() => s.props.fileName) ?? knownOrUndefined(() => s.props.sourceRaw?.fileName)}`;
const byFileName = (a: string, b: string) => a.split("/").at(-1)!.localeCompare(b.split("/").at(-1)!);

export const verifiedSoftwareSources: StackValidationPolicy = {
    name: "verified-software-sources",
    description: "Every package and program the VMs install is verified: no APT source or setting that accepts unsigned packages (trusted=yes, allow-insecure, AllowUnauthenticated, --allow-unauthenticated), no download run or installed as code without a checksum or signature check (curl … | sh, a binary fetched into a bin directory, dpkg -i of a download), no image loaded from a file (docker load/import); and Debian's security updates stay on (unattended-upgrades installed, APT::Periodic::Unattended-Upgrade not 0, its timers not disabled, no package held, the security origin kept, no archive frozen at a date nor Check-Valid-Until off, the lists refreshed and updates installed daily, no APT pin ranking a release above the security suite, no security suite disabled, no package on unattended-upgrades' Package-Blacklist, no unstable, testing or experimental suite); cloud-init data only from the program's own snippets (no vendor-data or other file the stack does not write); no CA added to the VMs' trust stores; provider plugins come from their publishers (no other pluginDownloadURL).",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        for (const vm of ofType(args.resources, TYPES.vm)) {
            const files = vmFileTexts(vm, args.resources);
            const snippets = ofType(args.resources, TYPES.snippet).filter((s) => snippetHost(s, args.resources) === vmAddress(vm));
            const configs = snippets.map((s) => cloudConfig(String(s.props.sourceRaw?.data ?? ""))).filter((c) => c !== undefined);
            const sources = [...[...files.entries()].filter(([p]) => isAptSource(p)).flatMap(([p, texts]) => texts.map((t) => [p, t] as const)), ...configs.flatMap((c) => c.aptSources.map((t) => ["cloud-init apt sources", t] as const))];
            for (const [where, text] of sources) {
                for (const problem of aptSourceProblems(text)) {
                    reportViolation(`${vm.name}: ${where} declares an APT source that skips the signature check (${problem}): APT installs and upgrades whatever that server, or anyone on the path, serves, as root. Fix: remove the option and give APT the repository's key (signed-by=/usr/share/keyrings/…), or drop the repository.`, vm.urn);
                }
            }
            for (const [where, text] of sources) {
                for (const suite of unsupportedSuites(text)) {
                    reportViolation(`${vm.name}: ${where} adds Debian's ${suite} suite: with no pin APT's candidate for every package is the newest version, ${suite}'s, which the Debian security team does not support (no security advisories, no fixes in time). Fix: install from Debian 13's suites (trixie, trixie-security, trixie-updates; trixie-backports for a newer package).`, vm.urn);
                }
            }
            const confPaths = [...files.keys()].filter(isAptConf).sort(byFileName);
            const confTexts = confPaths.map((p) => files.get(p)!.at(-1)!);
            for (const text of [...confTexts, ...configs.map((c) => c.aptConf)]) {
                for (const problem of aptConfProblems(text)) {
                    reportViolation(`${vm.name}: the APT configuration sets ${problem}: packages or repositories nobody signed are accepted. Fix: remove the setting.`, vm.urn);
                }
            }
            for (const [where, text] of [...sources, ...configs.map((c) => ["cloud-init apt primary/security", c.aptPrimary.join("\n")] as const)]) {
                for (const uri of frozenSources(text)) {
                    reportViolation(`${vm.name}: ${where} points APT at ${uri}, the archive frozen at that date: unattended-upgrades keeps running and finds no security update published since. Fix: use Debian's live mirrors (deb.debian.org, security.debian.org) or the proxy's.`, vm.urn);
                }
            }
            if (!securityOriginKept(confTexts)) {
                reportViolation(`${vm.name}: the APT configuration leaves Debian's security origin out of Unattended-Upgrade::Origins-Pattern: unattended-upgrades runs and installs no security update. Fix: keep the security origin (Debian's 50unattended-upgrades; no #clear of the list).`, vm.urn);
            }
            const blocked = upgradeBlocklist([...confTexts, ...configs.map((c) => c.aptConf)]);
            if (blocked.length > 0) reportViolation(`${vm.name}: unattended-upgrades' Package-Blacklist names ${blocked.join(", ")}: their security updates are never installed automatically. Fix: remove the list (Debian's is empty); pin a version by hand only for the time a regression takes to fix.`, vm.urn);
            const off = autoUpgradesOff(confTexts);
            if (off) reportViolation(`${vm.name}: the APT configuration sets ${off}: Debian's security updates are never installed by the daily timer. Fix: APT::Periodic::Update-Package-Lists "1" and APT::Periodic::Unattended-Upgrade "1" (the program's 20auto-upgrades).`, vm.urn);
            for (const setting of periodicTooRare(confTexts)) {
                reportViolation(`${vm.name}: the APT configuration sets ${setting}: the daily timer refreshes the package lists or installs updates only every few days, so security fixes arrive that much later and the status check reads stale lists. Fix: "1" (daily), as the program's 20auto-upgrades.`, vm.urn);
            }
            const preferencePaths = [...files.keys()].filter(isAptPreferences).sort((a, b) => (a === "/etc/apt/preferences" ? -1 : b === "/etc/apt/preferences" ? 1 : byFileName(a, b)));
            for (const problem of pinningProblems(preferencePaths.map((p) => files.get(p)!.at(-1)!), defaultRelease([...confTexts, ...configs.map((c) => c.aptConf)]))) {
                reportViolation(`${vm.name}: APT's pinning: ${problem}. Fix: remove the pin (Debian's security suite must keep the default priority 500 alongside the release).`, vm.urn);
            }
            for (const suite of configs.flatMap((c) => disabledSecuritySuites(c.aptDisabledSuites))) {
                reportViolation(`${vm.name}: its cloud-init apt module disables the suite "${suite}": the sources APT reads have no security suite, so no Debian security update is ever installed. Fix: remove disable_suites (or keep security out of it).`, vm.urn);
            }
            const addedCas = [...configs.flatMap((c) => c.trustedCas.map(() => "cloud-init ca_certs")), ...[...files.keys()].filter(isTrustStorePath)];
            for (const where of addedCas) {
                reportViolation(`${vm.name}: ${where} adds a CA to the VM's trust store: whoever holds that CA's key (a TLS-inspecting proxy, anyone who takes it) answers as any registry or server the VM reaches and serves its own images and downloads. Fix: remove it; pulls and downloads go through the proxy with CONNECT, verified against the public CAs.`, vm.urn);
            }
            const grub = grubSettings([...files.keys()].filter((p) => GRUB_DEFAULTS.test(p)).sort(grubFileOrder).map((p) => files.get(p)!.at(-1)!));
            const commands = commandLinesOn(vmAddress(vm), args.resources);
            for (const pin of pinnedKernel(grub, commands)) {
                reportViolation(`${vm.name}: ${pin} makes GRUB boot one kernel whatever apt installs: Debian's kernel security updates are installed and never run. Fix: leave GRUB_DEFAULT at 0 (the newest kernel).`, vm.urn);
            }
            // Cloud-init runs its user-data, vendor-data and network-data as root at first boot: each must be a snippet the program renders.
            const ownSnippets = new Set(ofType(args.resources, TYPES.snippet).map(snippetFileId));
            for (const field of ["userDataFileId", "vendorDataFileId", "networkDataFileId", "metaDataFileId"]) {
                const id = knownOrUndefined(() => vm.props.initialization?.[field]);
                if (typeof id === "string" && id !== "" && !ownSnippets.has(id)) reportViolation(`${vm.name}: its cloud-init ${field} is ${id}, a file this stack does not write: at first boot cloud-init runs what it holds as root (scripts, keys, packages), kept by whoever writes to that storage, outside this program's review and the policy pack. Fix: remove it; put what the VM needs in the program's own snippets.`, vm.urn);
            }
            const packages = configs.flatMap((c) => c.packages);
            if (configs.length > 0 && !packages.includes("unattended-upgrades")) {
                reportViolation(`${vm.name}: its cloud-init does not install unattended-upgrades: nothing installs Debian's security updates. Fix: keep unattended-upgrades in the packages (the program's).`, vm.urn);
            }
        }
        // A provider plugin fetched from elsewhere than its publisher runs on every workstation and CI
        // runner with the stack's credentials (the Proxmox token, the VMs' SSH keys).
        for (const provider of args.resources.filter((r) => r.type.startsWith("pulumi:providers:"))) {
            const url = knownOrUndefined(() => provider.props.pluginDownloadURL);
            const publisher = PUBLISHERS[provider.type.slice("pulumi:providers:".length)];
            if (typeof url === "string" && url !== "" && url !== publisher) {
                reportViolation(`${provider.name}: its plugin is downloaded from ${url}, not from its publisher${publisher ? ` (${publisher})` : " (Pulumi's own plugin server)"}: that binary runs on every workstation and CI runner with the stack's credentials. Fix: remove pluginDownloadURL; behind a proxy, set HTTPS_PROXY for the download.`, provider.urn);
            }
        }
        for (const s of deployedScripts(args.resources)) {
            for (const problem of unverifiedCode(s.script)) {
                reportViolation(`${s.resource.name} (${s.where}) runs code nobody verified: ${problem}. Fix: install from Debian's signed archive (apt-get install), pull images by release and digest, or check the download's published checksum or signature (sha256sum -c, gpgv) before using it.`, s.resource.urn);
            }
        }
    },
};
