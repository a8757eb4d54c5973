// The import job: reads a table or query of a database connection through a cursor (a batch of rows
// at a time, inside a READ ONLY transaction) and writes it as an upload's conversion does: ZSTD
// Parquet files of bounded size in layer `uploads`, one manifest change that publishes them all, then
// expectations and the profile. Types are the source columns' types. A failure publishes nothing.
import { exports } from "cloudflare:workers";
import { describeColumns, estimateRows, readOnly, rowBatches } from "../../services/connections/postgres";
import { connectionTarget, getConnection } from "../../services/connections/store";
import { type NewFile, publish } from "../../services/manifest/publish";
import { listFiles, ownTables } from "../../services/manifest/read";
import { profileDataset } from "../../services/uploads/profile-dataset";
import { runExpectations } from "../../services/uploads/run-expectations";
import { appendCompatible, importColumns } from "../../shared/connections/import-shape";
import { storedFromPg } from "../../shared/connections/pg-types";
import { sourceStatement } from "../../shared/connections/postgres-url";
import type { UploadMode } from "../../shared/db/datasets";
import { TarnError } from "../../shared/errors";
import { lakeKey } from "../../shared/lake/partition";
import type { StoredValue } from "../../shared/uploads/column-types";
import { readUploadConfig, type UploadVars } from "../../shared/uploads/config";
import { type TableColumn, TableFileWriter } from "../../shared/uploads/table-parquet";
import type { UploadHooks } from "./upload";

export interface ImportParams {
  connection_id: string;
  dataset: string;
  mode: UploadMode;
  table?: string;
  query?: string;
}

/** Rows the cursor fetches per round trip. */
const CURSOR_ROWS = 2000;

type Progress = (percent: number) => Promise<void>;

export async function runImport(
  env: Env,
  job: { id: string; projectId: string; params: Record<string, unknown>; createdAt: string },
  progress: Progress,
  hooks: UploadHooks = {},
): Promise<Record<string, unknown>> {
  const started = Date.now();
  const params = job.params as unknown as ImportParams;
  const config = readUploadConfig(env as unknown as UploadVars);
  const fileRows = hooks.fileRows ?? config.fileRows;
  const rowGroupRows = Math.min(hooks.rowGroupRows ?? config.rowGroupRows, fileRows);
  // A retry after the publish (the quality step failed) must not import twice: the job's own files
  // (named after it) are already the dataset's.
  const published = (await listFiles(env.DB, job.projectId, { dataset: params.dataset, layer: "uploads" })).filter(
    (f) => f.key.includes(`/${job.id}-`),
  );
  const done =
    published.length > 0
      ? {
          rows: published.reduce((n, f) => n + f.rows, 0),
          files: published.length,
          bytes: published.reduce((n, f) => n + f.bytes, 0),
        }
      : await importRows(env, job, params, { fileRows, rowGroupRows, maxColumns: config.maxColumns }, progress, hooks);
  await progress(95);
  const importMs = Date.now() - started;
  const run = await runExpectations(env, exports, job.projectId, params.dataset, "upload");
  const profile = await profileDataset(env, job.projectId, params.dataset, { expectationsPassed: run?.score ?? null });
  return {
    quality_score: profile.quality_score,
    expectations_passed: run ? run.passed : null,
    dataset: params.dataset,
    mode: params.mode,
    connection_id: params.connection_id,
    source: params.table !== undefined ? { table: params.table } : { query: params.query },
    ...done,
    ms: { import: importMs, quality: Date.now() - started - importMs },
  };
}

