// One distinct count everywhere: the same events counted by a live window, by the rollups and by SQL's
// approx_count_distinct give the identical estimate, because all three use one sketch and one hash.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toBase64 } from "../../../shared/base64";
import type { LakeRow } from "../../../shared/lake/lake-row";
import { GroupState, type GroupStateJson, mergeStateJson } from "../../../shared/live/group-state";
import { MetricDefinitionSchema, type StoredMetric } from "../../../shared/live/metric-def";
import { computePartials } from "../../../shared/live/partials";
import { renderWindow } from "../../../shared/live/render";
import { runQuery } from "../../../shared/query/index";
import { answerFromRollups, type StoredGroup } from "../../../shared/rollup/answer";
import { createRollupBuilder } from "../../../shared/rollup/build";
import { matchRollupQuery } from "../../../shared/rollup/match";
import { type LakeFixture, START, writeLakeFixture } from "../query-fixtures";

const HOUR = 3_600_000;

/** `n` click events in one hour, of `users` distinct users (every 13th event has none) and 1,800 amounts. */
function events(n: number, users: number): LakeRow[] {
  return Array.from({ length: n }, (_, i) => ({
    event_id: `e${i}`,
    event_type: "click",
    ts: START + 10 * HOUR + ((i * 7919) % HOUR),
    received_at: START + 10 * HOUR + ((i * 7919) % HOUR) + 3,
    user_id: i % 13 === 0 ? null : `user-${(i * 31) % users}`,
    session_id: `s${i % 97}`,
    correlation_id: null,
    source: "web",
    version: null,
    environment: "production",
    region: null,
    request_id: null,
    country: null,
    colo: null,
    payload: JSON.stringify({ amount: i % 1800, ok: i % 2 === 0 }),
    metadata: null,
  }));
}

const METRIC: StoredMetric = {
  id: "met_distinct",
  ...MetricDefinitionSchema.parse({
    name: "distinct",
    windows: ["1d"],
    aggregates: [
      { fn: "distinct", field: "user_id" },
      { fn: "distinct", field: "payload.amount" },
    ],
  }),
};

/** The live path: partials of three consumer batches, merged state by state as a window shard stores them. */
function live(rows: LakeRow[]): Record<string, unknown> {
  const third = Math.ceil(rows.length / 3);
  const stored = new Map<string, { values: (string | number | boolean | null)[]; state: GroupStateJson }>();
  for (let b = 0; b < 3; b++) {
    for (const window of computePartials(METRIC, rows.slice(b * third, (b + 1) * third))) {
      for (const g of window.groups) {
        const had = stored.get(g.key);
        stored.set(g.key, { values: g.values, state: had ? mergeStateJson(had.state, g.state) : g.state });
      }
    }
  }
  const groups = [...stored].map(([key, g]) => ({ key, values: g.values, state: g.state }));
  return (renderWindow(METRIC, groups) as { values: Record<string, unknown> }).values;
}

/** The rollup path: hourly groups built from the rows, their sketches as base64 as D1 holds them. */
function rollup(rows: LakeRow[], sql: string): unknown {
  const builder = createRollupBuilder();
  builder.add(rows);
  const groups: StoredGroup[] = [...builder.groups().values()].flat().map((g) => ({
    ...g,
    sketches: { user_id: toBase64(g.sketches.user_id), session_id: toBase64(g.sketches.session_id) },
  }));
  const plan = matchRollupQuery(sql);
  if (!plan) throw new Error(`no rollup plan for ${sql}`);
  return answerFromRollups(plan, groups).rows[0]?.[0];
}

describe.each([
  [5000, 300],
  [6000, 2500],
  [40_000, 20_000],
])("%i events of %i users", (n, users) => {
  const rows = events(n, users);
  let fixture: LakeFixture;
  beforeAll(async () => {
    fixture = await writeLakeFixture(rows);
  });
  afterAll(() => fixture.close());

  it("give one distinct-user estimate live, from rollups and in SQL", async () => {
    const sql = "SELECT approx_count_distinct(user_id) AS u FROM events";
    const engine = (await runQuery(sql, fixture.catalog)).rows[0]?.[0];
    const exact = (await runQuery("SELECT count(DISTINCT user_id) FROM events", fixture.catalog)).rows[0]?.[0];
    expect(exact).toBe(users);
    expect(live(rows).distinct_user_id).toBe(engine);
    expect(rollup(rows, sql)).toBe(engine);
    expect(Math.abs((engine as number) - users)).toBeLessThanOrEqual(users * 0.025); // 3σ at 2^14 registers
    if (users <= 1024) expect(engine).toBe(users); // exact while sparse
  });

  it("give one estimate for numbers live and in SQL (hashed by value, not by text)", async () => {
    const sql = "SELECT approx_count_distinct(CAST(payload->>'amount' AS BIGINT)) AS a FROM events";
    const engine = (await runQuery(sql, fixture.catalog)).rows[0]?.[0];
    expect(live(rows).distinct_payload_amount).toBe(engine);
    expect(Math.abs((engine as number) - Math.min(n, 1800))).toBeLessThanOrEqual(1800 * 0.025);
  });
});

describe("a live group's state", () => {
  it("is the same sketch SQL builds: the same hashes in, the same bytes out", () => {
    const state = new GroupState();
    const rows = events(3000, 2000);
    for (const r of computePartials(METRIC, rows)[0]?.groups ?? []) state.merge(GroupState.fromJSON(r.state));
    const builder = createRollupBuilder();
    builder.add(rows);
    const [group] = [...builder.groups().values()].flat().filter((g) => g.level === "event_type");
    expect(state.toJSON().hll?.user_id).toBe(toBase64(group?.sketches.user_id as Uint8Array));
  });
});
