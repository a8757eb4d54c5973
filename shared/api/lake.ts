// Shapes of the lake-reading routes (README, "Datasets and the lake").
import { z } from "zod";

export const ColumnSchema = z.object({ name: z.string(), type: z.string() });

export const DatasetList = z
  .object({
    datasets: z.array(
      z.object({
        name: z.string(),
        /** `events` for an event type; `upload`, `view` and `audit` (admins only) are tables of their own. */
        kind: z.enum(["events", "upload", "view", "audit"]),
        /** How SQL names the dataset's table (quoted when needed; `datasets.events` for a type called events). */
        table: z.string(),
        rows: z.number().int(),
        bytes: z.number().int(),
        files: z.number().int(),
        first_event_at: z.string().nullable(),
        last_event_at: z.string().nullable(),
        columns: z.array(ColumnSchema),
      }),
    ),
  })
  .meta({ id: "DatasetList" });

const isoOrEpoch = z
  .string()
  .refine((s) => !Number.isNaN(Date.parse(s)) || /^\d+$/.test(s), "must be an ISO-8601 time or epoch milliseconds")
  .transform((s) => (/^\d+$/.test(s) ? Number(s) : Date.parse(s)));

export const LakeFilesQuery = z.object({
  dataset: z.string().min(1).max(128).optional(),
  from: isoOrEpoch.optional(),
  to: isoOrEpoch.optional(),
});

export const LakeFileList = z
  .object({
    files: z.array(
      z.object({
        key: z.string(),
        dataset: z.string(),
        layer: z.string(),
        rows: z.number().int(),
        bytes: z.number().int(),
        min_ts: z.string(),
        max_ts: z.string(),
      }),
    ),
  })
  .meta({ id: "LakeFileList" });

export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(2048).optional(),
});

export const DeadLetterList = z
  .object({
    dead_letters: z.array(
      z.object({
        id: z.string(),
        queue: z.string(),
        message_id: z.string(),
        attempts: z.number().int(),
        events: z.number().int().nullable(),
        body: z.string(),
        received_at: z.string(),
      }),
    ),
  })
  .meta({ id: "DeadLetterList" });
