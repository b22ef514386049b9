// A throwaway MariaDB server for the real tests: its own data folder and socket, root on the
// socket, started with extra flags (TLS, an address), optionally inside a network namespace.
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import * as path from "node:path";

export interface MariaDb {
    readonly socket: string;
    /** Runs SQL as root on the socket; throws with the server's message on failure. */
    sql(statement: string, database?: string): string;
    stop(): Promise<void>;
}

export async function startMariaDb(dir: string, flags: readonly string[] = [], netns?: string): Promise<MariaDb> {
    const dataDir = path.join(dir, "data");
    const socket = path.join(dir, "mysqld.sock");
    const install = spawnSync("mariadb-install-db", ["--no-defaults", "--user=root", `--datadir=${dataDir}`, "--auth-root-authentication-method=socket", "--skip-test-db"], { encoding: "utf8" });
    if (install.status !== 0) throw new Error(`mariadb-install-db: ${install.stderr}`);
    const server: ChildProcess = spawn(
        netns ? "nsenter" : "mariadbd",
        [
            ...(netns ? [`--net=/run/netns/${netns}`, "mariadbd"] : []),
            "--no-defaults", "--user=root", `--datadir=${dataDir}`, `--socket=${socket}`, `--pid-file=${path.join(dir, "mysqld.pid")}`,
            `--log-error=${path.join(dir, "error.log")}`, ...flags,
        ],
        { stdio: "ignore" },
    );
    for (let i = 0; i < 60 && spawnSync("mariadb-admin", ["--no-defaults", `--socket=${socket}`, "-uroot", "ping"]).status !== 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 500));
    }
    return {
        socket,
        sql(statement, database) {
            const result = spawnSync(
                "mariadb",
                ["--no-defaults", `--socket=${socket}`, "-uroot", "--default-character-set=utf8mb4", "--batch", "--skip-column-names", ...(database ? [database] : []), "-e", statement],
                { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 },
            );
            if (result.status !== 0) throw new Error(`${statement.slice(0, 120)}: ${result.stderr}`);
            return result.stdout;
        },
        async stop() {
            if (server.exitCode !== null) return;
            const exited = new Promise((resolve) => server.once("exit", resolve));
            server.kill("SIGTERM");
            await exited;
        },
    };
}
