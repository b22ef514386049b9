// The elabimg image's start-up (src/init/prepare.sh in elabftw/elabimg) reads DISABLE_HTTPS as
// `disable_https=${DISABLE_HTTPS:-false}` and then runs `if ($disable_https); then <serve HTTP>`:
// the value is run as a command in a subshell, after word splitting. HTTPS is served only when
// that command fails: unset or empty means `false`; "false" (any path to it, any arguments) and
// "exit N" (N not a multiple of 256) fail;
// "true", ":", "exit", or a value of blanks only (an empty command succeeds) serve plain HTTP; any
// other value depends on what the command does, so HTTPS is not certain.

const FAILS = /^(\/usr)?(\/bin\/)?false$/;
const SUCCEEDS = /^((\/usr)?(\/bin\/)?true|:|exit|echo|printf|test|\[)$/;

export type HttpsVerdict = { readonly https: true } | { readonly https: false; readonly why: string };

export function elabimgHttps(disableHttps: string | undefined): HttpsVerdict {
    const value = disableHttps === undefined || disableHttps === "" ? "false" : disableHttps;
    const words = value.split(/[ \t\n]+/).filter((w) => w !== "");
    if (words.length === 0) return { https: false, why: "a value of blanks only runs an empty command, which succeeds: nginx serves plain HTTP" };
    if (FAILS.test(words[0]) || (words[0] === "exit" && /^\d+$/.test(words[1] ?? "") && Number(words[1]) % 256 !== 0)) return { https: true };
    if (SUCCEEDS.test(words[0]) && !(words[0] === "exit" && words[1] !== undefined && words[1] !== "0")) return { https: false, why: `the command \`${value.trim()}\` succeeds: nginx serves plain HTTP on 443` };
    return { https: false, why: `the image runs \`${value.trim()}\` as a command and serves plain HTTP if it succeeds: only false keeps HTTPS certain` };
}
