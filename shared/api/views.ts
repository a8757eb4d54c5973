// Shapes of the views routes (PUT/GET/DELETE /v1/views/{name}, refresh) and of a metric backfill.
import { z } from "zod";
import { VIEW_MODES, VIEW_REFRESH, VIEW_RUN_STATUSES } from "../db/views";

const Column = z.object({ name: z.string(), type: z.string() });

export const ViewRunSchema = z
  .object({
    id: z.string(),
    status: z.enum(VIEW_RUN_STATUSES),
    mode: z.enum(VIEW_MODES),
    job_id: z.string().nullable(),
    input_snapshot: z.number().int().nullable(),
    published_snapshot: z.number().int().nullable(),
    buckets: z.number().int().nullable(),
    rows: z.number().int().nullable(),
    files: z.number().int().nullable(),
    bytes: z.number().int().nullable(),
    duration_ms: z.number().int().nullable(),
    error: z.string().nullable(),
    started_at: z.string(),
    finished_at: z.string().nullable(),
  })
  .meta({ id: "ViewRun" });

export const ViewSchema = z
  .object({
    name: z.string(),
    sql: z.string(),
    version: z.number().int(),
    refresh: z.enum(VIEW_REFRESH),
    mode: z.enum(VIEW_MODES),
    time_column: z.string().nullable(),
    depends_on: z.array(z.string()),
    columns: z.array(Column),
    /** The input snapshot the current version reflects, and when that snapshot was made (freshness). */
    built_snapshot: z.number().int().nullable(),
    fresh_as_of: z.string().nullable(),
    /** The current version's size. */
    rows: z.number().int(),
    files: z.number().int(),
    /** Buckets a resumable build still has to do (0 when none is under way). */
    pending_buckets: z.number().int(),
    next_run_at: z.string().nullable(),
    last_run: ViewRunSchema.nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: "View" });

export const ViewDetailSchema = ViewSchema.extend({ runs: z.array(ViewRunSchema) }).meta({ id: "ViewDetail" });

export const ViewSaved = ViewSchema.extend({
  /** The build queued for a new or changed definition (null when the definition did not change). */
  job_id: z.string().nullable(),
}).meta({ id: "ViewSaved" });

export const BackfillBody = z
  .strictObject({
    from: z.iso.datetime({ offset: true }),
    to: z.iso.datetime({ offset: true }),
  })
  .refine((b) => Date.parse(b.from) < Date.parse(b.to), { message: "from must be before to", path: ["from"] })
  .meta({ id: "BackfillRequest" });
