// Window maths of the live path, as pure functions: partials merged in any order give the same window.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fromBase64, toBase64 } from "../../shared/base64";
import type { QueuedEvent } from "../../shared/events/queue-message";
import { DDSketch } from "../../shared/live/dd-sketch";
import { EventView } from "../../shared/live/fields";
import { matchesFilter } from "../../shared/live/filter";
import { GroupState, GroupStateJson, mergeStateJson } from "../../shared/live/group-state";
import { EVENTS_METRIC, MetricDefinitionSchema, type StoredMetric } from "../../shared/live/metric-def";
import { computePartials, WindowAccumulator, type WindowPartial } from "../../shared/live/partials";
import { renderWindow } from "../../shared/live/render";
import { isBeyondRetention, WINDOW_MS, WINDOW_SIZES, windowStart } from "../../shared/live/window-size";

const T0 = Date.UTC(2026, 10, 20, 10, 0, 0);

function event(i: number, e: { type: string; dt: number; user: number; amount: number; latency: number }): QueuedEvent {
  return {
    event_id: `e${i}`,
    event_type: e.type,
    ts: T0 + e.dt,
    received_at: T0 + e.dt + 5,
    user_id: `u${e.user}`,
    session_id: null,
    correlation_id: null,
    source: "prop",
    version: null,
    environment: null,
    region: e.user % 2 ? "eu" : "us",
    request_id: null,
    country: null,
    colo: null,
    payload: JSON.stringify({ amount: e.amount, latency: e.latency, nested: { ok: e.amount % 2 === 0 } }),
    metadata: null,
  };
}

const eventArb = fc.record({
  type: fc.constantFrom("page.view", "order.created", "signup"),
  dt: fc.integer({ min: 0, max: 150_000 }),
  user: fc.integer({ min: 0, max: 40 }),
  amount: fc.integer({ min: -1000, max: 100_000 }),
  latency: fc.double({ min: 0.001, max: 10_000, noNaN: true }),
});
const eventsArb = fc.array(eventArb, { minLength: 1, maxLength: 120 }).map((es) => es.map((e, i) => event(i, e)));

const RICH: StoredMetric = {
  id: "met_test",
  ...MetricDefinitionSchema.parse({
    name: "rich",
    windows: ["1s", "10s", "1m"],
    aggregates: [
      { fn: "count" },
      { fn: "sum", field: "payload.amount" },
      { fn: "avg", field: "payload.amount" },
      { fn: "min", field: "payload.amount" },
      { fn: "max", field: "payload.amount" },
      { fn: "distinct", field: "user_id" },
      { fn: "quantiles", field: "payload.latency", qs: [0.5, 0.9, 0.99] },
    ],
    group_by: ["event_type", "region"],
    top_k: 5,
  }),
};

/** Splits `events` into chunks at the given cut points. */
function chunks<T>(items: T[], cuts: number[]): T[][] {
  const points = [...new Set(cuts.map((c) => c % (items.length + 1)))].sort((a, b) => a - b);
  const out: T[][] = [];
  let prev = 0;
  for (const p of [...points, items.length]) {
    out.push(items.slice(prev, p));
    prev = p;
  }
  return out;
}

