// The conversion job of an uploaded file: pass one infers the columns and their types, pass two
// writes ZSTD Parquet files of bounded size into the lake (layer `uploads`), checkpointing after
// every file so a later invocation resumes from that byte offset; then one manifest change
// publishes the dataset, and it is profiled. A malformed file fails the job and publishes nothing.
import { exports } from "cloudflare:workers";
import { parquetMetadataAsync, parquetReadObjects } from "hyparquet";
import { r2AsyncBuffer } from "../../services/lake-objects/r2-buffer";
import { type NewFile, publish } from "../../services/manifest/publish";
import { listFiles, ownTables } from "../../services/manifest/read";
import { profileDataset } from "../../services/uploads/profile-dataset";
import { runExpectations } from "../../services/uploads/run-expectations";
import { type OpenedSource, openSource, type SourceInfo, sourceInfo } from "../../services/uploads/source";
import { getUpload, type UploadRow, updateUpload } from "../../services/uploads/store";
import { TarnError } from "../../shared/errors";
import { lakeKey } from "../../shared/lake/partition";
import { lakeCompressors } from "../../shared/parquet/codecs";
import { readUploadConfig, type UploadVars } from "../../shared/uploads/config";
import { type TableColumn, TableFileWriter } from "../../shared/uploads/table-parquet";
import { checkHeader, RowGroupBuilder, ShapeInference, type ShapeState } from "../../shared/uploads/table-shape";
import {
  csvBatches,
  detectDelimiter,
  jsonArrayBatches,
  ndjsonBatches,
  type RecordBatch,
  utf8Checked,
} from "../../shared/uploads/text-sources";
import { badFile } from "../../shared/uploads/upload-error";

export interface UploadHooks {
  /** Overrides of the configured sizes and budget (tests make small files and short invocations). */
  fileRows?: number;
  rowGroupRows?: number;
  budgetMs?: number;
  /** Called after each Parquet file is stored and checkpointed (a test crashes the job here). */
  afterFile?: (index: number) => void | Promise<void>;
}

export interface UploadParams {
  upload_id: string;
  dataset: string;
  delimiter?: string;
  quote?: string;
}

interface WrittenFile extends NewFile {}

/** Where a conversion is: everything a later invocation needs to go on. */
interface Checkpoint {
  phase: "infer" | "write" | "published";
  /** Resume point of the current phase: byte offset, lines and data records consumed. */
  offset: number;
  line: number;
  records: number;
  shape?: ShapeState;
  delimiter?: string;
  /** Byte offset and line after the CSV header (where pass two starts). */
  dataStart?: { offset: number; line: number };
  columns?: TableColumn[];
  mixed?: { column: string; kinds: string[] }[];
  files: WrittenFile[];
  snapshot?: number;
  rows?: number;
  /** Types were inferred from the first SAMPLE_RECORDS records only (one pass when the rest fits). */
  sampled?: boolean;
  /** A value past the sample did not fit: infer from every record (two passes). */
  fullInference?: boolean;
  /** Invocations the conversion has taken so far. */
  invocations?: number;
  /** Wall milliseconds spent per phase, summed over invocations. */
  ms?: { infer: number; write: number; publish: number };
}

type Progress = (percent: number) => Promise<void>;

export type UploadOutcome =
  | { continue: true; progress: number }
  | { continue?: false; result: Record<string, unknown> };

const PAR1 = [0x50, 0x41, 0x52, 0x31];

/**
 * Records pass one reads before it settles the types. The rest of the file is read once, by pass
 * two; if a later value does not fit (or a JSON key is new), the written files are dropped and the
 * types are inferred from every record, then the file is converted again.
 */
const SAMPLE_RECORDS = 20_000;

function isParquet(head: Uint8Array): boolean {
  return PAR1.every((b, i) => head[i] === b);
}

function checkFormat(format: UploadRow["format"], info: SourceInfo): void {
  if (info.size === 0 || info.head.length === 0) throw badFile("the file is empty");
  if (format === "parquet") {
    if (!isParquet(info.head)) throw badFile("the file is not Parquet (it does not start with PAR1)");
    if (info.gzip) throw badFile("a Parquet file is compressed inside; do not gzip it");
    return;
  }
  if (isParquet(info.head)) throw badFile(`the file is Parquet, not ${format}: upload it with format=parquet`);
  if (info.head.includes(0)) throw badFile(`the file is binary, not ${format} text`);
  if (format === "json") {
    const text = new TextDecoder()
      .decode(info.head)
      .replace(/^\ufeff/, "")
      .trimStart();
    if (text.startsWith("{"))
      throw badFile("a JSON upload is an array of objects; for one object per line use format=ndjson", { line: 1 });
    if (!text.startsWith("[")) throw badFile("a JSON upload must be an array of objects", { line: 1 });
  }
}

