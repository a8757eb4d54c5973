// Uploads: a file as the body or a multipart/form-data field, or in parts (R2 multipart), streamed
// to R2 and answered at once with the job that converts it into a dataset.
import { createRoute, z } from "@hono/zod-openapi";
import { isMultipartRequest, MultipartParseError, parseMultipartRequest } from "@mjackson/multipart-parser";
import { createJob } from "../../services/jobs/create-job";
import {
  getUpload,
  insertUpload,
  nameTakenBy,
  partsOf,
  recordPart,
  sourceKey,
  updateUpload,
} from "../../services/uploads/store";
import { streamToR2 } from "../../services/uploads/stream-to-r2";
import {
  MultipartCompleted,
  MultipartStart,
  MultipartStarted,
  PartStored,
  UploadAccepted,
  UploadQuery,
} from "../../shared/api/uploads";
import { UPLOAD_FORMATS, type UploadFormat } from "../../shared/db/datasets";
import { TarnError } from "../../shared/errors";
import { newId } from "../../shared/ids";
import { MIN_PART_BYTES, readUploadConfig, type UploadVars } from "../../shared/uploads/config";
import type { AppEnv } from "../context";
import { projectOf, requirePermission } from "../middleware/auth";
import { jsonBody } from "../middleware/json-body";
import { bearer, errorResponses, router } from "../openapi";

const tags = ["Uploads and data quality"];
const json = <T extends z.ZodType>(schema: T) => ({ "application/json": { schema } });

const BY_MEDIA_TYPE: Record<string, UploadFormat> = {
  "text/csv": "csv",
  "application/csv": "csv",
  "application/json": "json",
  "application/x-ndjson": "ndjson",
  "application/ndjson": "ndjson",
  "application/jsonl": "ndjson",
  "application/vnd.apache.parquet": "parquet",
  "application/x-parquet": "parquet",
};
const BY_EXTENSION: Record<string, UploadFormat> = {
  csv: "csv",
  tsv: "csv",
  json: "json",
  ndjson: "ndjson",
  jsonl: "ndjson",
  parquet: "parquet",
};

function formatOf(mediaType: string | undefined, filename?: string): UploadFormat | undefined {
  const media = mediaType?.split(";")[0]?.trim().toLowerCase();
  if (media && BY_MEDIA_TYPE[media]) return BY_MEDIA_TYPE[media];
  const ext = filename?.toLowerCase().replace(/\.gz$/, "").split(".").pop();
  return ext ? BY_EXTENSION[ext] : undefined;
}

function needFormat(): TarnError {
  return new TarnError("VALIDATION_ERROR", `say the file's format: ?format=${UPLOAD_FORMATS.join("|")}`, {
    details: { field: "format" },
  });
}

async function checkName(db: D1Database, projectId: string, name: string): Promise<void> {
  const taken = await nameTakenBy(db, projectId, name);
  if (taken)
    throw new TarnError("VALIDATION_ERROR", `cannot upload into "${name}": ${taken}`, { details: { field: "name" } });
}

const upload = createRoute({
  method: "post",
  path: "/v1/uploads",
  tags,
  summary:
    "Upload a file (CSV, JSON array, NDJSON, Parquet; gzip allowed) as a dataset; answers with its conversion job",
  description:
    "The body is the file, or multipart/form-data with the file in field `file` (and optionally `source_type`, the format). " +
    "It is streamed to R2, never held whole; the conversion runs on the jobs queue (GET /v1/jobs/{id}, or the live socket's `jobs` stream).",
  security: bearer,
  middleware: [requirePermission("write")] as const,
  request: { query: UploadQuery },
  responses: {
    202: { description: "Stored; the conversion job is queued", content: json(UploadAccepted) },
    ...errorResponses(400, 401, 403, 413, 503),
  },
});

const startMultipart = createRoute({
  method: "post",
  path: "/v1/uploads/multipart",
  tags,
  summary: "Start a file sent in parts (each 5 MiB or more but the last)",
  security: bearer,
  middleware: [requirePermission("write"), jsonBody()] as const,
  request: { body: { required: true, content: json(MultipartStart) } },
  responses: {
    201: { description: "Started", content: json(MultipartStarted) },
    ...errorResponses(400, 401, 403, 415),
  },
});

const putPart = createRoute({
  method: "put",
  path: "/v1/uploads/multipart/{upload_id}/parts/{n}",
  tags,
  summary: "Send part n (1–10000) of a file; sending a part again replaces it",
  security: bearer,
  middleware: [requirePermission("write")] as const,
  request: {
    params: z.object({ upload_id: z.string().min(1).max(64), n: z.coerce.number().int().min(1).max(10_000) }),
  },
  responses: {
    200: { description: "Stored", content: json(PartStored) },
    ...errorResponses(400, 401, 403, 404, 409, 413),
  },
});

