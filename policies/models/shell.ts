// The shell as bash reads a script, enough to know where a command's output goes: quotes and
// escapes, line continuations, comments, here-documents (their bodies are data, not commands),
// pipelines and lists, redirections with their file descriptors, `$(...)`, backticks and process
// substitutions (parsed as scripts of their own), and `bash -c SCRIPT` behind the usual wrappers
// (sudo, env, nice, timeout, exec, docker exec, ssh). Compound commands (if, while, case, { }, ( ))
// are flattened into the simple commands they contain: a grouped command's redirection is not
// carried to its members, which errs on the side of reporting.
import { memoByObject, memoByText } from "./memo";

export interface Word {
    /** The word after quote removal; expansions are kept as written (`$VAR`, `${a[@]}`). */
    readonly text: string;
    /** No expansion outside single quotes: the text is what the program receives. */
    readonly literal: boolean;
}

export interface Redirect {
    /** The file descriptor redirected: 1 for `>`, 0 for `<`, "&" for `&>` (stdout and stderr). */
    readonly fd: number | "&";
    readonly op: string;
    readonly target: string;
}

export interface SimpleCommand {
    /** `NAME=value` words before the command name. */
    readonly assigns: readonly { readonly name: string; readonly value: Word }[];
    readonly words: readonly Word[];
    readonly redirects: readonly Redirect[];
    /** The body of its here-document (`<<EOF`), the text its standard input reads. */
    readonly heredoc?: string;
}

/** Commands joined by `|` (or `|&`): each stage's standard output feeds the next. */
export interface Pipeline {
    readonly stages: readonly SimpleCommand[];
}

type Heredoc = { delimiter: string; strip: boolean; body: string[] };
type Token = { kind: "word"; word: Word; raw: string; heredoc?: Heredoc } | { kind: "op"; op: string } | { kind: "redirect"; fd: number | "&"; op: string };

const RESERVED = new Set(["if", "then", "else", "elif", "fi", "do", "done", "while", "until", "case", "esac", "{", "}", "!", "function", "time", "in"]);
const REDIRECT = /^(\d*|&)(>>|>\||>&|<<<|<<-|<<|<&|<>|>|<)/;

/** Reads `$( ... )` or `<( ... )` from `open` (the index of its "("): the inner text and the index after ")". */
function balanced(text: string, open: number): [string, number] {
    let depth = 0;
    for (let i = open; i < text.length; i++) {
        const c = text[i];
        if (c === "\\") i++;
        else if (c === "'") i = text.indexOf("'", i + 1) < 0 ? text.length : text.indexOf("'", i + 1);
        else if (c === "(") depth++;
        else if (c === ")" && --depth === 0) return [text.slice(open + 1, i), i + 1];
    }
    return [text.slice(open + 1), text.length];
}

