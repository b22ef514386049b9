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