describe("partials", () => {
  it("merged in any order and any split, give the same windows as one pass over all events", () => {
    fc.assert(
      fc.property(
        eventsArb,
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.func(fc.integer()),
        fc.constantFrom(RICH, EVENTS_METRIC),
        (events, cuts, order, metric) => {
          const whole = computePartials(metric, events);
          const parts = chunks(events, cuts).map((c) => computePartials(metric, c));
          const shuffled = parts
            .map((p, i) => ({ p, k: order(i) }))
            .sort((a, b) => a.k - b.k)
            .map((x) => x.p);
          const merged = new WindowAccumulator(metric);
          for (const p of shuffled) merged.addPartials(p);
          expect(merged.toPartials()).toEqual(whole);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("merged state by state, as a shard does, is commutative and associative", () => {
    fc.assert(
      fc.property(eventsArb, eventsArb, eventsArb, (a, b, c) => {
        const state = (es: QueuedEvent[]) => {
          const g = new GroupState();
          for (const e of es)
            g.add(new EventView(e), {
              numeric: ["payload.amount"],
              distinct: ["user_id"],
              quantile: ["payload.latency"],
            });
          return g.toJSON();
        };
        const [sa, sb, sc] = [state(a), state(b), state(c)];
        expect(mergeStateJson(sa, sb)).toEqual(mergeStateJson(sb, sa));
        expect(mergeStateJson(mergeStateJson(sa, sb), sc)).toEqual(mergeStateJson(sa, mergeStateJson(sb, sc)));
        expect(mergeStateJson(sa, mergeStateJson(sb, sc))).toEqual(state([...a, ...b, ...c]));
      }),
      { numRuns: 100 },
    );
  });

  it("leaves out exactly the windows a shard no longer keeps, when told the time", () => {
    fc.assert(
      fc.property(eventsArb, fc.integer({ min: -10_000, max: 160_000 }), (events, later) => {
        // 1 s windows are kept for an hour: around T0 + 1 h some of these windows have gone, some not.
        const keptAt = T0 + 3_600_000 + later;
        const kept = computePartials(EVENTS_METRIC, events).filter((w) => !isBeyondRetention(w.start, w.size, keptAt));
        expect(computePartials(EVENTS_METRIC, events, keptAt)).toEqual(kept);
      }),
      { numRuns: 100 },
    );
    const old = [event(0, { type: "x", dt: 0, user: 1, amount: 1, latency: 1 })];
    expect(computePartials(EVENTS_METRIC, old, T0 + 400 * 86_400_000)).toEqual([]);
  });

  it("counts every event once in every window size it falls in", () => {
    fc.assert(
      fc.property(eventsArb, (events) => {
        for (const size of EVENTS_METRIC.windows) {
          const windows = computePartials(EVENTS_METRIC, events).filter((w) => w.size === size);
          const total = windows.reduce((n, w) => n + w.groups.reduce((m, g) => m + g.state.count, 0), 0);
          expect(total).toBe(events.length);
          for (const w of windows) expect(w.start % WINDOW_MS[size]).toBe(0);
        }
      }),
    );
  });

  it("renders count, by_event_type, aggregates and the top-K groups", () => {
    const events = [
      event(0, { type: "order.created", dt: 100, user: 1, amount: 10, latency: 100 }),
      event(1, { type: "order.created", dt: 200, user: 2, amount: 30, latency: 200 }),
      event(2, { type: "page.view", dt: 300, user: 1, amount: 5, latency: 300 }),
    ];
    const [w] = computePartials(EVENTS_METRIC, events) as WindowPartial[];
    expect(renderWindow(EVENTS_METRIC, w?.groups ?? [])).toEqual({
      count: 3,
      by_event_type: { "order.created": 2, "page.view": 1 },
    });
    const rich = computePartials(RICH, events).find((p) => p.size === "1m");
    const data = renderWindow(RICH, rich?.groups ?? []);
    expect(data).toMatchObject({
      count: 3,
      values: {
        count: 3,
        sum_payload_amount: 45,
        avg_payload_amount: 15,
        min_payload_amount: 5,
        max_payload_amount: 30,
      },
    });
    if (!("values" in data)) throw new Error("not metric data");
    expect(data.values.distinct_user_id).toBe(2);
    const q = data.values.quantiles_payload_latency as Record<string, number>;
    expect(q.p50).toBeCloseTo(200, -1);
    expect(data.groups?.[0]).toMatchObject({ key: { event_type: "order.created", region: "eu" }, count: 1 });
    expect(data.groups).toHaveLength(3);
  });

  it("keeps 1,000 groups a window and folds the rest into __other__ without losing counts", () => {
    const metric: StoredMetric = { ...RICH, group_by: ["user_id"], windows: ["1m"] };
    const events = Array.from({ length: 1500 }, (_, i) => ({
      ...event(i, { type: "a", dt: 0, user: 0, amount: 1, latency: 1 }),
      user_id: `x${i}`,
    }));
    const [w] = computePartials(metric, events);
    expect(w?.groups).toHaveLength(1001);
    expect(w?.groups.find((g) => g.key === "__other__")?.state.count).toBe(500);
    expect(w?.groups.reduce((n, g) => n + g.state.count, 0)).toBe(1500);
  });
});

describe("window sizes", () => {
  it("put every timestamp in exactly one aligned window of each size", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_102_444_800_000 }), fc.constantFrom(...WINDOW_SIZES), (ts, size) => {
        const start = windowStart(ts, size);
        expect(start).toBeLessThanOrEqual(ts);
        expect(ts).toBeLessThan(start + WINDOW_MS[size]);
        expect(start % WINDOW_MS[size]).toBe(0);
      }),
    );
  });
});