const completeMultipart = createRoute({
  method: "post",
  path: "/v1/uploads/multipart/{upload_id}/complete",
  tags,
  summary: "Join the parts into the file and queue its conversion",
  security: bearer,
  middleware: [requirePermission("write")] as const,
  request: { params: z.object({ upload_id: z.string().min(1).max(64) }) },
  responses: {
    202: { description: "Joined; the conversion job is queued", content: json(MultipartCompleted) },
    ...errorResponses(400, 401, 403, 404, 409, 413, 503),
  },
});

const abortMultipart = createRoute({
  method: "delete",
  path: "/v1/uploads/multipart/{upload_id}",
  tags,
  summary: "Abandon a file sent in parts; its parts are deleted",
  security: bearer,
  middleware: [requirePermission("write")] as const,
  request: { params: z.object({ upload_id: z.string().min(1).max(64) }) },
  responses: { 204: { description: "Aborted" }, ...errorResponses(401, 403, 404, 409) },
});

type Query = z.infer<typeof UploadQuery>;

/** Streams the request's file to R2: the body itself, or the `file` field of a form. */
async function receiveFile(
  c: { req: { raw: Request; header: (n: string) => string | undefined }; env: AppEnv["Bindings"] },
  key: string,
  query: Query,
  maxBytes: number,
): Promise<{ bytes: number; format: UploadFormat | undefined }> {
  const request = c.req.raw;
  if (!request.body) throw new TarnError("VALIDATION_ERROR", "the body is empty: send the file as the body");
  if (isMultipartRequest(request)) {
    let bytes = -1;
    let format: UploadFormat | undefined = query.format;
    let sourceType: string | undefined;
    try {
      await parseMultipartRequest(request, { maxFileSize: maxBytes }, async (part) => {
        if (part.name === "file" && bytes < 0) {
          format ??= formatOf(part.mediaType, part.filename);
          bytes = await streamToR2(c.env.LAKE, key, part.body, { length: null, maxBytes });
        } else if (part.name === "source_type") sourceType = (await part.text()).trim().toLowerCase();
        else await part.body.cancel();
      });
    } catch (err) {
      if (err instanceof TarnError) throw err;
      if (err instanceof MultipartParseError) {
        throw new TarnError("VALIDATION_ERROR", `the multipart body is malformed: ${err.message}`, { cause: err });
      }
      throw err;
    }
    if (bytes < 0)
      throw new TarnError("VALIDATION_ERROR", "the form has no `file` field", { details: { field: "file" } });
    if (sourceType !== undefined) {
      if (!(UPLOAD_FORMATS as readonly string[]).includes(sourceType)) {
        throw new TarnError("VALIDATION_ERROR", `source_type must be one of ${UPLOAD_FORMATS.join(", ")}`, {
          details: { field: "source_type" },
        });
      }
      format = query.format ?? (sourceType as UploadFormat);
    }
    return { bytes, format };
  }
  const encoded = (c.req.header("Content-Encoding") ?? "identity").toLowerCase();
  if (encoded !== "identity" && encoded !== "gzip") {
    throw new TarnError("UNSUPPORTED_MEDIA_TYPE", "Content-Encoding may be gzip or identity");
  }
  const declared = Number(c.req.header("Content-Length"));
  // A gzip body is stored as sent (the job gunzips it); its length is trusted only without an encoding.
  const length = encoded === "identity" && Number.isSafeInteger(declared) && declared >= 0 ? declared : null;
  const bytes = await streamToR2(c.env.LAKE, key, request.body, { length, maxBytes });
  return { bytes, format: query.format ?? formatOf(c.req.header("Content-Type")) };
}

