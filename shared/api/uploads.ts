// Shapes of the upload routes: a file sent whole or in parts, and what the answer says.
import { z } from "zod";
import { UPLOAD_FORMATS, UPLOAD_MODES } from "../db/datasets";
import { UPLOAD_NAME } from "../uploads/config";

export const UploadName = z
  .string()
  .regex(UPLOAD_NAME, "must be an identifier: a letter or _ then letters, digits or _ (at most 64)");

const OneChar = z.string().length(1, "must be one character");

export const UploadQuery = z.object({
  name: UploadName,
  /** Default: from the Content-Type (text/csv, application/json, application/x-ndjson, application/vnd.apache.parquet). */
  format: z.enum(UPLOAD_FORMATS).optional(),
  mode: z.enum(UPLOAD_MODES).default("replace"),
  /** CSV: the field delimiter (default: detected from the header among , ; tab |). */
  delimiter: OneChar.optional(),
  /** CSV: the quote character (default `"`). */
  quote: OneChar.optional(),
});

export const UploadAccepted = z
  .object({
    job_id: z.string(),
    upload_id: z.string(),
    dataset: z.string(),
    status: z.literal("queued"),
    key: z.string(),
    bytes: z.number().int(),
  })
  .meta({ id: "UploadAccepted" });

export const MultipartStart = z
  .strictObject({
    name: UploadName,
    format: z.enum(UPLOAD_FORMATS),
    mode: z.enum(UPLOAD_MODES).default("replace"),
    delimiter: OneChar.optional(),
    quote: OneChar.optional(),
  })
  .meta({ id: "MultipartUploadStart" });

export const MultipartStarted = z
  .object({ upload_id: z.string(), dataset: z.string(), key: z.string() })
  .meta({ id: "MultipartUploadStarted" });

export const PartStored = z.object({ part: z.number().int(), etag: z.string(), bytes: z.number().int() });

export const MultipartCompleted = z
  .object({
    job_id: z.string(),
    upload_id: z.string(),
    dataset: z.string(),
    status: z.literal("queued"),
    bytes: z.number().int(),
  })
  .meta({ id: "MultipartUploadCompleted" });