/** cyrb53, the live path's hash before the sketch was unified (53 bits: `hi` 21, `lo` 32). */
function cyrb53(s: string): { hi: number; lo: number } {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return { hi: (h2 >>> 0) & 0x1fffff, lo: h1 >>> 0 };
}

/** A distinct-count sketch as live windows stored it before the unified sketch: p = 12 over cyrb53 of `string:${v}`. */
function legacyHll(values: string[]): { p: number; s: number[] } | { p: number; d: string } {
  const p = 12;
  const registers = new Uint8Array(1 << p);
  for (const v of values) {
    const { hi, lo } = cyrb53(`string:${v}`);
    const rest = lo & ((1 << (32 - p)) - 1);
    const rank = rest !== 0 ? Math.clz32(rest) - p + 1 : hi !== 0 ? 32 - p + Math.clz32(hi) - 11 + 1 : 53 - p + 1;
    const index = lo >>> (32 - p);
    if (rank > (registers[index] as number)) registers[index] = rank;
  }
  const nonZero: number[] = [];
  registers.forEach((r, i) => {
    if (r !== 0) nonZero.push(i * 64 + r);
  });
  return nonZero.length * 5 < (registers.length * 4) / 3 ? { p, s: nonZero } : { p, d: toBase64(registers) };
}

const users = (from: number, n: number) => Array.from({ length: n }, (_, i) => `user-${from + i}`);
const DISTINCT_USERS: StoredMetric = {
  id: "met_users",
  ...MetricDefinitionSchema.parse({ name: "users", aggregates: [{ fn: "distinct", field: "user_id" }] }),
};
const distinctOf = (state: GroupStateJson) =>
  (renderWindow(DISTINCT_USERS, [{ key: "[]", values: [], state }]) as { values: Record<string, unknown> }).values
    .distinct_user_id;

describe("window states stored before the unified sketch", () => {
  it("still parse, and show the distinct counts they showed then", () => {
    // Written by the old live code for user-0 … user-19, verbatim.
    const stored =
      '{"count":20,"hll":{"user_id":{"p":12,"s":[8835,17666,27521,43201,46724,52993,73990,122497,137217,143233,169089,186241,193089,195586,210753,218945,231362,231427,248005,260865]}}}';
    expect(distinctOf(GroupStateJson.parse(JSON.parse(stored)))).toBe(20);
    // What the old code showed for these sets (sparse at 200, dense above).
    for (const [n, shown] of [
      [200, 201],
      [5000, 4988],
      [50_000, 49_111],
    ] as const) {
      const state = GroupStateJson.parse(
        JSON.parse(JSON.stringify({ count: n, hll: { user_id: legacyHll(users(0, n)) } })),
      );
      expect(distinctOf(state), String(n)).toBe(shown);
    }
  });

  it("merge with each other as they did", () => {
    const a: GroupStateJson = { count: 3000, hll: { user_id: legacyHll(users(0, 3000)) } };
    const b: GroupStateJson = { count: 3000, hll: { user_id: legacyHll(users(2000, 3000)) } };
    const merged = mergeStateJson(a, b);
    expect(merged.count).toBe(6000);
    expect(distinctOf(merged)).toBe(4988); // the old code's estimate of the union
    expect(typeof merged.hll?.user_id).toBe("string"); // written back in the current form
    expect(distinctOf(GroupStateJson.parse(JSON.parse(JSON.stringify(merged))))).toBe(4988);
  });

  it("merge with current states at the old precision, counting values seen on both sides twice at most", () => {
    const old: GroupStateJson = { count: 3000, hll: { user_id: legacyHll(users(0, 3000)) } };
    const current = new GroupState();
    for (const [i, u] of users(2000, 3000).entries()) {
      const e = event(i, { type: "a", dt: 0, user: 0, amount: 1, latency: 1 });
      current.add(new EventView({ ...e, user_id: u }), { numeric: [], distinct: ["user_id"], quantile: [] });
    }
    for (const merged of [mergeStateJson(old, current.toJSON()), mergeStateJson(current.toJSON(), old)]) {
      const n = distinctOf(merged) as number;
      // 5,000 distinct users, 1,000 of them on both sides of the change: at most 6,000 counted.
      expect(n).toBeGreaterThanOrEqual(5000 * 0.95);
      expect(n).toBeLessThanOrEqual(6000 * 1.05);
      const bytes = fromBase64(merged.hll?.user_id as string);
      expect(bytes[1]).toBe(12); // kept at the old precision
    }
    expect(distinctOf(mergeStateJson(old, current.toJSON()))).toBe(distinctOf(mergeStateJson(current.toJSON(), old)));
  });
});

