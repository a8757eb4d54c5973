// A view's definition as the API takes it (PUT /v1/views/{name}), and when a scheduled view runs next.
import { z } from "zod";
import { VIEW_MODES, VIEW_REFRESH, type ViewRefresh } from "../db/views";

/**
 * A view's name is a plain SQL identifier, so it is written unquoted in other queries and is one
 * lake key segment; it cannot be `events` (the table of all events).
 */
export const ViewNameSchema = z
  .string()
  .regex(/^[a-z_][a-z0-9_]{0,63}$/, "must be 1–64 characters of a-z, 0-9 and _, not starting with a digit")
  .refine((n) => n !== "events" && n !== "datasets", "is a reserved table name");

export const ViewBody = z
  .strictObject({
    sql: z.string().min(1).max(20_000),
    refresh: z.enum(VIEW_REFRESH).default("manual"),
    mode: z.enum(VIEW_MODES).default("replace"),
    /**
     * An output column of type TIMESTAMP or DATE that buckets the rows by event time (e.g.
     * `date_trunc('day', ts) AS day`): needed by `incremental`, and used to partition the files.
     */
    time_column: z.string().min(1).max(128).optional(),
  })
  .meta({ id: "ViewDefinition" });
export type ViewBody = z.infer<typeof ViewBody>;

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * When a view on a schedule is next due: the next hour or UTC day boundary after `from` (the hourly
 * cron runs a little after each boundary and refreshes every view due by then). Manual views: never.
 * @example nextRunAt("daily", new Date("2026-11-30T04:40:00Z")) // "2026-12-01T00:00:00.000Z"
 */
export function nextRunAt(refresh: ViewRefresh, from: Date): string | null {
  if (refresh === "manual") return null;
  const step = refresh === "hourly" ? HOUR_MS : DAY_MS;
  return new Date(Math.floor(from.getTime() / step) * step + step).toISOString();
}
