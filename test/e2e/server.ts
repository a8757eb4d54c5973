// Starts a real `wrangler dev` through the project's dev script, on free ports and fresh local state.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..", "..");

/** A request as tests write it: a bearer token and a JSON body, both optional. */
export interface ApiInit {
  method?: string;
  token?: string;
  json?: unknown;
}

export interface DevServer {
  url: string;
  /** The worker's DevTools inspector (what bench/isolate-profile.ts samples). */
  inspectorPort: number;
  adminKey: string;
  /** Calls the server like a client: `Authorization: Bearer`, JSON body. */
  api: (path: string, init?: ApiInit) => Promise<Response>;
  logs: () => string;
  stop: () => Promise<void>;
}

/** A free loopback TCP port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

function readAdminKey(): string {
  const vars = readFileSync(path.join(root, ".dev.vars"), "utf8");
  const m = /^ADMIN_API_KEY=(.+)$/m.exec(vars);
  if (!m?.[1]) throw new Error(".dev.vars has no ADMIN_API_KEY");
  return m[1].trim();
}

/**
 * Runs `npm run dev`'s script with extra wrangler flags and waits until /health answers. Local state
 * is fresh and removed at stop, unless `options.state` names a directory to use and keep (a bench
 * that lands a large lake once and queries it across runs).
 */
export async function startDevServer(extraArgs: string[] = [], options: { state?: string } = {}): Promise<DevServer> {
  const port = await freePort();
  const inspector = await freePort();
  if (options.state) mkdirSync(options.state, { recursive: true });
  const state = options.state ?? mkdtempSync(path.join(tmpdir(), "tarn-e2e-"));
  let output = "";
  const child: ChildProcess = spawn(
    process.execPath,
    [
      "scripts/dev.mjs",
      "--port",
      String(port),
      "--inspector-port",
      String(inspector),
      "--persist-to",
      state,
      ...extraArgs,
    ],
    { cwd: root, env: { ...process.env, WRANGLER_SEND_METRICS: "false" }, stdio: ["ignore", "pipe", "pipe"] },
  );
  child.stdout?.on("data", (d) => {
    output += d;
  });
  child.stderr?.on("data", (d) => {
    output += d;
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`dev server exited early:\n${output}`);
    try {
      const res = await fetch(`${url}/health`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`dev server did not become healthy in 90 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    url,
    inspectorPort: inspector,
    adminKey: readAdminKey(),
    api: (route, init = {}) => {
      const headers: Record<string, string> = {};
      if (init.token) headers.Authorization = `Bearer ${init.token}`;
      if (init.json !== undefined) headers["Content-Type"] = "application/json";
      return fetch(`${url}${route}`, {
        method: init.method ?? "GET",
        headers,
        body: init.json === undefined ? undefined : JSON.stringify(init.json),
      });
    },
    logs: () => output,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) child.kill("SIGKILL");
      }
      if (!options.state) rmSync(state, { recursive: true, force: true });
    },
  };
}
