// Upload settings from string vars (README, "Datasets from files"), with their defaults.

export interface UploadConfig {
  /** Largest file accepted, in bytes (a body or the sum of an upload's parts). */
  maxBytes: number;
  /** Most columns a file may have. */
  maxColumns: number;
  /** Rows per Parquet row group of an uploaded table. */
  rowGroupRows: number;
  /** Rows per Parquet file, about: a conversion checkpoints after each file. */
  fileRows: number;
  /** Wall time one job invocation converts for before it hands the rest to its next invocation (ms). */
  runBudgetMs: number;
  /** A column's distinct values are counted exactly up to this many, then estimated (HyperLogLog). */
  profileExactDistinct: number;
}

export type UploadVars = Partial<
  Record<
    "UPLOAD_MAX_BYTES" | "UPLOAD_MAX_COLUMNS" | "UPLOAD_ROW_GROUP_ROWS" | "UPLOAD_FILE_ROWS" | "UPLOAD_RUN_MS",
    string
  >
>;

function int(raw: string | undefined, fallback: number, min: number): number {
  const n = raw === undefined || raw === "" ? Number.NaN : Number(raw);
  return Number.isInteger(n) && n >= min ? n : fallback;
}

export function readUploadConfig(vars: UploadVars): UploadConfig {
  return {
    maxBytes: int(vars.UPLOAD_MAX_BYTES, 2 * 1024 ** 3, 1),
    maxColumns: int(vars.UPLOAD_MAX_COLUMNS, 1000, 1),
    rowGroupRows: int(vars.UPLOAD_ROW_GROUP_ROWS, 131_072, 1),
    fileRows: int(vars.UPLOAD_FILE_ROWS, 524_288, 1),
    runBudgetMs: int(vars.UPLOAD_RUN_MS, 20_000, 1),
    profileExactDistinct: 100_000,
  };
}

/** R2 multipart parts of a streamed body: all the same size (R2 asks it of every part but the last). */
export const STREAM_PART_BYTES = 8 * 1024 * 1024;
/** R2's smallest part (except the last) for client-sent parts. */
export const MIN_PART_BYTES = 5 * 1024 * 1024;

/** A dataset name users may give an upload: a plain SQL identifier. */
export const UPLOAD_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
