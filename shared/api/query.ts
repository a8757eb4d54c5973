// Shapes of the query routes (README, "Query").
import { z } from "zod";

export const QueryBody = z
  .strictObject({
    sql: z.string().min(1, "must not be empty").max(100_000, "must be at most 100,000 characters"),
    format: z.enum(["json", "csv", "ndjson", "arrow"]).default("json"),
    /** Answer as the lake was right after this snapshot (GET /v1/snapshots). */
    snapshot: z.number().int().min(1).optional(),
    /** Answer as the lake was at this time (ISO-8601). */
    as_of: z.iso.datetime({ offset: true, error: "must be an ISO-8601 date-time" }).optional(),
  })
  .refine((b) => b.snapshot === undefined || b.as_of === undefined, {
    message: "give snapshot or as_of, not both",
    path: ["as_of"],
  })
  .meta({ id: "Query" });

export const QueryAnswer = z
  .object({
    meta: z.array(z.object({ name: z.string(), type: z.string() })),
    data: z.array(z.record(z.string(), z.unknown())),
    rows: z.number().int(),
    statistics: z.object({
      elapsed: z.number(),
      rows_read: z.number().int(),
      bytes_read: z.number().int(),
      files_read: z.number().int(),
      files_pruned: z.number().int(),
      row_groups_read: z.number().int(),
      row_groups_pruned: z.number().int(),
      /** Sub-invocations the scan was split over (0: read in the invocation that answered). */
      splits: z.number().int(),
      snapshot: z.number().int(),
      /** Which step answered: the answer cache, gold rollups, a materialized view, or a scan of the files. */
      source: z.enum(["cache", "rollup", "view", "scan"]),
      /** Computed from gold rollups (hourly aggregates) instead of the raw files: the same answer, exactly. */
      rollup: z.boolean(),
      cached: z.boolean(),
    }),
    /** Only for `EXPLAIN [ANALYZE] SELECT …`: the path the query takes and what each scan reads. */
    explain: z
      .object({
        source: z.enum(["cache", "rollup", "view", "scan"]),
        snapshot: z.number().int(),
        cache: z.object({ eligible: z.boolean(), hit: z.boolean(), reason: z.string().optional() }),
        rollup: z.object({
          eligible: z.boolean(),
          level: z.string().optional(),
          groups: z.number().int().optional(),
          reason: z.string().optional(),
        }),
        /** A materialized view whose SELECT the query is: used only while its answer is identical. */
        view: z.object({ eligible: z.boolean(), name: z.string().optional(), reason: z.string().optional() }),
        /** Every table the query reads, as SQL names it. */
        tables: z.array(z.string()),
        /** Each join: type, equality keys, the side built into the hash table and the row estimates behind it. */
        joins: z.array(
          z.object({
            depth: z.number().int(),
            type: z.string(),
            keys: z.number().int(),
            build: z.enum(["left", "right"]),
            estimated_rows: z.object({ left: z.number(), right: z.number() }),
            tables: z.object({ left: z.array(z.string()), right: z.array(z.string()) }),
          }),
        ),
        scans: z.array(
          z.object({
            depth: z.number().int(),
            table: z.string(),
            files_listed: z.number().int(),
            files_to_read: z.number().int(),
            rows_to_read: z.number().int(),
            bytes_to_read: z.number().int(),
            columns: z.array(z.string()),
            time_range: z.object({ from: z.string().nullable(), to: z.string().nullable() }).nullable(),
            event_types: z.array(z.string()).nullable(),
            splits: z.number().int(),
            grouped: z.boolean(),
            limit: z.number().int().nullable(),
          }),
        ),
        analyzed: z.record(z.string(), z.unknown()).optional(),
      })
      .optional(),
  })
  .meta({ id: "QueryAnswer" });

export const ValidateBody = z.strictObject({ sql: z.string().max(100_000) }).meta({ id: "ValidateQuery" });

export const ValidateAnswer = z
  .object({ valid: z.boolean(), errors: z.array(z.string()).optional() })
  .meta({ id: "Validation" });