/** The text records of the file from a resume point; gzip and JSON arrays restart and skip records. */
async function* textBatches(
  lake: R2Bucket,
  upload: UploadRow,
  info: SourceInfo,
  cp: Checkpoint,
  from: { offset: number; line: number; records: number },
  params: UploadParams,
  opened: (s: OpenedSource) => void,
): AsyncGenerator<RecordBatch & { header?: string[] }> {
  const byteResumable = !info.gzip && upload.format !== "json";
  const start = byteResumable ? { offset: from.offset, line: from.line } : { offset: 0, line: 0 };
  let skip = byteResumable ? 0 : from.records;
  const source = await openSource(lake, info, start.offset);
  opened(source);
  const bytes = source.stream.pipeThrough(utf8Checked(start));
  let inner: AsyncGenerator<RecordBatch>;
  let wantHeader = upload.format === "csv" && start.offset === 0;
  if (upload.format === "csv") {
    const quote = params.quote ?? '"';
    const delimiter =
      cp.delimiter ??
      params.delimiter ??
      detectDelimiter(new TextDecoder().decode(info.head).replace(/^\ufeff/, ""), quote);
    cp.delimiter = delimiter;
    inner = csvBatches(bytes, { delimiter, quote, width: cp.columns?.length ?? cp.shape?.columns.length }, start);
  } else if (upload.format === "ndjson") inner = ndjsonBatches(bytes, start);
  else inner = jsonArrayBatches(bytes);
  for await (const batch of inner) {
    let records = batch.records;
    if (wantHeader) {
      wantHeader = false;
      const header = records[0] as string[];
      records = records.slice(1);
      yield { header, records: [], offset: batch.offset, line: batch.line };
    }
    if (skip > 0) {
      const drop = Math.min(skip, records.length);
      records = records.slice(drop);
      skip -= drop;
    }
    yield { ...batch, records };
  }
}

/** A Parquet upload's rows, a row group at a time from `fromRow` (its resume point is a row number). */
async function* parquetBatches(lake: R2Bucket, info: SourceInfo, fromRow: number): AsyncGenerator<RecordBatch> {
  const file = r2AsyncBuffer(lake, info.key, info.size);
  let metadata: Awaited<ReturnType<typeof parquetMetadataAsync>>;
  try {
    metadata = await parquetMetadataAsync(file);
  } catch (err) {
    throw badFile(`the Parquet file is unreadable: ${String(err instanceof Error ? err.message : err)}`);
  }
  let start = 0;
  for (const group of metadata.row_groups) {
    const end = start + Number(group.num_rows);
    if (end > fromRow) {
      const rows = await parquetReadObjects({
        file,
        metadata,
        rowStart: Math.max(start, fromRow),
        rowEnd: end,
        compressors: lakeCompressors,
      });
      yield { records: rows, offset: Number(group.columns[0]?.meta_data?.data_page_offset ?? 0), line: end };
    }
    start = end;
  }
}

async function saveCheckpoint(db: D1Database, upload: UploadRow, cp: Checkpoint) {
  await updateUpload(db, upload.id, { checkpoint: cp as unknown as Record<string, unknown> });
}

/** A source stream that fails midway (a corrupt gzip member, a truncated object) fails the file. */
function asBadFile(err: unknown, info: SourceInfo): unknown {
  if (err instanceof TarnError) return err;
  if (info.gzip && err instanceof TypeError) return badFile("the gzip data is corrupt or truncated");
  return err;
}

