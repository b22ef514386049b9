// Several policies read the same texts (scripts, user-data, addresses) on every evaluation: each pure
// model reads a given text once. Results are shared, so callers must not mutate them.

/** `read` with its results kept by argument; the cache is dropped when it grows past `limit`. */
export function memoByText<T>(read: (text: string) => T, limit = 4000): (text: string) => T {
    const seen = new Map<string, T>();
    return (text) => {
        if (seen.has(text)) return seen.get(text)!;
        if (seen.size >= limit) seen.clear();
        const result = read(text);
        seen.set(text, result);
        return result;
    };
}

/** `read` with its results kept per object, for as long as the object lives. */
export function memoByObject<K extends object, T>(read: (key: K) => T): (key: K) => T {
    const seen = new WeakMap<K, T>();
    return (key) => {
        if (seen.has(key)) return seen.get(key)!;
        const result = read(key);
        seen.set(key, result);
        return result;
    };
}
