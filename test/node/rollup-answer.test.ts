import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toBase64 } from "../../shared/base64";
import type { LakeRow } from "../../shared/lake/lake-row";
import { runQuery } from "../../shared/query/index";
import { answerFromRollups, type StoredGroup } from "../../shared/rollup/answer";
import { createRollupBuilder } from "../../shared/rollup/build";
import { FULL_LEVEL, LEVEL_NAMES, ROLLUP_LEVELS } from "../../shared/rollup/dims";
import { matchRollupQuery, type RollupPlan } from "../../shared/rollup/match";
import {
  type Answer,
  duckdbAnswer,
  duckdbOver,
  type LakeFixture,
  normalize,
  START,
  writeLakeFixture,
} from "./query-fixtures";

const iso = (ms: number) => new Date(ms).toISOString().replace("T", " ").slice(0, 19);
const H = 3_600_000;
const FROM = iso(START + 5 * H);
const TO = iso(START + 53 * H);

/** Queries the rollups must answer exactly as the engine does over the raw files. */
const ELIGIBLE = [
  "SELECT count(*) AS n FROM events",
  "SELECT event_type, count(*) AS n FROM events GROUP BY event_type ORDER BY event_type",
  "SELECT date_trunc('hour', ts) AS h, event_type, count(*) AS n FROM events GROUP BY 1, 2 ORDER BY 1, 2",
  "SELECT date_trunc('day', ts) AS d, approx_count_distinct(user_id) AS users FROM events GROUP BY 1 ORDER BY 1",
  `SELECT country, region, count(*), approx_count_distinct(session_id) AS s, approx_count_distinct(user_id) AS u FROM events WHERE ts >= TIMESTAMP '${FROM}' AND ts < TIMESTAMP '${TO}' GROUP BY country, region`,
  `SELECT environment, source, count(*) AS n FROM "page.view" WHERE ts >= TIMESTAMP '${FROM}' GROUP BY 1, 2 ORDER BY n DESC, environment, source LIMIT 5`,
  "SELECT count(*) AS n, approx_count_distinct(user_id) AS u FROM events WHERE event_type IN ('click', 'signup')",
  "SELECT event_type, count(*) AS n FROM events WHERE event_type = 'error' AND ts < TIMESTAMP '2025-03-02 00:00:00' GROUP BY 1",
  "SELECT DISTINCT event_type FROM events",
  // Empty ranges: one row of zeros without keys, no rows with keys.
  "SELECT count(*) AS n, approx_count_distinct(user_id) AS u FROM events WHERE ts >= TIMESTAMP '2030-01-01 00:00:00'",
  "SELECT event_type, count(*) AS n FROM events WHERE ts >= TIMESTAMP '2025-03-02 00:00:00' AND ts < TIMESTAMP '2025-03-02 00:00:00' GROUP BY 1",
  "SELECT count(*) AS n FROM events WHERE event_type = 'nope'",
  // One query per single-dimension level.
  "SELECT environment, count(*) AS n, approx_count_distinct(user_id) AS u FROM events GROUP BY 1",
  "SELECT date_trunc('hour', ts) AS h, source, count(*) AS n FROM events GROUP BY 1, 2 ORDER BY 1, 2",
  "SELECT country, approx_count_distinct(session_id) AS s, count(*) AS n FROM events GROUP BY 1 ORDER BY 1",
  "SELECT region, event_type, count(*) AS n FROM events WHERE event_type IN ('click', 'signup') GROUP BY 1, 2",
  // And per environment pair level.
  "SELECT environment, country, count(*) AS n, approx_count_distinct(user_id) AS u FROM events GROUP BY 1, 2 ORDER BY 1, 2",
  "SELECT environment, source, count(*) AS n FROM events GROUP BY 1, 2",
  "SELECT region, environment, approx_count_distinct(session_id) AS s FROM events GROUP BY 1, 2",
];

