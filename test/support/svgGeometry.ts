// Reads Graphviz's SVG output: the title bars of the VM boxes (the rectangles filled #5b6b8c) and
// the edges' Bézier paths, to check that no edge is drawn through a title.

type Point = readonly [number, number];
interface Box {
    readonly node: string;
    readonly x1: number;
    readonly y1: number;
    readonly x2: number;
    readonly y2: number;
}

const points = (text: string): Point[] => [...text.matchAll(/(-?[\d.]+),(-?[\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);

/** The title bar of each VM box. */
export function titleBars(svg: string): Box[] {
    return [...svg.matchAll(/<g id="node\d+" class="node">\n<title>([^<]+)<\/title>([\s\S]*?)<\/g>/g)].flatMap(([, node, body]) =>
        [...body.matchAll(/<polygon fill="#5b6b8c" stroke="none" points="([^"]+)"/g)].map(([, list]) => {
            const p = points(list);
            const xs = p.map(([x]) => x);
            const ys = p.map(([, y]) => y);
            return { node, x1: Math.min(...xs), y1: Math.min(...ys), x2: Math.max(...xs), y2: Math.max(...ys) };
        }),
    );
}

/** Points along an edge's path ("M p C p p p p p p ..."), 20 per cubic segment. */
export function sampleEdge(d: string): Point[] {
    const p = points(d);
    const found: Point[] = [p[0]];
    for (let i = 0; i + 3 < p.length; i += 3) {
        const [a, b, c, e] = [p[i], p[i + 1], p[i + 2], p[i + 3]];
        for (let step = 1; step <= 20; step++) {
            const t = step / 20;
            const u = 1 - t;
            found.push([u * u * u * a[0] + 3 * u * u * t * b[0] + 3 * u * t * t * c[0] + t * t * t * e[0], u * u * u * a[1] + 3 * u * u * t * b[1] + 3 * u * t * t * c[1] + t * t * t * e[1]]);
        }
    }
    return found;
}

/** "edge title crosses node's title bar" for every edge with a point inside a title bar (1 pt margin). */
export function titleCrossings(svg: string): string[] {
    const bars = titleBars(svg);
    if (bars.length === 0) throw new Error("no VM title bar found in the SVG");
    const crossings: string[] = [];
    for (const [, title, d] of svg.matchAll(/<g id="edge\d+" class="edge">\n<title>([^<]+)<\/title>\n<path [^>]*d="([^"]+)"/g)) {
        for (const bar of bars) {
            if (sampleEdge(d).some(([x, y]) => x > bar.x1 + 1 && x < bar.x2 - 1 && y > bar.y1 + 1 && y < bar.y2 - 1)) crossings.push(`${title} crosses ${bar.node}'s title`);
        }
    }
    return crossings;
}
