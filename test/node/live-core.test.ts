// The rest of the live core as pure functions: anomaly scores, alert rules, the hub tree, frames, signatures.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AlertConditionSchema, judge, type RuleState, readValue, valuePathProblem } from "../../shared/live/alert-rule";
import { EWMA_START, ewmaStep, zScore } from "../../shared/live/anomaly";
import { assignHub, childrenOf, depthOf, parentOf } from "../../shared/live/fanout";
import { ClientFrame, filterFrame, type UpdateFrame } from "../../shared/live/frames";
import { EVENTS_METRIC, MetricDefinitionSchema } from "../../shared/live/metric-def";
import { newWebhookSecret, signWebhook, verifyWebhook } from "../../shared/live/webhook-signature";

const fresh: RuleState = { firing: false, history: [], ewma: EWMA_START };

function run(condition: unknown, values: number[]) {
  const rule = AlertConditionSchema.parse(condition);
  let state = fresh;
  return values.map((x) => {
    const { verdict, next } = judge(rule, state, x);
    state = { ...next, firing: verdict.breach };
    return verdict.breach;
  });
}

describe("anomaly scores", () => {
  it("z-score: a flat history scores 0 for the same value and infinity for any other", () => {
    expect(zScore([5, 5, 5], 5).score).toBe(0);
    expect(zScore([5, 5, 5], 6).score).toBe(Number.POSITIVE_INFINITY);
    expect(zScore([1, 2, 3, 4, 5], 3).score).toBe(0);
    expect(zScore([1, 2, 3, 4, 5], 3 + 2 * Math.SQRT2).score).toBeCloseTo(2);
  });

  it("EWMA converges to a constant series and then flags a jump", () => {
    let s = EWMA_START;
    for (let i = 0; i < 50; i++) s = ewmaStep(s, 100 + (i % 2 ? 1 : -1), 0.3).next;
    expect(s.mean).toBeCloseTo(100, 0);
    expect(Math.abs(ewmaStep(s, 100, 0.3).score)).toBeLessThan(1);
    expect(ewmaStep(s, 130, 0.3).score).toBeGreaterThan(3);
  });

  it("z-score rule fires on a 3σ spike after enough history and not before", () => {
    const noise = Array.from({ length: 30 }, (_, i) => 100 + (i % 5) - 2);
    const fired = run({ kind: "zscore" }, [...noise, 200, 100]);
    expect(fired.slice(0, 30).some(Boolean)).toBe(false);
    expect(fired[30]).toBe(true);
    expect(fired[31]).toBe(false);
    expect(run({ kind: "zscore", min_history: 10 }, [1, 1, 1, 500])).toEqual([false, false, false, false]);
  });

  it("EWMA rule fires on a drop to zero", () => {
    const fired = run({ kind: "ewma", min_history: 5 }, [50, 52, 49, 51, 50, 48, 52, 50, 0]);
    expect(fired.at(-1)).toBe(true);
    expect(fired.slice(0, -1).some(Boolean)).toBe(false);
  });

  it("threshold rule compares with its operator", () => {
    expect(run({ kind: "threshold", op: ">", value: 10 }, [10, 11])).toEqual([false, true]);
    expect(run({ kind: "threshold", op: "<=", value: 0 }, [1, 0])).toEqual([false, true]);
  });
});