describe("DDSketch", () => {
  it("answers every quantile within 1 % of the true value of that rank", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.constant(0), fc.integer({ min: 1, max: 1000 })),
          { minLength: 1, maxLength: 400 },
        ),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (values, q) => {
          const s = new DDSketch();
          for (const v of values) s.add(v);
          const sorted = [...values].sort((a, b) => a - b);
          const truth = sorted[Math.max(0, Math.ceil(q * values.length) - 1)] as number;
          const got = s.quantile(q) as number;
          expect(Math.abs(got - truth)).toBeLessThanOrEqual(Math.abs(truth) * 0.01 + 1e-9);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("merges exactly: the merged sketch equals the sketch of all values, in any order", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.double({ min: -1e9, max: 1e9, noNaN: true }), { maxLength: 100 }), { maxLength: 5 }),
        (sets) => {
          const all = new DDSketch();
          for (const v of sets.flat()) all.add(v);
          const parts = sets.map((s) => {
            const d = new DDSketch();
            for (const v of s) d.add(v);
            return d;
          });
          const a = parts.reduce((x, y) => x.merge(DDSketch.fromJSON(y.toJSON())), new DDSketch());
          const b = [...parts].reverse().reduce((x, y) => x.merge(y), new DDSketch());
          expect(a.toJSON()).toEqual(all.toJSON());
          expect(b.toJSON()).toEqual(all.toJSON());
        },
      ),
    );
  });
});

describe("metric filters", () => {
  const e = event(0, { type: "order.created", dt: 0, user: 3, amount: 120, latency: 5 });
  const view = new EventView(e);
  it("match on event types and on envelope and payload predicates", () => {
    expect(matchesFilter(view, { event_types: ["order.created"] })).toBe(true);
    expect(matchesFilter(view, { event_types: ["page.view"] })).toBe(false);
    expect(matchesFilter(view, { where: [{ field: "payload.amount", op: "gte", value: 100 }] })).toBe(true);
    expect(matchesFilter(view, { where: [{ field: "payload.amount", op: "lt", value: 100 }] })).toBe(false);
    expect(matchesFilter(view, { where: [{ field: "payload.nested.ok", op: "eq", value: true }] })).toBe(true);
    expect(matchesFilter(view, { where: [{ field: "region", op: "in", value: ["eu", "ap"] }] })).toBe(true);
    expect(matchesFilter(view, { where: [{ field: "session_id", op: "missing" }] })).toBe(true);
    expect(matchesFilter(view, { where: [{ field: "payload.nope", op: "exists" }] })).toBe(false);
    expect(matchesFilter(view, { where: [{ field: "payload.amount", op: "gt", value: "100" }] })).toBe(false);
  });

  it("refuses definitions that are unsafe or ambiguous", () => {
    const bad = [
      { name: "events" },
      { name: "Bad Name" },
      { name: "m", windows: ["2s"] },
      { name: "m", windows: ["1s", "1s"] },
      { name: "m", group_by: ["a", "b", "c"] },
      { name: "m", aggregates: [{ fn: "sum", field: "payload.__proto__.x.y.z.a.b.c.d" }] },
      { name: "m", aggregates: [{ fn: "sum", field: "password" }] },
      { name: "m", aggregates: [{ fn: "count" }, { fn: "count" }] },
    ];
    for (const b of bad) expect(MetricDefinitionSchema.safeParse(b).success, JSON.stringify(b)).toBe(false);
    expect(MetricDefinitionSchema.parse({ name: "checkout" })).toMatchObject({
      windows: ["1m"],
      aggregates: [{ fn: "count" }],
    });
  });
});
