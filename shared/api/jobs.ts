// Shapes of the batch-path routes: jobs, dataset policies, snapshots and rollback.
import { z } from "zod";
import { JOB_STATUSES, JOB_TYPES } from "../db/jobs";
import { EventTypeSchema } from "../events/envelope";
import { ColumnClassifications } from "./privacy";

const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "must be a day as YYYY-MM-DD");

export const CreateJobBody = z
  .strictObject({
    /** Views, backfills and training have their own routes (/v1/views/{name}/refresh, /v1/metrics/{name}/backfill, /v1/ml/train). */
    type: z.enum(["compact", "rollup", "retention"]),
    /** compact: one dataset (default: every dataset with small files). */
    dataset: EventTypeSchema.optional(),
    /** compact: one day (default: every day with small files). */
    day: Day.optional(),
  })
  .meta({ id: "CreateJob" });

export const JobSchema = z
  .object({
    id: z.string(),
    type: z.enum(JOB_TYPES),
    params: z.record(z.string(), z.unknown()),
    status: z.enum(JOB_STATUSES),
    progress: z.number().int(),
    attempts: z.number().int(),
    error: z.string().nullable(),
    result: z.record(z.string(), z.unknown()).nullable(),
    created_at: z.string(),
    started_at: z.string().nullable(),
    finished_at: z.string().nullable(),
  })
  .meta({ id: "Job" });

export const JobList = z.object({ jobs: z.array(JobSchema) }).meta({ id: "JobList" });

export const DatasetSettingsBody = z
  .strictObject({
    retention_days: z.number().int().min(1, "must be at least 1").max(36_500).nullable().optional(),
    /** Privacy: how envelope columns are classified (README, "Privacy"). */
    columns: ColumnClassifications.optional(),
  })
  .refine((b) => b.retention_days !== undefined || b.columns !== undefined, {
    message: "give retention_days, columns or both",
  })
  .meta({ id: "DatasetSettings" });

export const SnapshotSchema = z
  .object({
    id: z.number().int(),
    kind: z.string(),
    files_added: z.number().int(),
    files_removed: z.number().int(),
    rows_added: z.number().int(),
    created_at: z.string(),
  })
  .meta({ id: "Snapshot" });

export const RollbackBody = z.strictObject({ snapshot: z.number().int().min(1) }).meta({ id: "Rollback" });