function tokenize(text: string, nested: string[]): Token[] {
    const tokens: Token[] = [];
    const heredocs: Heredoc[] = [];
    let i = 0;
    const skipHeredocs = () => {
        for (const heredoc of heredocs.splice(0)) {
            while (i < text.length) {
                const end = text.indexOf("\n", i) < 0 ? text.length : text.indexOf("\n", i);
                const line = heredoc.strip ? text.slice(i, end).replace(/^\t+/, "") : text.slice(i, end);
                i = end + 1;
                if (line === heredoc.delimiter) break;
                heredoc.body.push(line);
            }
        }
    };
    while (i < text.length) {
        const c = text[i];
        if (c === "\\" && text[i + 1] === "\n") { i += 2; continue; }
        if (c === " " || c === "\t") { i++; continue; }
        if (c === "#") { while (i < text.length && text[i] !== "\n") i++; continue; }
        if (c === "\n") {
            // A line that ends with | && || goes on to the next.
            const last = tokens[tokens.length - 1];
            if (!(last?.kind === "op" && /^(\|\|?|\|&|&&)$/.test(last.op))) tokens.push({ kind: "op", op: "\n" });
            i++;
            skipHeredocs();
            continue;
        }
        const op = /^(\|\||\|&|&&|;;&?|;&|\||;|&(?!>)|\(|\))/.exec(text.slice(i));
        const redirect = REDIRECT.exec(text.slice(i));
        if (redirect && !(text[i] === "<" && text[i + 1] === "(") && !(text[i] === ">" && text[i + 1] === "(")) {
            const fd = redirect[1] === "&" ? "&" : redirect[1] === "" ? (redirect[2].startsWith("<") ? 0 : 1) : Number(redirect[1]);
            tokens.push({ kind: "redirect", fd, op: redirect[2] });
            i += redirect[0].length;
            continue;
        }
        if (op && !(op[1] === "(" && /[<>]$/.test(text.slice(0, i)))) { tokens.push({ kind: "op", op: op[1] }); i += op[1].length; continue; }
        // A word: runs until an unquoted blank or operator.
        let value = "";
        let literal = true;
        const start = i;
        while (i < text.length && !/[\s|&;()<>]/.test(text[i])) {
            const ch = text[i];
            if (ch === "\\") { if (text[i + 1] !== "\n") value += text[i + 1] ?? ""; i += 2; }
            else if (ch === "'") { const end = text.indexOf("'", i + 1); value += text.slice(i + 1, end < 0 ? text.length : end); i = end < 0 ? text.length : end + 1; }
            else if (ch === '"') {
                i++;
                while (i < text.length && text[i] !== '"') {
                    if (text[i] === "\\" && /["\\$`\n]/.test(text[i + 1] ?? "")) { if (text[i + 1] !== "\n") value += text[i + 1]; i += 2; continue; }
                    if (text[i] === "$" && text[i + 1] === "(") { const [inner, next] = balanced(text, i + 1); nested.push(inner); value += text.slice(i, next); i = next; literal = false; continue; }
                    if (text[i] === "$" || text[i] === "`") literal = false;
                    value += text[i++];
                }
                i++;
            } else if (ch === "$" && text[i + 1] === "(") { const [inner, next] = balanced(text, i + 1); nested.push(inner); value += text.slice(i, next); i = next; literal = false; }
            else if (ch === "`") { const end = text.indexOf("`", i + 1) < 0 ? text.length : text.indexOf("`", i + 1); nested.push(text.slice(i + 1, end)); value += text.slice(i, end + 1); i = end + 1; literal = false; }
            else { if (ch === "$") literal = false; value += ch; i++; }
        }
        // Process substitution: <(...) and >(...) run their own commands.
        if (i === start && /[<>]/.test(text[i]) && text[i + 1] === "(") { const [inner, next] = balanced(text, i + 1); nested.push(inner); tokens.push({ kind: "word", word: { text: text.slice(i, next), literal: false }, raw: text.slice(i, next) }); i = next; continue; }
        if (i === start) { i++; continue; }
        const last = tokens[tokens.length - 1];
        const heredoc = last?.kind === "redirect" && last.op.startsWith("<<") && last.op !== "<<<" ? { delimiter: value, strip: last.op === "<<-", body: [] } : undefined;
        if (heredoc) heredocs.push(heredoc);
        tokens.push({ kind: "word", word: { text: value, literal }, raw: text.slice(start, i), heredoc });
    }
    return tokens;
}

const WRAPPERS: Record<string, (args: readonly string[]) => number> = {
    // How many arguments each wrapper takes before the command it runs.
    sudo: (a) => { let n = 0; while (n < a.length && a[n].startsWith("-")) n += /^-[ugCDhprT]$/.test(a[n]) ? 2 : 1; return n; },
    env: (a) => { let n = 0; while (n < a.length && (a[n].startsWith("-") || /^[A-Za-z_][A-Za-z0-9_]*=/.test(a[n]))) n += /^-[uSC]$/.test(a[n]) ? 2 : 1; return n; },
    nice: (a) => (a[0] === "-n" ? 2 : a[0]?.startsWith("-") ? 1 : 0),
    ionice: (a) => { let n = 0; while (n < a.length && a[n].startsWith("-")) n += /^-[cnp]$/.test(a[n]) ? 2 : 1; return n; },
    timeout: (a) => { let n = 0; while (n < a.length && a[n].startsWith("-")) n += /^-[sk]$/.test(a[n]) ? 2 : 1; return n + 1; },
    nohup: () => 0,
    exec: (a) => (a[0]?.startsWith("-") ? 1 : 0),
    command: (a) => (a[0]?.startsWith("-") ? 1 : 0),
};

const basename = (path: string) => path.slice(path.lastIndexOf("/") + 1);

/** The command a simple command really runs, behind wrappers: its environment assignments and arguments. */
export const effectiveCommand = memoByObject(effectiveCommandOf);

function effectiveCommandOf(command: SimpleCommand): { env: Map<string, Word>; argv: string[] } {
    const env = new Map(command.assigns.map((a) => [a.name, a.value] as const));
    let argv = command.words.map((w) => w.text);
    for (let guard = 0; guard < 10 && argv.length > 0; guard++) {
        const name = basename(argv[0]);
        if (name in WRAPPERS) {
            const rest = argv.slice(1);
            const skip = WRAPPERS[name](rest);
            if (name === "env") for (const a of rest.slice(0, skip)) if (a.includes("=") && !a.startsWith("-")) env.set(a.slice(0, a.indexOf("=")), { text: a.slice(a.indexOf("=") + 1), literal: true });
            argv = rest.slice(skip);
        } else if (name === "docker" && argv[1] === "exec") {
            let n = 2;
            while (n < argv.length && argv[n].startsWith("-")) n += /^(-[ewu]|--(env|workdir|user|env-file))$/.test(argv[n]) ? 2 : 1;
            argv = argv.slice(n + 1);
        } else break;
    }
    return { env, argv };
}

/** Every pipeline a script runs, with those of nested scripts (`$(...)`, `bash -c`, `ssh host CMD`). */
export const pipelines = memoByText((script: string): Pipeline[] => parseScript(script, 0));

function parseScript(script: string, depth: number): Pipeline[] {
    const nested: string[] = [];
    const tokens = tokenize(script, nested);
    const result: Pipeline[] = [];
    let stages: SimpleCommand[] = [];
    let current: { assigns: SimpleCommand["assigns"][number][]; words: Word[]; redirects: Redirect[]; heredoc?: string } = { assigns: [], words: [], redirects: [] };
    const endCommand = () => {
        if (current.words.length > 0 || current.assigns.length > 0 || current.redirects.length > 0) stages.push(current);
        current = { assigns: [], words: [], redirects: [] };
    };
    const endPipeline = () => {
        endCommand();
        if (stages.length > 0) result.push({ stages });
        stages = [];
    };
    for (let t = 0; t < tokens.length; t++) {
        const token = tokens[t];
        if (token.kind === "op") {
            if (token.op === "|" || token.op === "|&") endCommand();
            else endPipeline();
        } else if (token.kind === "redirect") {
            const target = tokens[t + 1];
            if (target?.kind === "word") {
                current.redirects.push({ fd: token.fd, op: token.op, target: target.word.text });
                if (target.heredoc) current.heredoc = target.heredoc.body.map((l) => `${l}\n`).join("");
                t++;
            }
        } else if (current.words.length === 0 && /^[A-Za-z_][A-Za-z0-9_]*=/.test(token.raw)) {
            const at = token.word.text.indexOf("=");
            current.assigns.push({ name: token.word.text.slice(0, at), value: { text: token.word.text.slice(at + 1), literal: token.word.literal } });
        } else if (current.words.length === 0 && RESERVED.has(token.raw)) {
            continue;
        } else current.words.push(token.word);
    }
    endPipeline();
    if (depth > 5) return result;
    for (const inner of nested) result.push(...parseScript(inner, depth + 1));
    for (const { stages } of [...result]) {
        for (const stage of stages) {
            const { argv } = effectiveCommand(stage);
            const name = basename(argv[0] ?? "");
            const dashC = argv.indexOf("-c");
            if (/^(ba|da|z|k)?sh$/.test(name) && dashC > 0 && argv[dashC + 1] !== undefined) result.push(...parseScript(argv[dashC + 1], depth + 1));
            if (name === "ssh") {
                // ssh [options] host command...: the remote shell reads the joined words.
                let n = 1;
                while (n < argv.length && argv[n].startsWith("-")) n += /^-[bcDEeFIiJLlmOoPpRSWw]$/.test(argv[n]) ? 2 : 1;
                if (argv.length > n + 1) result.push(...parseScript(argv.slice(n + 1).join(" "), depth + 1));
            }
        }
    }
    return result;
}

/** The first word's name, without its directory. */
export const commandName = (argv: readonly string[]) => basename(argv[0] ?? "");

/** Whether a command line stops, disables or masks a unit `units` matches (`systemctl [--now] mask|disable|stop UNIT…`). */
export function stopsUnit(argv: readonly string[], units: RegExp): boolean {
    const words = argv.slice(1).filter((a) => !a.startsWith("-"));
    return commandName(argv) === "systemctl" && /^(mask|disable|stop)$/.test(words[0] ?? "") && words.slice(1).some((u) => units.test(u));
}
