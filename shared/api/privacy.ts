// Shapes of the privacy routes: dataset column classifications, erasure and subject export.
import { z } from "zod";
import { CLASSIFICATIONS, MASKS } from "../privacy/masks";
import { CLASSIFIABLE_COLUMNS } from "../privacy/policy";

export const DatasetNameParam = z.object({
  name: z
    .string()
    .min(1)
    .max(128)
    .refine((s) => !s.includes("/"), { message: "must not contain /" }),
});

export const ColumnClassificationSchema = z
  .object({
    classification: z.enum(CLASSIFICATIONS).nullable().default(null),
    pii: z.boolean().default(false),
    mask: z.enum(MASKS).nullable().default(null),
  })
  .strict();

/** `PUT /v1/datasets/{name}`'s `columns`: envelope columns and how each is classified. */
export const ColumnClassifications = z.partialRecord(z.enum(CLASSIFIABLE_COLUMNS), ColumnClassificationSchema).meta({
  description:
    "Envelope columns and how each is classified; a column with no classification, pii false and no mask is cleared",
});

export const DatasetClassifications = z
  .object({
    dataset: z.string(),
    columns: z.record(z.string(), ColumnClassificationSchema),
  })
  .meta({ id: "DatasetClassifications" });

export const SubjectBody = z.object({ user_id: z.string().min(1).max(256) }).strict();
export const RequestIdParam = z.object({ id: z.string().min(1).max(64) });

export const ErasureAccepted = z
  .object({ id: z.string(), status: z.string(), requested_at: z.string() })
  .meta({ id: "ErasureAccepted" });

export const ErasureStatus = z
  .object({
    id: z.string(),
    user_id: z.string(),
    status: z.enum(["requested", "keys_destroyed", "rewriting", "completed", "failed"]),
    requested_at: z.string(),
    keys_destroyed_at: z.string().nullable(),
    rows_removed: z.number().int(),
    files_rewritten: z.number().int(),
    completed_at: z.string().nullable(),
    receipt: z.record(z.string(), z.unknown()).nullable(),
    error: z.string().nullable(),
  })
  .meta({ id: "ErasureStatus" });

export const ExportAccepted = z.object({ id: z.string(), status: z.string() }).meta({ id: "ExportAccepted" });

export const ExportStatus = z
  .object({
    id: z.string(),
    user_id: z.string(),
    status: z.enum(["queued", "running", "completed", "failed"]),
    requested_at: z.string(),
    completed_at: z.string().nullable(),
    rows: z.number().int().nullable(),
    download_url: z.string().nullable(),
    expires_at: z.string().nullable(),
  })
  .meta({ id: "ExportStatus" });

export const DownloadQuery = z.object({
  project: z.string().min(1).max(64),
  expires: z.coerce.number().int(),
  sig: z.string().min(1).max(128),
});