/** Levels chosen for queries grouping by these dimensions (event_type filters never widen the level). */
const LEVEL_CHOICES: [string, string][] = [
  ["SELECT count(*) FROM events", "event_type"],
  [
    "SELECT date_trunc('day', ts), event_type, count(*) FROM events WHERE event_type = 'click' GROUP BY 1, 2",
    "event_type",
  ],
  ["SELECT environment, count(*) FROM events GROUP BY 1", "event_type,environment"],
  ['SELECT source, count(*) FROM "page.view" GROUP BY 1', "event_type,source"],
  ["SELECT event_type, country, count(*) FROM events GROUP BY 1, 2", "event_type,country"],
  ["SELECT region, approx_count_distinct(user_id) FROM events GROUP BY 1", "event_type,region"],
  ["SELECT country, environment, count(*) FROM events GROUP BY 1, 2", "event_type,environment,country"],
  ["SELECT environment, source, count(*) FROM events GROUP BY 1, 2", "event_type,environment,source"],
  ["SELECT region, environment, count(*) FROM events GROUP BY 1, 2", "event_type,environment,region"],
  ["SELECT country, source, count(*) FROM events GROUP BY 1, 2", FULL_LEVEL],
];

const NOT_ELIGIBLE = [
  "SELECT sum(epoch_ms(ts)) FROM events",
  "SELECT count(user_id) FROM events",
  "SELECT count(DISTINCT user_id) FROM events",
  "SELECT count(*) FROM events WHERE ts >= TIMESTAMP '2025-03-01 00:30:00'",
  "SELECT count(*) FROM events WHERE ts > TIMESTAMP '2025-03-01 00:00:00'",
  "SELECT count(*) FROM events WHERE ts <= TIMESTAMP '2025-03-02 00:00:00'",
  "SELECT count(*) FROM events WHERE country = 'US'",
  "SELECT count(*) FROM events WHERE event_type = 'click' OR ts < TIMESTAMP '2025-03-02 00:00:00'",
  "SELECT event_type, count(*) FROM events GROUP BY 1 HAVING count(*) > 5",
  "SELECT event_type, count(*) AS n FROM events GROUP BY 1 ORDER BY n DESC LIMIT 2",
  "SELECT event_type, count(*) + 1 FROM events GROUP BY 1",
  "SELECT date_trunc('minute', ts), count(*) FROM events GROUP BY 1",
  "SELECT date_trunc('hour', received_at), count(*) FROM events GROUP BY 1",
  "SELECT colo, count(*) FROM events GROUP BY 1",
  "SELECT count(*) FROM (SELECT * FROM events)",
  "SELECT event_id FROM events",
  "SELECT count(*) FROM nonsense WHERE",
];

function groupsOf(rows: LakeRow[], base64 = false): StoredGroup[] {
  const b = createRollupBuilder();
  b.add(rows);
  const out: StoredGroup[] = [];
  for (const list of b.groups().values()) {
    for (const g of list) {
      out.push(
        base64
          ? { ...g, sketches: { user_id: toBase64(g.sketches.user_id), session_id: toBase64(g.sketches.session_id) } }
          : g,
      );
    }
  }
  return out;
}

const sortRows = (rows: unknown[][]) =>
  rows.map((r) => r.map(normalize)).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));

/** Every level that keeps the plan's dimensions, the chosen (smallest) one first. */
function coveringLevels(plan: RollupPlan): string[] {
  const need = plan.keys.flatMap((k) => (k.kind === "dim" ? [k.dim] : []));
  const names = ROLLUP_LEVELS.flatMap((l, i) =>
    need.every((d) => (l as readonly string[]).includes(d)) ? [LEVEL_NAMES[i] as string] : [],
  );
  expect(names[0]).toBe(plan.level);
  return names;
}

/** The engine's answer over the raw files equals the rollups' at the chosen level and every coarser-or-finer level that covers the query. */
async function expectRollupEqualsEngine(fixture: LakeFixture, groups: StoredGroup[], sql: string) {
  const plan = matchRollupQuery(sql);
  expect(plan, sql).not.toBeNull();
  const fromRaw = await runQuery(sql, fixture.catalog);
  let chosen: ReturnType<typeof answerFromRollups> | undefined;
  for (const level of coveringLevels(plan as RollupPlan)) {
    const fromRollup = answerFromRollups({ ...(plan as RollupPlan), level }, groups);
    chosen ??= fromRollup;
    expect(fromRollup.meta, `${level}: ${sql}`).toEqual(fromRaw.meta);
    if (/ORDER BY/i.test(sql)) expect(fromRollup.rows, `${level}: ${sql}`).toEqual(fromRaw.rows);
    else expect(sortRows(fromRollup.rows), `${level}: ${sql}`).toEqual(sortRows(fromRaw.rows));
  }
  return chosen as ReturnType<typeof answerFromRollups>;
}