export const uploadRoutes = router()
  .openapi(upload, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    const query = c.req.valid("query");
    const config = readUploadConfig(c.env as unknown as UploadVars);
    await checkName(c.env.DB, projectId, query.name);
    const id = newId("upl");
    const key = sourceKey(projectId, id);
    const { bytes, format } = await receiveFile(c, key, query, config.maxBytes);
    if (!format || bytes === 0) {
      await c.env.LAKE.delete(key);
      throw bytes === 0 ? new TarnError("VALIDATION_ERROR", "the file is empty") : needFormat();
    }
    await insertUpload(c.env.DB, {
      id,
      projectId,
      dataset: query.name,
      format,
      mode: query.mode,
      sourceKey: key,
      status: "stored",
      bytes,
    });
    const job = await createJob(c.env, projectId, "upload", {
      upload_id: id,
      dataset: query.name,
      format,
      mode: query.mode,
      ...(query.delimiter ? { delimiter: query.delimiter } : {}),
      ...(query.quote ? { quote: query.quote } : {}),
    });
    await updateUpload(c.env.DB, id, { jobId: job.id });
    return c.json({ job_id: job.id, upload_id: id, dataset: query.name, status: "queued" as const, key, bytes }, 202);
  })
  .openapi(startMultipart, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    const body = c.req.valid("json");
    await checkName(c.env.DB, projectId, body.name);
    const id = newId("upl");
    const key = sourceKey(projectId, id);
    const r2 = await c.env.LAKE.createMultipartUpload(key);
    await insertUpload(c.env.DB, {
      id,
      projectId,
      dataset: body.name,
      format: body.format,
      mode: body.mode,
      sourceKey: key,
      r2UploadId: r2.uploadId,
      status: "receiving",
      checkpoint: { options: { delimiter: body.delimiter, quote: body.quote } },
    });
    return c.json({ upload_id: id, dataset: body.name, key }, 201);
  })
  .openapi(putPart, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    const { upload_id, n } = c.req.valid("param");
    const row = await receiving(c.env.DB, projectId, upload_id);
    const config = readUploadConfig(c.env as unknown as UploadVars);
    const length = Number(c.req.header("Content-Length"));
    if (!c.req.raw.body || !Number.isSafeInteger(length) || length <= 0) {
      throw new TarnError("VALIDATION_ERROR", "send the part as the body, with its Content-Length");
    }
    const others = (await partsOf(c.env.DB, upload_id)).filter((p) => p.part !== n).reduce((s, p) => s + p.bytes, 0);
    if (others + length > config.maxBytes) {
      throw new TarnError("PAYLOAD_TOO_LARGE", `the file would be larger than the ${config.maxBytes}-byte upload cap`);
    }
    const r2 = c.env.LAKE.resumeMultipartUpload(row.sourceKey, row.r2UploadId as string);
    const part = await r2.uploadPart(n, c.req.raw.body);
    await recordPart(c.env.DB, upload_id, n, part.etag, length);
    return c.json({ part: n, etag: part.etag, bytes: length }, 200);
  })
  .openapi(completeMultipart, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    const { upload_id } = c.req.valid("param");
    const row = await receiving(c.env.DB, projectId, upload_id);
    const parts = await partsOf(c.env.DB, upload_id);
    if (parts.length === 0) throw new TarnError("VALIDATION_ERROR", "no parts were sent");
    const small = parts.slice(0, -1).find((p) => p.bytes < MIN_PART_BYTES);
    if (small) {
      throw new TarnError(
        "VALIDATION_ERROR",
        `part ${small.part} has ${small.bytes} bytes; every part but the last needs 5 MiB`,
        {
          details: { part: small.part },
        },
      );
    }
    const missing = parts.find((p, i) => p.part !== i + 1);
    if (missing)
      throw new TarnError("VALIDATION_ERROR", `part ${parts.findIndex((p, i) => p.part !== i + 1) + 1} is missing`);
    try {
      await c.env.LAKE.resumeMultipartUpload(row.sourceKey, row.r2UploadId as string).complete(
        parts.map((p) => ({ partNumber: p.part, etag: p.etag })),
      );
    } catch (err) {
      throw new TarnError(
        "VALIDATION_ERROR",
        `the parts could not be joined: ${String(err instanceof Error ? err.message : err)}`,
        {
          cause: err,
        },
      );
    }
    const bytes = parts.reduce((s, p) => s + p.bytes, 0);
    const options = (row.checkpoint as { options?: { delimiter?: string; quote?: string } } | null)?.options ?? {};
    await updateUpload(c.env.DB, upload_id, { status: "stored", bytes, checkpoint: null });
    const job = await createJob(c.env, projectId, "upload", {
      upload_id,
      dataset: row.dataset,
      format: row.format,
      mode: row.mode,
      ...(options.delimiter ? { delimiter: options.delimiter } : {}),
      ...(options.quote ? { quote: options.quote } : {}),
    });
    await updateUpload(c.env.DB, upload_id, { jobId: job.id });
    return c.json({ job_id: job.id, upload_id, dataset: row.dataset, status: "queued" as const, bytes }, 202);
  })
  .openapi(abortMultipart, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    const { upload_id } = c.req.valid("param");
    const row = await receiving(c.env.DB, projectId, upload_id);
    await c.env.LAKE.resumeMultipartUpload(row.sourceKey, row.r2UploadId as string).abort();
    await updateUpload(c.env.DB, upload_id, { status: "aborted" });
    return c.body(null, 204);
  });

/** The project's upload that is still taking parts. */
async function receiving(db: D1Database, projectId: string, id: string) {
  const row = await getUpload(db, projectId, id);
  if (!row?.r2UploadId) throw new TarnError("NOT_FOUND", "no such multipart upload in this project");
  if (row.status !== "receiving")
    throw new TarnError("CONFLICT", `the upload is ${row.status}, no longer taking parts`);
  return row;
}