describe("alert values", () => {
  const metric = {
    id: "m",
    ...MetricDefinitionSchema.parse({
      name: "checkout",
      aggregates: [
        { fn: "count" },
        { fn: "sum", field: "payload.amount", as: "revenue" },
        { fn: "quantiles", field: "payload.ms", as: "lat" },
      ],
    }),
  };
  it("accepts only values the metric produces", () => {
    expect(valuePathProblem(metric, "count")).toBeNull();
    expect(valuePathProblem(metric, "revenue")).toBeNull();
    expect(valuePathProblem(metric, "lat.p95")).toBeNull();
    expect(valuePathProblem(metric, "lat.p42")).not.toBeNull();
    expect(valuePathProblem(metric, "nope")).not.toBeNull();
    expect(valuePathProblem(EVENTS_METRIC, "by_event_type.page.view")).toBeNull();
    expect(valuePathProblem(EVENTS_METRIC, "revenue")).not.toBeNull();
  });
  it("reads them from window data", () => {
    expect(readValue({ count: 3, by_event_type: { "page.view": 2 } }, "by_event_type.page.view")).toBe(2);
    expect(readValue({ count: 3, by_event_type: {} }, "by_event_type.x")).toBe(0);
    expect(readValue({ count: 3, values: { revenue: 9, lat: { p95: 7 } } }, "lat.p95")).toBe(7);
    expect(readValue({ count: 0, values: { revenue: null } }, "revenue")).toBeNull();
  });
});

describe("the hub tree", () => {
  it("reaches every hub exactly once from the root, with depth logarithmic in the hub count", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2000 }), fc.integer({ min: 2, max: 32 }), (hubCount, fanout) => {
        const seen = new Set<number>();
        const queue = [0];
        while (queue.length) {
          const h = queue.shift() as number;
          expect(seen.has(h)).toBe(false);
          seen.add(h);
          for (const c of childrenOf(h, fanout, hubCount)) {
            expect(parentOf(c, fanout)).toBe(h);
            queue.push(c);
          }
        }
        expect(seen.size).toBe(hubCount);
        expect(depthOf(hubCount - 1, fanout)).toBeLessThanOrEqual(
          Math.ceil(Math.log(hubCount * fanout) / Math.log(fanout)),
        );
      }),
    );
  });

  it("fills hubs in order, reusing a seat freed in an earlier hub", () => {
    expect(assignHub([], 2)).toBe(0);
    expect(assignHub([2, 2, 1], 2)).toBe(2);
    expect(assignHub([2, 1, 2], 2)).toBe(1);
    expect(assignHub([2, 2], 2)).toBe(2);
  });
});

describe("frames", () => {
  const update: UpdateFrame = {
    type: "update",
    stream: "events",
    window: { start: "a", end: "b", size: "1s" },
    data: { count: 5, by_event_type: { "page.view": 3, signup: 2 } },
    final: false,
    rev: 2,
    timestamp: "t",
  };
  it("filters by event type and drops in-progress updates for final_only", () => {
    expect(filterFrame(update, { event_types: ["signup"] })).toMatchObject({
      data: { count: 2, by_event_type: { signup: 2 } },
    });
    expect(filterFrame(update, { final_only: true })).toBeNull();
    expect(filterFrame({ ...update, final: true }, { final_only: true })).not.toBeNull();
  });
  it("validates client frames", () => {
    expect(ClientFrame.safeParse({ action: "subscribe", stream: "events", window: "1s" }).success).toBe(true);
    expect(ClientFrame.safeParse({ action: "subscribe", stream: "events" }).success).toBe(false);
    expect(ClientFrame.safeParse({ action: "subscribe", stream: "alerts" }).success).toBe(true);
    expect(ClientFrame.safeParse({ action: "subscribe", stream: "events", window: "7s" }).success).toBe(false);
    expect(ClientFrame.safeParse({ action: "drop tables" }).success).toBe(false);
  });
});

describe("webhook signatures", () => {
  it("verify for the signed body only, within the tolerance", async () => {
    const secret = newWebhookSecret();
    const t = 1_800_000_000;
    const header = await signWebhook(secret, '{"a":1}', t);
    expect(header).toMatch(/^t=1800000000,v1=[0-9a-f]{64}$/);
    expect(await verifyWebhook(secret, '{"a":1}', header, t + 10)).toBe(true);
    expect(await verifyWebhook(secret, '{"a":2}', header, t + 10)).toBe(false);
    expect(await verifyWebhook(newWebhookSecret(), '{"a":1}', header, t + 10)).toBe(false);
    expect(await verifyWebhook(secret, '{"a":1}', header, t + 3600)).toBe(false);
  });
});
