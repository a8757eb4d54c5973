// Shapes of database connections and imports (API.md, "Database imports").
import { z } from "zod";
import { CONNECTION_KINDS } from "../db/connections";
import { UPLOAD_MODES } from "../db/datasets";
import { UploadName } from "./uploads";

export const ConnectionCreate = z
  .strictObject({
    name: z.string().trim().min(1).max(100),
    kind: z.enum(CONNECTION_KINDS),
    /** postgres://user:password@host:port/database[?sslmode=disable|prefer|require] */
    url: z.string().min(1).max(2000),
  })
  .meta({ id: "ConnectionCreate" });

export const Connection = z
  .object({
    id: z.string(),
    name: z.string(),
    kind: z.enum(CONNECTION_KINDS),
    host: z.string(),
    port: z.number().int(),
    database: z.string(),
    user: z.string(),
    created_at: z.string(),
  })
  .meta({ id: "Connection" });

export const ConnectionList = z.object({ connections: z.array(Connection) }).meta({ id: "ConnectionList" });

export const ConnectionIdParam = z.object({ id: z.string().min(1).max(64) });

export const ImportCreate = z
  .strictObject({
    connection_id: z.string().min(1).max(64),
    /** A table (`name` or `schema.name`, quoted as given) or a query; exactly one. */
    table: z.string().min(1).max(200).optional(),
    query: z.string().min(1).max(100_000).optional(),
    name: UploadName,
    mode: z.enum(UPLOAD_MODES).default("replace"),
  })
  .refine((b) => (b.table === undefined) !== (b.query === undefined), {
    message: "give exactly one of table and query",
    path: ["table"],
  })
  .meta({ id: "ImportCreate" });

export const ImportAccepted = z
  .object({ job_id: z.string(), dataset: z.string(), status: z.literal("queued") })
  .meta({ id: "ImportAccepted" });
