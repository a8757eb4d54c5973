import { describe, expect, it } from "vitest";
import { call, createKey, createProject } from "./helpers";
import { deliver, message, queued } from "./lake-helpers";

const T = Date.UTC(2026, 10, 20, 9);
const MIN = 60_000;

/** Signups and orders of three users over several files (the test Worker splits scans of more than 2). */
async function shop() {
  const p = await createProject("sql2");
  const { key } = await createKey(p.adminKey, ["query"]);
  const ev = (id: string, type: string, user: string, minutes: number, amount?: number) =>
    queued(p.id, id, {
      event_type: type,
      user_id: user,
      ts: T + minutes * MIN,
      payload: JSON.stringify(amount === undefined ? {} : { amount }),
    });
  await deliver([
    message(p.id, [ev("s1", "signup", "ann", 0), ev("s2", "signup", "bob", 5), ev("s3", "signup", "cy", 9)]),
  ]);
  await deliver([message(p.id, [ev("o1", "order.created", "ann", 30, 10), ev("o2", "order.created", "ann", 40, 20)])]);
  await deliver([message(p.id, [ev("o3", "order.created", "bob", 2, 5), ev("o4", "order.created", "dee", 50, 7)])]);
  await deliver([message(p.id, [ev("o5", "order.created", "cy", 70, 1)])]);
  return { ...p, query: key };
}

interface Answer {
  data: Record<string, unknown>[];
  statistics: Record<string, number | boolean>;
  explain?: {
    tables: string[];
    joins: { type: string; build: string; keys: number; tables: { left: string[]; right: string[] } }[];
    scans: { table: string; depth: number; splits: number }[];
  };
}

const sql = async (token: string, text: string): Promise<Answer> => {
  const res = await call("/v1/query", { method: "POST", token, json: { sql: text } });
  if (res.status !== 200) throw new Error(`${res.status} ${await res.text()}`);
  return (await res.json()) as Answer;
};

describe("SQL, second edition, through /v1/query", () => {
  it("joins per-type tables with split scans, and answers outer joins with NULLs", async () => {
    const p = await shop();
    const joined = await sql(
      p.query,
      `SELECT s.user_id, count(*) AS orders FROM "order.created" o JOIN signup s ON o.user_id = s.user_id
       WHERE o.ts >= TIMESTAMP '2026-11-20 09:01:00' GROUP BY 1 ORDER BY 1`,
    );
    expect(joined.data).toEqual([
      { user_id: "ann", orders: 2 },
      { user_id: "bob", orders: 1 },
      { user_id: "cy", orders: 1 },
    ]);
    // The filtered side's scan was split (the test Worker splits scans of more than 2 files).
    expect(joined.statistics.splits).toBeGreaterThanOrEqual(2);
    const converted = await sql(
      p.query,
      `SELECT s.user_id, count(o.event_id) AS orders, sum(CAST(o.payload->>'amount' AS INTEGER)) AS spent
       FROM signup s LEFT JOIN "order.created" o ON o.user_id = s.user_id AND o.ts > s.ts
       GROUP BY 1 ORDER BY 1`,
    );
    expect(converted.data).toEqual([
      { user_id: "ann", orders: 2, spent: 30 },
      { user_id: "bob", orders: 0, spent: null },
      { user_id: "cy", orders: 1, spent: 1 },
    ]);
    const full = await sql(
      p.query,
      'SELECT user_id FROM signup FULL JOIN "order.created" USING (user_id) GROUP BY 1 ORDER BY 1',
    );
    expect(full.data.map((r) => r.user_id)).toEqual(["ann", "bob", "cy", "dee"]);
  });

  it("answers set operations, subqueries, windows and QUALIFY", async () => {
    const p = await shop();
    const never = await sql(p.query, 'SELECT user_id FROM "order.created" EXCEPT SELECT user_id FROM signup');
    expect(never.data).toEqual([{ user_id: "dee" }]);
    const buyers = await sql(
      p.query,
      `SELECT user_id FROM signup s WHERE EXISTS (SELECT 1 FROM "order.created" o WHERE o.user_id = s.user_id AND o.payload->>'amount' = '10') ORDER BY 1`,
    );
    expect(buyers.data).toEqual([{ user_id: "ann" }]);
    const first = await sql(
      p.query,
      `SELECT user_id, event_id, ts - lag(ts) OVER (PARTITION BY user_id ORDER BY ts) AS since FROM "order.created"
       QUALIFY row_number() OVER (PARTITION BY user_id ORDER BY ts DESC) = 1 ORDER BY user_id`,
    );
    expect(first.data.map((r) => [r.user_id, r.event_id])).toEqual([
      ["ann", "o2"],
      ["bob", "o3"],
      ["cy", "o5"],
      ["dee", "o4"],
    ]);
  });

  it("EXPLAIN names the tables and the join's build side", async () => {
    const p = await shop();
    const plan = await sql(p.query, 'EXPLAIN SELECT count(*) FROM "order.created" o JOIN signup s USING (user_id)');
    expect(plan.explain?.tables.sort()).toEqual(["order.created", "signup"]);
    expect(plan.explain?.joins).toEqual([
      expect.objectContaining({
        type: "inner",
        keys: 1,
        build: "right",
        tables: { left: ["order.created"], right: ["signup"] },
      }),
    ]);
    expect(plan.data.map((r) => r.plan).join("\n")).toContain("build right side (signup");
  });

  it("lists each dataset with the name SQL uses for its table", async () => {
    const p = await shop();
    const res = await call("/v1/datasets", { token: p.query });
    const { datasets } = (await res.json()) as { datasets: { name: string; table: string }[] };
    expect(datasets.map((d) => [d.name, d.table]).sort()).toEqual([
      ["order.created", '"order.created"'],
      ["signup", "signup"],
    ]);
  });
});
