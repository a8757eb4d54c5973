// Scale-out end to end: against a real `wrangler dev` with QUERY_SPLIT_FILES=4, a query over dozens
// of lake files is read by QuerySplit invocations (ctx.exports) and still answers exactly like
// DuckDB over the same files, downloaded through the API.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mulberry32 } from "../seeded-random";
import { type DevServer, startDevServer } from "./server";

const TYPES = ["page.view", "order.created", "signup", "click"];
const HOURS = 10;
const TOTAL = 4_000;

let server: DevServer;
let dir: string;
let duck: { connection: DuckDBConnection; close(): void } | undefined;

beforeAll(async () => {
  server = await startDevServer(["--var", "QUERY_SPLIT_FILES:4"]);
  dir = mkdtempSync(path.join(tmpdir(), "tarn-e2e-split-"));
});
afterAll(async () => {
  duck?.close();
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function json<T>(res: Response, status = 200): Promise<T> {
  const text = await res.text();
  if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text) as T;
}

async function newProject(): Promise<{ ingest: string; query: string }> {
  const { admin_key } = await json<{ admin_key: string }>(
    await server.api("/v1/projects", { method: "POST", token: server.adminKey, json: { name: "split" } }),
    201,
  );
  const key = async (scope: string) =>
    (
      await json<{ key: string }>(
        await server.api("/v1/keys", { method: "POST", token: admin_key, json: { name: scope, scopes: [scope] } }),
        201,
      )
    ).key;
  return { ingest: await key("ingest"), query: await key("query") };
}

function events(base: number) {
  const rnd = mulberry32(2026);
  return Array.from({ length: TOTAL }, (_, i) => ({
    eventType: TYPES[i % TYPES.length] as string,
    eventId: `split-${i}`,
    timestamp: new Date(base + Math.floor(rnd() * HOURS * 3_600_000)).toISOString(),
    userId: rnd() < 0.9 ? `user-${Math.floor(rnd() * 300)}` : undefined,
    data: { payload: { amount: Math.floor(rnd() * 1000), path: `/p${i % 7}` } },
  }));
}

/** Downloads every lake file and opens DuckDB over them as `events` and one view per type. */
async function duckdbOverLake(queryKey: string): Promise<{ connection: DuckDBConnection; close(): void }> {
  const { files } = await json<{ files: { key: string; dataset: string }[] }>(
    await server.api("/v1/lake/files", { token: queryKey }),
  );
  const local: { path: string; dataset: string }[] = [];
  // Only the event types' files: the lake also holds Tarn's own tables (the audit log's archive,
  // written when the dev server's cron runs), which are not events.
  for (const [i, f] of files.filter((x) => (TYPES as readonly string[]).includes(x.dataset)).entries()) {
    const res = await server.api(`/v1/lake/files/${f.key}`, { token: queryKey });
    expect(res.status).toBe(200);
    const file = path.join(dir, `f${i}.parquet`);
    writeFileSync(file, new Uint8Array(await res.arrayBuffer()));
    local.push({ path: file, dataset: f.dataset });
  }
  const instance = await DuckDBInstance.create(":memory:", { threads: "1" });
  const connection = await instance.connect();
  await connection.run("SET TimeZone = 'UTC'");
  const list = (fs: { path: string }[]) => `[${fs.map((f) => `'${f.path}'`).join(", ")}]`;
  await connection.run(`CREATE VIEW events AS SELECT * FROM read_parquet(${list(local)})`);
  for (const t of TYPES) {
    await connection.run(
      `CREATE VIEW "${t}" AS SELECT * FROM read_parquet(${list(local.filter((f) => f.dataset === t))})`,
    );
  }
  return {
    connection,
    close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

const plain = (v: unknown) => (typeof v === "bigint" ? Number(v) : v);

describe("a query over many files on wrangler dev", () => {
  it("is split over sub-invocations and answers like DuckDB", async () => {
    const project = await newProject();
    const base = Date.now() - (HOURS + 1) * 3_600_000;
    const all = events(base);
    // Bronze lands one file per event type and consumer batch: requests spaced past the queue's
    // batch timeout (0.2 s) land as separate batches, so the lake has dozens of files.
    for (let i = 0; i < all.length; i += 200) {
      const res = await server.api("/v1/events", {
        method: "POST",
        token: project.ingest,
        json: all.slice(i, i + 200),
      });
      expect(res.status).toBe(202);
      await new Promise((r) => setTimeout(r, 300));
    }
    const deadline = Date.now() + 90_000;
    for (;;) {
      const { data } = await json<{ data: { n: number }[] }>(
        await server.api("/v1/query", {
          method: "POST",
          token: project.query,
          json: { sql: "SELECT count(*) AS n FROM events" },
        }),
      );
      if (data[0]?.n === TOTAL) break;
      if (Date.now() > deadline) throw new Error(`only ${data[0]?.n} of ${TOTAL} events landed`);
      await new Promise((r) => setTimeout(r, 500));
    }
    duck = await duckdbOverLake(project.query);

    const queries = [
      "SELECT event_type, count(*) AS n, count(DISTINCT user_id) AS users, sum(CAST(payload->>'amount' AS INTEGER)) AS amount FROM events GROUP BY 1 ORDER BY 1",
      "SELECT epoch_ms(date_trunc('hour', ts)) AS h, count(*) AS n, max(user_id) AS top FROM events GROUP BY 1 ORDER BY 1",
      "SELECT event_id FROM events ORDER BY ts DESC, event_id LIMIT 5 OFFSET 2",
      "SELECT count(*) AS n FROM (SELECT user_id, count(*) AS c FROM events GROUP BY 1) t WHERE c >= 15",
      `SELECT payload->>'path' AS p, count(*) AS n FROM "order.created" GROUP BY 1 ORDER BY 1`,
    ];
    for (const sql of queries) {
      const answer = await json<{
        data: Record<string, unknown>[];
        statistics: { splits: number; files_read: number };
      }>(await server.api("/v1/query", { method: "POST", token: project.query, json: { sql } }));
      const reference = (await duck.connection.runAndReadAll(sql)).getRowObjectsJS();
      expect(answer.data, sql).toEqual(
        reference.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, plain(v)]))),
      );
      expect(answer.statistics.splits, sql).toBeGreaterThanOrEqual(2);
    }
  });
});
