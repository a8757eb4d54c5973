// A lake file's bytes, once a query read them, are kept in the isolate (QUERY_CACHE_MB) for the
// queries after it: the next query that misses the answer cache makes no R2 read for them. Shown by
// taking the objects away after the first query: the second still answers, from memory.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, createKey, createProject } from "./helpers";
import { deliver, message, queued } from "./lake-helpers";

const T = Date.UTC(2026, 10, 21, 0);

async function ask(token: string, sql: string) {
  const res = await call("/v1/query", { method: "POST", token, json: { sql } });
  return { status: res.status, body: (await res.json()) as { data: Record<string, unknown>[] } };
}

async function lakeKeys(projectId: string): Promise<string[]> {
  const rows = await env.DB.prepare("SELECT key FROM lake_files WHERE project_id = ? AND removed_snapshot IS NULL")
    .bind(projectId)
    .all<{ key: string }>();
  return rows.results.map((r) => r.key);
}

describe("the query byte cache", () => {
  it("answers a repeated query's scan from the bytes the first one read, not from R2", async () => {
    const p = await createProject("bytecache");
    const { key } = await createKey(p.adminKey, ["query"]);
    const events = Array.from({ length: 300 }, (_, i) =>
      queued(p.id, `e${i}`, { event_type: i % 2 ? "click" : "view", ts: T + i * 1000, user_id: `u${i % 37}` }),
    );
    await deliver([message(p.id, events)]);
    const sql = "SELECT event_type, count(*) AS n, count(DISTINCT user_id) AS users FROM events GROUP BY 1 ORDER BY 1";
    const first = await ask(key, `${sql} -- first`);
    expect(first.status).toBe(200);
    expect(first.body.data).toEqual([
      { event_type: "click", n: 150, users: 37 },
      { event_type: "view", n: 150, users: 37 },
    ]);

    const keys = await lakeKeys(p.id);
    expect(keys.length).toBeGreaterThan(0);
    await env.LAKE.delete(keys);
    // Another text: the answer cache cannot serve it, so the engine reads the files again.
    const second = await ask(key, `${sql} -- second`);
    expect(second.status).toBe(200);
    expect(second.body.data).toEqual(first.body.data);

    // A file no query has read yet is not in memory: its object gone, the query cannot answer.
    await deliver([message(p.id, [queued(p.id, "late", { event_type: "click", ts: T, user_id: "u1" })])]);
    const fresh = (await lakeKeys(p.id)).filter((k) => !keys.includes(k));
    expect(fresh.length).toBe(1);
    await env.LAKE.delete(fresh);
    const third = await ask(key, `${sql} -- third`);
    expect(third.status).toBeGreaterThanOrEqual(400);
  });
});
