// Alert rules on live metrics: a value of a window, a condition (threshold, z-score, EWMA), a webhook.
import { z } from "zod";
import { type EwmaState, ewmaStep, zScore } from "./anomaly";
import { aggregateName, type StoredMetric } from "./metric-def";
import type { WindowData } from "./render";
import { quantileName } from "./render";
import { WindowSizeSchema } from "./window-size";

export const AlertConditionSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("threshold"), op: z.enum([">", ">=", "<", "<="]), value: z.number() }),
  z.object({
    kind: z.literal("zscore"),
    sigma: z.number().positive().max(100).default(3),
    /** Closed windows the mean and σ are taken over. */
    trailing: z.number().int().min(3).max(500).default(30),
    /** Windows needed before the rule may fire. */
    min_history: z.number().int().min(2).max(500).default(10),
  }),
  z.object({
    kind: z.literal("ewma"),
    sigma: z.number().positive().max(100).default(3),
    alpha: z.number().gt(0).lt(1).default(0.3),
    min_history: z.number().int().min(2).max(500).default(10),
  }),
]);
export type AlertCondition = z.infer<typeof AlertConditionSchema>;

export const AlertNameSchema = z.string().trim().min(1).max(64);

/** What a client sends to create an alert. */
export const AlertCreateSchema = z.object({
  name: AlertNameSchema,
  /** `events` or a metric's name. */
  metric: z.string().min(1).max(64),
  window: WindowSizeSchema,
  /** `count`, an aggregate's name, `<quantiles name>.p95`, or for `events` `by_event_type.<type>`. */
  value: z.string().min(1).max(200).default("count"),
  condition: AlertConditionSchema,
  webhook_url: z
    .url({ protocol: /^https?$/, error: "must be an http(s) URL" })
    .max(2048)
    .optional(),
});
export type AlertCreate = z.infer<typeof AlertCreateSchema>;

/** A rule as a window shard holds it. */
export type AlertRule = AlertCreate & { id: string };

/** Why `value` cannot be read from `metric`'s windows, or null when it can. */
export function valuePathProblem(metric: StoredMetric, value: string): string | null {
  if (value === "count") return null;
  if (metric.name === "events") {
    return value.startsWith("by_event_type.") && value.length > 14
      ? null
      : "for events, use count or by_event_type.<type>";
  }
  for (const a of metric.aggregates) {
    const name = aggregateName(a);
    if (a.fn === "quantiles") {
      if (a.qs.some((q) => value === `${name}.${quantileName(q)}`)) return null;
    } else if (value === name) return null;
  }
  return `not a value of metric ${metric.name}: use count or an aggregate's name (quantiles as <name>.p95)`;
}

/** Reads the rule's value from a window's data; null when the window has none (e.g. avg of nothing). */
export function readValue(data: WindowData, value: string): number | null {
  if (value === "count") return data.count;
  if ("by_event_type" in data) {
    return value.startsWith("by_event_type.") ? (data.by_event_type[value.slice(14)] ?? 0) : null;
  }
  const dot = value.indexOf(".");
  const v = data.values[dot === -1 ? value : value.slice(0, dot)];
  if (v === undefined || v === null) return null;
  if (typeof v === "number") return dot === -1 ? v : null;
  return dot === -1 ? null : (v[value.slice(dot + 1)] ?? null);
}

export interface RuleState {
  firing: boolean;
  history: number[];
  ewma: EwmaState;
}

export interface Verdict {
  breach: boolean;
  score: number | null;
  expected: number | null;
  reason: string;
}

const fmt = (n: number) => (Number.isFinite(n) ? Number(n.toPrecision(6)).toString() : String(n));

/** Judges one closed window's value; returns the verdict and the rule's next state. */
export function judge(rule: AlertCondition, state: RuleState, x: number): { verdict: Verdict; next: RuleState } {
  if (rule.kind === "threshold") {
    const op = rule.op;
    const breach =
      op === ">" ? x > rule.value : op === ">=" ? x >= rule.value : op === "<" ? x < rule.value : x <= rule.value;
    return {
      verdict: {
        breach,
        score: null,
        expected: rule.value,
        reason: `value ${fmt(x)} ${breach ? "" : "not "}${op} ${fmt(rule.value)}`,
      },
      next: state,
    };
  }
  if (rule.kind === "zscore") {
    const ready = state.history.length >= rule.min_history;
    const z = zScore(state.history, x);
    const breach = ready && Math.abs(z.score) >= rule.sigma;
    const history = [...state.history, x].slice(-rule.trailing);
    return {
      verdict: {
        breach,
        score: ready ? z.score : null,
        expected: z.mean,
        reason: `z-score ${fmt(z.score)} (mean ${fmt(z.mean)}, σ ${fmt(z.std)}, ${state.history.length} windows); limit ±${rule.sigma}σ`,
      },
      next: { ...state, history },
    };
  }
  const ready = state.ewma.n >= rule.min_history;
  const step = ewmaStep(state.ewma, x, rule.alpha);
  const breach = ready && Math.abs(step.score) >= rule.sigma;
  return {
    verdict: {
      breach,
      score: ready ? step.score : null,
      expected: step.expected,
      reason: `EWMA score ${fmt(step.score)} (expected ${fmt(step.expected)}); limit ±${rule.sigma}σ`,
    },
    next: { ...state, ewma: step.next },
  };
}