/** Reads the source and publishes it as the dataset, in one manifest change; on failure nothing stays. */
async function importRows(
  env: Env,
  job: { id: string; projectId: string; createdAt: string },
  params: ImportParams,
  sizes: { fileRows: number; rowGroupRows: number; maxColumns: number },
  progress: Progress,
  hooks: UploadHooks,
): Promise<{ rows: number; files: number; bytes: number; columns: TableColumn[] }> {
  const connection = await getConnection(env.DB, job.projectId, params.connection_id).catch(() => {
    throw new TarnError("VALIDATION_ERROR", "the import's connection was deleted");
  });
  const target = await connectionTarget(env, connection);
  const statement = sourceStatement(params);
  const day = job.createdAt.slice(0, 10);
  const at = Date.parse(job.createdAt);
  const { fileRows, rowGroupRows } = sizes;
  const files: NewFile[] = [];
  let columns: TableColumn[] = [];

  try {
    await readOnly(
      target,
      async (tx) => {
        columns = importColumns(await describeColumns(tx, statement), sizes.maxColumns);
        if (params.mode === "append") {
          const table = (await ownTables(env.DB, job.projectId)).get(params.dataset);
          if (table) appendCompatible(columns, table.columns);
        }
        const estimate = await estimateRows(tx, statement);
        const values: StoredValue[][] = columns.map(() => []);
        let groupRows = 0;
        let writer = new TableFileWriter(columns, rowGroupRows);
        let rows = 0;
        const flushGroup = () => {
          writer.addRowGroup(values, groupRows);
          for (const v of values) v.length = 0;
          groupRows = 0;
        };
        const storeFile = async () => {
          if (groupRows > 0) flushGroup();
          if (writer.rows === 0) return;
          const index = files.length;
          const key = lakeKey(
            { project: job.projectId, dataset: params.dataset, dt: day, hr: null },
            "uploads",
            `${job.id}-${String(index).padStart(5, "0")}`,
          );
          const fileRowCount = writer.rows;
          const bytes = writer.finish();
          await env.LAKE.put(key, bytes, { httpMetadata: { contentType: "application/vnd.apache.parquet" } });
          files.push({
            key,
            dataset: params.dataset,
            layer: "uploads",
            dt: day,
            hr: null,
            rows: fileRowCount,
            bytes: bytes.byteLength,
            minTs: at,
            maxTs: at,
            columns: columns.map((c) => ({ name: c.name, type: c.type })),
          });
          writer = new TableFileWriter(columns, rowGroupRows);
          await hooks.afterFile?.(index);
        };
        for await (const batch of rowBatches(tx, statement, CURSOR_ROWS)) {
          for (const record of batch) {
            rows++;
            for (let c = 0; c < columns.length; c++) {
              const column = columns[c] as TableColumn;
              const v = storedFromPg(record[c], column.type);
              if (v === undefined) {
                throw new TarnError(
                  "VALIDATION_ERROR",
                  `row ${rows}: value ${JSON.stringify(String(record[c])).slice(0, 60)} of column "${column.name}" cannot be stored as ${column.type}`,
                  { details: { row: rows, column: column.name } },
                );
              }
              (values[c] as StoredValue[]).push(v);
            }
            groupRows++;
            if (groupRows === rowGroupRows) flushGroup();
            if (writer.rows + groupRows >= fileRows) {
              await storeFile();
              await progress(estimate ? Math.min(90, Math.floor(90 * (rows / estimate))) : 50);
            }
          }
        }
        await storeFile();
      },
      // The server refused (a missing table, a syntax error, a permission): permanent. A dropped
      // socket is not a PostgresError and is retried.
      (reason, err) =>
        (err as { name?: string })?.name === "PostgresError"
          ? new TarnError("VALIDATION_ERROR", `the source failed: ${reason}`, { cause: err })
          : new Error(`reading the source failed: ${reason}`, { cause: err }),
    );
    if (files.length === 0)
      throw new TarnError("VALIDATION_ERROR", "the source returned no rows; nothing was imported");
    const current =
      params.mode === "replace"
        ? await listFiles(env.DB, job.projectId, { dataset: params.dataset, layer: "uploads" })
        : [];
    await publish(env.DB, {
      kind: "upload",
      projectId: job.projectId,
      commitId: job.id,
      remove: current.map((f) => f.id),
      add: files,
    });
  } catch (err) {
    // Nothing was published: the files written so far are deleted.
    if (files.length > 0) await env.LAKE.delete(files.map((f) => f.key)).catch(() => undefined);
    throw err;
  }
  return {
    rows: files.reduce((n, f) => n + f.rows, 0),
    files: files.length,
    bytes: files.reduce((n, f) => n + f.bytes, 0),
    columns,
  };
}