describe("answering from rollups", () => {
  let fixture: LakeFixture;
  let groups: StoredGroup[];
  beforeAll(async () => {
    fixture = await writeLakeFixture();
    groups = groupsOf(fixture.rows, true);
  });
  afterAll(() => fixture.close());

  it.each(ELIGIBLE)("gives the engine's exact answer: %s", async (sql) => {
    await expectRollupEqualsEngine(fixture, groups, sql);
  });

  it.each(LEVEL_CHOICES)("serves %s from the smallest covering level (%s)", (sql, level) => {
    expect(matchRollupQuery(sql)?.level).toBe(level);
  });

  it("builds every level from the same rows: each level counts every event once", () => {
    expect(new Set(groups.map((g) => g.level))).toEqual(new Set(LEVEL_NAMES));
    for (const level of LEVEL_NAMES) {
      const of = groups.filter((g) => g.level === level);
      expect(
        of.reduce((n, g) => n + g.count, 0),
        level,
      ).toBe(fixture.rows.length);
      // Dimensions a level does not keep are null in all its groups.
      const kept = new Set(level.split(","));
      for (const g of of) for (const [d, v] of Object.entries(g.dims)) if (!kept.has(d)) expect(v).toBeNull();
    }
    // Coarser levels really are smaller than the full cube.
    const size = (l: string) => groups.filter((g) => g.level === l).length;
    expect(size("event_type")).toBeLessThan(size(FULL_LEVEL));
  });

  it.each(NOT_ELIGIBLE)("leaves a query it cannot answer exactly to the engine: %s", (sql) => {
    expect(matchRollupQuery(sql)).toBeNull();
  });

  it("gives DuckDB's counts over the same files", async () => {
    const duck = await duckdbOver(fixture);
    try {
      for (const sql of ELIGIBLE.filter((q) => !q.includes("approx_count_distinct"))) {
        const plan = matchRollupQuery(sql);
        const ours = answerFromRollups(plan as NonNullable<typeof plan>, groups);
        const theirs: Answer = await duckdbAnswer(duck.connection, sql);
        expect(
          ours.meta.map((m) => m.name),
          sql,
        ).toEqual(theirs.names);
        if (/ORDER BY/i.test(sql))
          expect(
            ours.rows.map((r) => r.map(normalize)),
            sql,
          ).toEqual(theirs.rows);
        else expect(sortRows(ours.rows), sql).toEqual(sortRows(theirs.rows));
      }
    } finally {
      duck.close();
    }
  });

  it("merges dense sketches to exactly the engine's approx_count_distinct", async () => {
    // 30,000 distinct users over 30 hours: every hour's sketch is dense, as is the merged one.
    const rows: LakeRow[] = (fixture.rows.slice(0, 1) as LakeRow[]).flatMap((proto) =>
      Array.from({ length: 60_000 }, (_, i) => ({
        ...proto,
        event_id: `d${i}`,
        event_type: "page.view",
        ts: START + (i % 30) * H + (i % 977),
        user_id: `user-${i % 30_000}`,
        session_id: `s-${i}`,
      })),
    );
    const dense = await writeLakeFixture(rows);
    try {
      const answer = await expectRollupEqualsEngine(
        dense,
        groupsOf(rows),
        "SELECT date_trunc('day', ts) AS d, approx_count_distinct(user_id) AS u, approx_count_distinct(session_id) AS s, count(*) AS n FROM events GROUP BY 1 ORDER BY 1",
      );
      // Day one holds hours 0–23: 48,000 events of 24,000 users.
      expect(answer.rows[0]?.[3]).toBe(48_000);
      expect(Math.abs((answer.rows[0]?.[1] as number) / 24_000 - 1)).toBeLessThan(0.03);
    } finally {
      await dense.close();
    }
  });
});
