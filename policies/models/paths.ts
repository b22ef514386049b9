// Host paths as the kernel and Docker read them: Docker cleans a bind mount's source lexically (Go's
// filepath.Clean: `//` is `/`, `.` goes, `..` removes the previous element, never above `/`, no
// trailing slash), so `/srv/elabftw/../x` is `/x` and lives wherever `/x` lives.
import { posix } from "node:path";

/** The path Docker and the kernel resolve (lexically; a relative path is taken from `/`). */
export function normalisePath(path: string): string {
    const clean = posix.normalize(`/${path}`);
    return clean.length > 1 ? clean.replace(/\/+$/, "") : "/";
}

/** A path at or below a mount point, both normalised first. */
export function isUnder(path: string, mountPoint: string): boolean {
    const [p, m] = [normalisePath(path), normalisePath(mountPoint)];
    return m === "/" || p === m || p.startsWith(`${m}/`);
}

/**
 * Symbolic links a script makes, as ln(1) reads its arguments: `ln -s[fnT...] TARGET LINK`, and
 * `ln -s TARGET... DIRECTORY` (each link named after its target in the directory, when the last
 * argument ends with `/` or -t names it). Relative targets are taken from the link's directory.
 */
export function symlinksMade(argvs: readonly (readonly string[])[]): Map<string, string> {
    const links = new Map<string, string>();
    for (const argv of argvs) {
        if (argv[0]?.replace(/^.*\//, "") !== "ln") continue;
        const options = argv.slice(1).filter((a) => a.startsWith("-") && a !== "-");
        if (!options.some((o) => /^-[a-zA-Z]*s/.test(o) || o === "--symbolic")) continue;
        const dirOption = argv.findIndex((a) => a === "-t" || a === "--target-directory");
        const words = argv.slice(1).filter((a, i) => !(a.startsWith("-") && a !== "-") && i + 1 !== dirOption + 1);
        const directory = dirOption > 0 ? argv[dirOption + 1] : words.length > 2 || words.at(-1)?.endsWith("/") ? words.at(-1) : undefined;
        const targets = directory ? words.filter((w) => w !== directory) : words.slice(0, 1);
        for (const target of targets) {
            const link = directory ? `${directory}/${posix.basename(target)}` : words[1];
            if (!link) continue;
            links.set(normalisePath(link), normalisePath(target.startsWith("/") ? target : `${posix.dirname(normalisePath(link))}/${target}`));
        }
    }
    return links;
}

/** Where a path really is once the given symbolic links are followed (the longest link prefix, repeatedly, at most 8 times as a guard). */
export function followLinks(path: string, links: ReadonlyMap<string, string>): string {
    let current = normalisePath(path);
    for (let hop = 0; hop < 8; hop++) {
        const link = [...links.keys()].filter((l) => isUnder(current, l)).sort((a, b) => b.length - a.length)[0];
        if (!link) break;
        current = normalisePath(`${links.get(link)}/${current.slice(link.length)}`);
    }
    return current;
}
