// Container image references as Docker parses them: [registry[:port]/][namespace/]name[:tag][@digest];
// no registry means docker.io, a single name on docker.io means library/<name>. The family says
// which software it is, whatever the spelling (mysql, docker.io/library/mysql, mysql/mysql-server...).
export interface ImageReference {
    readonly registry: string;
    readonly repository: string;
    readonly tag?: string;
    readonly digest?: string;
    readonly family?: "mysql" | "percona" | "mariadb" | "elabftw";
    /** Numeric parts of the tag's leading version (8.4.8-oracle -> [8, 4, 8]). */
    readonly version?: number[];
}

const FAMILIES: Record<string, ImageReference["family"]> = {
    "docker.io/library/mysql": "mysql",
    "docker.io/mysql/mysql-server": "mysql",
    "container-registry.oracle.com/mysql/community-server": "mysql",
    "container-registry.oracle.com/mysql/enterprise-server": "mysql",
    "docker.io/library/percona": "percona",
    "docker.io/percona/percona-server": "percona",
    "docker.io/library/mariadb": "mariadb",
    "docker.io/mariadb/server": "mariadb",
    "quay.io/mariadb-foundation/mariadb-devel": "mariadb",
    "docker.io/elabftw/elabimg": "elabftw",
};

export function parseImageReference(text: string): ImageReference | undefined {
    const [rest, digest] = text.trim().split("@");
    if (!rest) return undefined;
    const parts = rest.split("/");
    const hasRegistry = parts.length > 1 && (/[.:]/.test(parts[0]) || parts[0] === "localhost");
    const registry = hasRegistry ? parts.shift()!.replace(/^(index\.)?docker\.io$/, "docker.io") : "docker.io";
    const last = parts.pop()!;
    const colon = last.indexOf(":");
    const name = colon < 0 ? last : last.slice(0, colon);
    const tag = colon < 0 ? undefined : last.slice(colon + 1);
    const path = [...parts, name].join("/").toLowerCase();
    const repository = registry === "docker.io" && !path.includes("/") ? `library/${path}` : path;
    const version = tag ? /^v?(\d+(?:\.\d+)*)/.exec(tag)?.[1].split(".").map(Number) : undefined;
    return { registry, repository, tag, digest, family: FAMILIES[`${registry}/${repository}`], version };
}

/** a older than b, comparing only the parts a gives (a tag "8" says nothing about 8.4 vs 8.0). */
export function olderThan(a: readonly number[], b: readonly number[]): boolean | undefined {
    for (let i = 0; i < b.length; i++) {
        if (a[i] === undefined) return undefined;
        if (a[i] !== b[i]) return a[i] < b[i];
    }
    return false;
}
