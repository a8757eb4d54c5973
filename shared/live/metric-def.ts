// What a live metric is: a filter, window sizes, aggregates and optional group-by; the built-in `events`.
import { z } from "zod";
import { EventTypeSchema } from "../events/envelope";
import { FieldPathSchema } from "./fields";
import { type WindowSize, WindowSizeSchema } from "./window-size";

const ScalarValue = z.union([z.string().max(256), z.number(), z.boolean(), z.null()]);

export const PredicateSchema = z.discriminatedUnion("op", [
  z.object({ field: FieldPathSchema, op: z.enum(["eq", "neq"]), value: ScalarValue }),
  z.object({ field: FieldPathSchema, op: z.enum(["in", "nin"]), value: z.array(ScalarValue).min(1).max(100) }),
  z.object({
    field: FieldPathSchema,
    op: z.enum(["gt", "gte", "lt", "lte"]),
    value: z.union([z.number(), z.string()]),
  }),
  z.object({ field: FieldPathSchema, op: z.enum(["exists", "missing"]) }),
]);
export type Predicate = z.infer<typeof PredicateSchema>;

export const MetricFilterSchema = z.object({
  event_types: z.array(EventTypeSchema).min(1).max(50).optional(),
  where: z.array(PredicateSchema).max(10).optional(),
});
export type MetricFilter = z.infer<typeof MetricFilterSchema>;

const Alias = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,63}$/, "must be lowercase letters, digits and _, starting with a letter");

export const AggregateSchema = z.discriminatedUnion("fn", [
  z.object({ fn: z.literal("count"), as: Alias.optional() }),
  z.object({ fn: z.enum(["sum", "avg", "min", "max", "distinct"]), field: FieldPathSchema, as: Alias.optional() }),
  z.object({
    fn: z.literal("quantiles"),
    field: FieldPathSchema,
    qs: z.array(z.number().min(0).max(1)).min(1).max(10).default([0.5, 0.95, 0.99]),
    as: Alias.optional(),
  }),
]);
export type Aggregate = z.infer<typeof AggregateSchema>;

export const RESERVED_METRIC_NAMES = ["events", "alerts"] as const;

export const MetricNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_.-]{0,63}$/, "must be 1–64 lowercase letters, digits and _ . -, starting with a letter");

const MetricFields = z.object({
  name: MetricNameSchema,
  description: z.string().max(500).optional(),
  filter: MetricFilterSchema.default({}),
  windows: z.array(WindowSizeSchema).min(1).max(4).default(["1m"]),
  aggregates: z
    .array(AggregateSchema)
    .min(1)
    .max(10)
    .default([{ fn: "count" }]),
  group_by: z.array(FieldPathSchema).max(2).default([]),
  top_k: z.number().int().min(1).max(1000).default(10),
});

/** What a client sends to define a metric. */
export const MetricDefinitionSchema = MetricFields.extend({
  name: MetricNameSchema.refine(
    (n) => !(RESERVED_METRIC_NAMES as readonly string[]).includes(n),
    "is reserved (events, alerts)",
  ),
  top_k: z.number().int().min(1).max(100).default(10),
}).superRefine((d, ctx) => {
  if (new Set(d.windows).size !== d.windows.length)
    ctx.addIssue({ code: "custom", path: ["windows"], message: "must not repeat a size" });
  const names = d.aggregates.map(aggregateName);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) ctx.addIssue({ code: "custom", path: ["aggregates"], message: `two aggregates are named ${dup}` });
});
export type MetricDefinition = z.infer<typeof MetricDefinitionSchema>;

/** A metric as stored and sent to shards: the definition with its id (a re-created metric gets a new id). */
export const StoredMetricSchema = MetricFields.extend({ id: z.string().min(1).max(64) });
export type StoredMetric = z.infer<typeof StoredMetricSchema>;

/** The built-in stream: every accepted event, 1 s / 1 min / 1 h, count and per-type counts. */
export const EVENTS_METRIC: StoredMetric = {
  id: "builtin-events",
  name: "events",
  filter: {},
  windows: ["1s", "1m", "1h"] satisfies WindowSize[],
  aggregates: [{ fn: "count" }],
  group_by: ["event_type"],
  top_k: 1000,
};

/** The output name of an aggregate: its alias, else `fn_field` (dots as underscores), `count` for count. */
export function aggregateName(a: Aggregate): string {
  if (a.as) return a.as;
  if (a.fn === "count") return "count";
  return `${a.fn}_${a.field.replaceAll(/[.$-]/g, "_")}`;
}