export async function runUpload(
  env: Env,
  job: { id: string; projectId: string; params: Record<string, unknown> },
  progress: Progress,
  hooks: UploadHooks = {},
): Promise<UploadOutcome> {
  const started = Date.now();
  const config = readUploadConfig(env as unknown as UploadVars);
  const fileRows = hooks.fileRows ?? config.fileRows;
  const rowGroupRows = Math.min(hooks.rowGroupRows ?? config.rowGroupRows, fileRows);
  const budgetMs = hooks.budgetMs ?? config.runBudgetMs;
  const params = job.params as unknown as UploadParams;
  const upload = await getUpload(env.DB, job.projectId, params.upload_id);
  if (!upload) throw new TarnError("VALIDATION_ERROR", "the upload of this job does not exist");
  const cp: Checkpoint = (upload.checkpoint as unknown as Checkpoint | null) ?? {
    phase: "infer",
    offset: 0,
    line: 0,
    records: 0,
    files: [],
  };
  const overBudget = () => Date.now() - started >= budgetMs;
  cp.invocations = (cp.invocations ?? 0) + 1;
  cp.ms = cp.ms ?? { infer: 0, write: 0, publish: 0 };
  const ms = cp.ms;
  let mark = Date.now();
  const lap = (phase: keyof typeof ms) => {
    const now = Date.now();
    ms[phase] += now - mark;
    mark = now;
  };
  try {
    if (cp.phase !== "published") {
      const info = await sourceInfo(env.LAKE, upload.sourceKey);
      checkFormat(upload.format, info);
      const fromText = upload.format === "csv";
      let source: OpenedSource | null = null;
      const storedProgress = () => (source ? Math.min(1, source.storedRead / Math.max(1, info.size)) : 0);
      const batches = (from: { offset: number; line: number; records: number }) =>
        upload.format === "parquet"
          ? parquetBatches(env.LAKE, info, from.records)
          : textBatches(env.LAKE, upload, info, cp, from, params, (s) => {
              source = s;
            });

      for (;;) {
        if (cp.phase === "infer") {
          const inference = new ShapeInference(fromText, config.maxColumns, cp.shape);
          let sinceSave = 0;
          try {
            for await (const batch of batches(cp)) {
              const header = (batch as { header?: string[] }).header;
              if (header) {
                inference.setHeader(checkHeader(header, config.maxColumns));
                cp.dataStart = { offset: batch.offset, line: batch.line };
                continue;
              }
              inference.add(batch.records);
              cp.records += batch.records.length;
              cp.offset = batch.offset;
              cp.line = batch.line;
              // Every column has shown a value: the sample settles the types (a column still all null
              // needs more rows, so its type is not guessed).
              if (!cp.fullInference && cp.records >= SAMPLE_RECORDS && inference.state.kinds.every((k) => k !== 0)) {
                cp.sampled = true;
                break;
              }
              sinceSave += batch.records.length;
              if (sinceSave >= fileRows) {
                sinceSave = 0;
                await progress(Math.floor(40 * storedProgress()));
                if (overBudget()) {
                  lap("infer");
                  cp.shape = inference.state;
                  await saveCheckpoint(env.DB, upload, cp);
                  return { continue: true, progress: Math.floor(40 * storedProgress()) };
                }
              }
            }
          } catch (err) {
            throw asBadFile(err, info);
          }
          if (cp.records === 0) {
            throw cp.dataStart ? badFile("the file has a header but no rows") : badFile("the file has no records");
          }
          const shape = inference.result();
          cp.columns = await appendColumns(env, job.projectId, upload, shape.columns);
          cp.mixed = shape.mixed;
          cp.shape = undefined;
          lap("infer");
          cp.rows = cp.sampled ? undefined : cp.records;
          cp.phase = "write";
          cp.offset = cp.dataStart?.offset ?? 0;
          cp.line = cp.dataStart?.line ?? 0;
          cp.records = 0;
          await saveCheckpoint(env.DB, upload, cp);
          await progress(40);
        }

        if (cp.phase === "write") {
          const columns = cp.columns as TableColumn[];
          const builder = new RowGroupBuilder(columns, fromText);
          let writer = new TableFileWriter(columns, rowGroupRows);
          const day = upload.createdAt.slice(0, 10);
          const storeFile = async (offset: number, line: number) => {
            if (builder.n > 0) writer.addRowGroup(builder.values, builder.n);
            builder.reset();
            if (writer.rows === 0) return;
            const index = cp.files.length;
            const key = lakeKey(
              { project: job.projectId, dataset: upload.dataset, dt: day, hr: null },
              "uploads",
              `${job.id}-${String(index).padStart(5, "0")}`,
            );
            const rows = writer.rows;
            const bytes = writer.finish();
            await env.LAKE.put(key, bytes, { httpMetadata: { contentType: "application/vnd.apache.parquet" } });
            const at = Date.parse(upload.createdAt);
            cp.files.push({
              key,
              dataset: upload.dataset,
              layer: "uploads",
              dt: day,
              hr: null,
              rows,
              bytes: bytes.byteLength,
              minTs: at,
              maxTs: at,
              columns: columns.map((c) => ({ name: c.name, type: c.type })),
            });
            cp.records += rows;
            cp.offset = offset;
            cp.line = line;
            await saveCheckpoint(env.DB, upload, cp);
            writer = new TableFileWriter(columns, rowGroupRows);
            await hooks.afterFile?.(index);
          };
          try {
            for await (const batch of batches(cp)) {
              if ((batch as { header?: string[] }).header) continue;
              const { records, ends, lines } = batch;
              let at = cp.records + writer.rows + builder.n;
              for (let i = 0; i < records.length; i++) {
                builder.add(records[i], ++at + (fromText ? 1 : 0));
                if (builder.n === rowGroupRows) {
                  writer.addRowGroup(builder.values, builder.n);
                  builder.reset();
                }
                // A file ends at a record whose end offset is known (any record of a byte-resumable
                // reader; else a batch's last), so the checkpoint is exactly where the next file starts.
                const last = i === records.length - 1;
                if (writer.rows + builder.n >= fileRows && (ends || last)) {
                  await storeFile(ends?.[i] ?? batch.offset, lines?.[i] ?? batch.line);
                  const done = cp.rows ? cp.records / cp.rows : storedProgress();
                  const percent = (cp.sampled ? 5 : 40) + Math.floor((cp.sampled ? 90 : 55) * done);
                  await progress(percent);
                  if (overBudget()) {
                    lap("write");
                    await saveCheckpoint(env.DB, upload, cp);
                    return { continue: true, progress: percent };
                  }
                }
              }
            }
          } catch (err) {
            const bad = asBadFile(err, info);
            if (!(cp.sampled && bad instanceof TarnError && bad.details.misfit)) throw bad;
            // The sample's types do not hold: drop what was written and infer from every record.
            await env.LAKE.delete(cp.files.map((f) => f.key)).catch(() => undefined);
            Object.assign(cp, {
              phase: "infer",
              offset: 0,
              line: 0,
              records: 0,
              files: [],
              sampled: false,
              fullInference: true,
            });
            cp.columns = undefined;
            cp.dataStart = undefined;
            lap("write");
            await saveCheckpoint(env.DB, upload, cp);
            continue;
          }
          await storeFile(cp.offset, cp.line);
          lap("write");
          const current =
            upload.mode === "replace"
              ? await listFiles(env.DB, job.projectId, { dataset: upload.dataset, layer: "uploads" })
              : [];
          cp.snapshot = await publish(env.DB, {
            kind: "upload",
            projectId: job.projectId,
            commitId: job.id,
            remove: current.map((f) => f.id),
            add: cp.files,
          });
          cp.phase = "published";
          lap("publish");
          await saveCheckpoint(env.DB, upload, cp);
          await env.LAKE.delete(upload.sourceKey).catch(() => undefined);
          await progress(95);
        }
        break;
      }
    }
  } catch (err) {
    if (err instanceof TarnError && err.code === "VALIDATION_ERROR") await discard(env, upload, cp);
    throw err;
  }
  // Published: expectations are measured, then the profile (whose score counts them) is stored.
  const qualityStart = Date.now();
  const run = await runExpectations(env, exports, job.projectId, upload.dataset, "upload");
  const profile = await profileDataset(env, job.projectId, upload.dataset, { expectationsPassed: run?.score ?? null });
  const qualityMs = Date.now() - qualityStart;
  return {
    result: {
      quality_score: profile.quality_score,
      expectations_passed: run ? run.passed : null,
      dataset: upload.dataset,
      mode: upload.mode,
      rows: cp.files.reduce((n, f) => n + f.rows, 0),
      files: cp.files.length,
      bytes: cp.files.reduce((n, f) => n + f.bytes, 0),
      snapshot: cp.snapshot ?? null,
      columns: cp.columns ?? [],
      type_mismatches: cp.mixed ?? [],
      invocations: cp.invocations,
      ms: { ...cp.ms, quality: qualityMs },
    },
  };
}

/**
 * An append keeps the table's column types (a value that does not fit fails the job with its line);
 * columns the table lacks join it with their inferred types.
 */
async function appendColumns(
  env: Env,
  projectId: string,
  upload: UploadRow,
  inferred: TableColumn[],
): Promise<TableColumn[]> {
  if (upload.mode !== "append") return inferred;
  const table = (await ownTables(env.DB, projectId)).get(upload.dataset);
  if (!table) return inferred;
  const existing = new Map(table.columns.map((c) => [c.name.toLowerCase(), c.type]));
  return inferred.map((c) => ({
    name: c.name,
    type: (existing.get(c.name.toLowerCase()) as TableColumn["type"]) ?? c.type,
  }));
}

/** A failed conversion leaves nothing: its Parquet files (never published) and its source are deleted. */
async function discard(env: Env, upload: UploadRow, cp: Checkpoint): Promise<void> {
  const keys = [...cp.files.map((f) => f.key), upload.sourceKey];
  await env.LAKE.delete(keys).catch(() => undefined);
}
