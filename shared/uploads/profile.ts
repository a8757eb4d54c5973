// A dataset's profile, computed in one pass over its rows (row group by row group): per column nulls,
// distinct values (exact up to a bound, then HyperLogLog), min, max, mean, standard deviation, top
// values and robust outliers; exact duplicate rows; the issues found; and the quality score.
import { hashString, hashValue } from "../sketch/hash";
import { HyperLogLog } from "../sketch/hll";

export interface ProfileColumnInput {
  name: string;
  type: string;
}

export interface ColumnProfile {
  name: string;
  type: string;
  null_count: number;
  null_percentage: number;
  unique_count: number;
  unique_exact: boolean;
  min: unknown;
  max: unknown;
  mean: number | null;
  std_dev: number | null;
  top_values: { value: unknown; count: number }[];
  low_quality: boolean;
}

export type IssueType = "high_nulls" | "duplicates" | "outliers" | "type_mismatch" | "constant";

export interface ProfileIssue {
  column: string | null;
  issue_type: IssueType;
  severity: "low" | "medium" | "high";
  description: string;
}

export interface Profile {
  row_count: number;
  column_count: number;
  duplicate_rows: number;
  quality_score: number;
  quality: { completeness: number; accuracy: number; validity: number; expectations: number | null };
  columns: ColumnProfile[];
  issues: ProfileIssue[];
}

const SAMPLE = 16_384;
const TOP = 5;
const NUMERIC = new Set(["BIGINT", "DOUBLE", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT", "FLOAT", "REAL"]);
const TEMPORAL = new Set(["DATE", "TIMESTAMP"]);

/** A value as the profile compares and counts it: numbers for numeric and temporal columns. */
function normal(v: unknown, type: string): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === "bigint") return Number(v);
  if (v instanceof Date) return v.getTime();
  if (typeof v === "object") return JSON.stringify(v);
  if (typeof v === "number" && type === "DATE" && Math.abs(v) < 1e6) return v * 86_400_000;
  return v;
}

/** How a normal value is shown: dates and timestamps as ISO text. */
function shown(v: unknown, type: string): unknown {
  if (v === null || v === undefined) return null;
  if (TEMPORAL.has(type) && typeof v === "number") {
    const iso = new Date(v).toISOString();
    return type === "DATE" ? iso.slice(0, 10) : iso;
  }
  return v;
}

/** Deterministic pseudo-random numbers for the reservoir sample (profiles are reproducible). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

class ColumnStats {
  nulls = 0;
  n = 0;
  counts: Map<unknown, number> | null = new Map();
  hll = new HyperLogLog();
  min: unknown = null;
  max: unknown = null;
  mean = 0;
  m2 = 0;
  sample: number[] = [];
  seen = 0;
  private readonly random = lcg(0x5eed);

  constructor(
    readonly column: ProfileColumnInput,
    readonly exactBound: number,
  ) {}

  add(raw: unknown): void {
    const v = normal(raw, this.column.type);
    if (v === null) {
      this.nulls++;
      return;
    }
    this.n++;
    this.hll.add(hashValue(v));
    if (this.counts) {
      this.counts.set(v, (this.counts.get(v) ?? 0) + 1);
      if (this.counts.size > this.exactBound) this.counts = null;
    }
    if (this.min === null || (v as number) < (this.min as number)) this.min = v;
    if (this.max === null || (v as number) > (this.max as number)) this.max = v;
    if (typeof v === "number" && NUMERIC.has(this.column.type)) {
      const d = v - this.mean;
      this.mean += d / this.n;
      this.m2 += d * (v - this.mean);
      this.seen++;
      if (this.sample.length < SAMPLE) this.sample.push(v);
      else {
        const j = Math.floor(this.random() * this.seen);
        if (j < SAMPLE) this.sample[j] = v;
      }
    }
  }

  /** Rows outside the far-out Tukey fences (Q1 − 3·IQR, Q3 + 3·IQR), exact when every value is in the sample. */
  outliers(): { count: number; exact: boolean; low: number; high: number } | null {
    if (this.sample.length < 8) return null;
    const sorted = Float64Array.from(this.sample).sort();
    const q = (p: number) => {
      const i = (sorted.length - 1) * p;
      const lo = Math.floor(i);
      return (sorted[lo] as number) + ((sorted[Math.ceil(i)] as number) - (sorted[lo] as number)) * (i - lo);
    };
    const q1 = q(0.25);
    const q3 = q(0.75);
    const iqr = q3 - q1;
    if (iqr === 0) return null;
    const low = q1 - 3 * iqr;
    const high = q3 + 3 * iqr;
    let out = 0;
    for (const v of sorted) if (v < low || v > high) out++;
    const exact = this.seen === this.sample.length;
    return { count: exact ? out : Math.round((out / sorted.length) * this.seen), exact, low, high };
  }

  result(rows: number): ColumnProfile {
    const type = this.column.type;
    const exact = this.counts !== null;
    const top = exact
      ? [...(this.counts as Map<unknown, number>)]
          .sort((a, b) => b[1] - a[1] || String(a[0]).localeCompare(String(b[0])))
          .slice(0, TOP)
          .map(([value, count]) => ({ value: shown(value, type), count }))
      : [];
    const numeric = NUMERIC.has(type) && this.n > 0;
    const nullPct = rows === 0 ? 0 : Math.round((10_000 * this.nulls) / rows) / 100;
    return {
      name: this.column.name,
      type,
      null_count: this.nulls,
      null_percentage: nullPct,
      unique_count: exact ? (this.counts as Map<unknown, number>).size : Math.round(this.hll.estimate()),
      unique_exact: exact,
      min: shown(this.min, type),
      max: shown(this.max, type),
      mean: numeric ? this.mean : null,
      std_dev: numeric && this.n > 1 ? Math.sqrt(this.m2 / (this.n - 1)) : null,
      top_values: top,
      low_quality: nullPct > 50,
    };
  }
}

/**
 * Exact duplicate rows by a 53-bit hash of each row in an open-addressing table of doubles: about
 * 16 bytes per row, and a false duplicate needs a 53-bit collision (odds ~n²/2⁵⁴: 1 in 18,000 at 1M rows).
 */
class DuplicateCounter {
  private table: Float64Array;
  private size = 0;
  duplicates = 0;

  constructor(expectedRows: number) {
    let cap = 1024;
    while (cap < expectedRows * 2) cap *= 2;
    this.table = new Float64Array(cap).fill(-1);
  }

  add(key: string): void {
    const h1 = hashString(key, 0x9747b28c) >>> 0;
    const h2 = hashString(key, 0x1b873593) >>> 11;
    const h = h1 * 2 ** 21 + h2;
    if (this.size * 2 >= this.table.length) this.grow();
    if (!this.insert(h)) this.duplicates++;
  }

  private insert(h: number): boolean {
    const mask = this.table.length - 1;
    let i = (h % this.table.length) & mask;
    for (;;) {
      const slot = this.table[i] as number;
      if (slot === -1) {
        this.table[i] = h;
        this.size++;
        return true;
      }
      if (slot === h) return false;
      i = (i + 1) & mask;
    }
  }

  private grow(): void {
    const old = this.table;
    this.table = new Float64Array(old.length * 2).fill(-1);
    this.size = 0;
    for (const h of old) if (h !== -1) this.insert(h);
  }
}

export interface ProfilerOptions {
  exactDistinct: number;
  /** Rows expected (sizes the duplicate table). */
  rows: number;
  /** Columns left out when rows are compared for duplicates (for events: event_id, received_at). */
  ignoreForDuplicates?: readonly string[];
  /** Columns whose values mixed types (reported by the conversion). */
  typeMismatches?: readonly { column: string; kinds: string[] }[];
  /** Share of the dataset's expectations that passed, when it has any. */
  expectationsPassed?: number | null;
}

/**
 * Accumulates rows; `finish` returns the profile.
 * @example const p = new Profiler(columns, opts); for (const group of groups) p.add(group); p.finish();
 */
export class Profiler {
  private readonly stats: ColumnStats[];
  private readonly dupes: DuplicateCounter;
  private readonly dupeColumns: number[];
  rows = 0;

  constructor(
    private readonly columns: readonly ProfileColumnInput[],
    private readonly options: ProfilerOptions,
  ) {
    this.stats = columns.map((c) => new ColumnStats(c, options.exactDistinct));
    this.dupes = new DuplicateCounter(options.rows);
    const ignored = new Set(options.ignoreForDuplicates ?? []);
    this.dupeColumns = columns.flatMap((c, i) => (ignored.has(c.name) ? [] : [i]));
  }

  /** Adds rows given as objects keyed by column name. */
  add(rows: readonly Record<string, unknown>[]): void {
    const names = this.columns.map((c) => c.name);
    for (const row of rows) {
      this.rows++;
      let key = "";
      for (let c = 0; c < names.length; c++) {
        const v = row[names[c] as string];
        (this.stats[c] as ColumnStats).add(v);
      }
      for (const c of this.dupeColumns) {
        const v = row[names[c] as string];
        key += `${v === null || v === undefined ? "\u0000" : typeof v === "object" && !(v instanceof Date) ? JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? String(x) : x)) : String(v instanceof Date ? v.getTime() : v)}\u0001`;
      }
      this.dupes.add(key);
    }
  }

  finish(): Profile {
    const rows = this.rows;
    const columns = this.stats.map((s) => s.result(rows));
    const issues: ProfileIssue[] = [];
    let outlierRows = 0;
    for (const [i, c] of columns.entries()) {
      if (c.null_percentage > 50) {
        issues.push({
          column: c.name,
          issue_type: "high_nulls",
          severity: c.null_percentage > 90 ? "high" : "medium",
          description: `${c.null_percentage}% of the values are null`,
        });
      }
      if (rows > 1 && c.null_count < rows && c.unique_count === 1) {
        issues.push({
          column: c.name,
          issue_type: "constant",
          severity: "low",
          description: `every non-null value is ${JSON.stringify(c.top_values[0]?.value ?? c.min)}`,
        });
      }
      const outliers = (this.stats[i] as ColumnStats).outliers();
      if (outliers && outliers.count > 0) {
        outlierRows += outliers.count;
        issues.push({
          column: c.name,
          issue_type: "outliers",
          severity: "low",
          description: `${outliers.exact ? "" : "about "}${outliers.count} values outside [${round(outliers.low)}, ${round(outliers.high)}] (Q1 − 3·IQR, Q3 + 3·IQR)`,
        });
      }
    }
    for (const m of this.options.typeMismatches ?? []) {
      issues.push({
        column: m.column,
        issue_type: "type_mismatch",
        severity: "medium",
        description: `values mix ${m.kinds.join(", ")}; the column is VARCHAR`,
      });
    }
    const duplicates = this.dupes.duplicates;
    if (duplicates > 0) {
      issues.push({
        column: null,
        issue_type: "duplicates",
        severity: duplicates / rows > 0.05 ? "high" : "medium",
        description: `${duplicates} rows repeat an earlier row exactly`,
      });
    }
    const quality = qualityOf({
      rows,
      columns: columns.length,
      nulls: columns.reduce((n, c) => n + c.null_count, 0),
      duplicates,
      outlierRows,
      mismatchedColumns: new Set((this.options.typeMismatches ?? []).map((m) => m.column)).size,
      expectationsPassed: this.options.expectationsPassed ?? null,
    });
    return {
      row_count: rows,
      column_count: columns.length,
      duplicate_rows: duplicates,
      quality_score: quality.score,
      quality: quality.parts,
      columns,
      issues,
    };
  }
}

const round = (x: number) => Math.round(x * 1000) / 1000;

/**
 * The quality score (README, "Quality score"): 0.4 · completeness + 0.3 · accuracy + 0.3 · validity,
 * where completeness = 1 − nulls / cells, accuracy = 1 − (duplicate rows + outlier values) / rows
 * (at least 0), validity = 1 − columns whose values mixed types / columns. With expectations, the
 * score is 0.8 · that + 0.2 · the share of expectations that passed.
 */
export function qualityOf(x: {
  rows: number;
  columns: number;
  nulls: number;
  duplicates: number;
  outlierRows: number;
  mismatchedColumns: number;
  expectationsPassed: number | null;
}) {
  const cells = x.rows * x.columns;
  const completeness = cells === 0 ? 1 : 1 - x.nulls / cells;
  const accuracy = x.rows === 0 ? 1 : Math.max(0, 1 - (x.duplicates + x.outlierRows) / x.rows);
  const validity = x.columns === 0 ? 1 : 1 - x.mismatchedColumns / x.columns;
  const base = 0.4 * completeness + 0.3 * accuracy + 0.3 * validity;
  const score = x.expectationsPassed === null ? base : 0.8 * base + 0.2 * x.expectationsPassed;
  const r = (v: number) => Math.round(v * 10_000) / 10_000;
  return {
    score: r(score),
    parts: {
      completeness: r(completeness),
      accuracy: r(accuracy),
      validity: r(validity),
      expectations: x.expectationsPassed,
    },
  };
}

/**
 * The profile as a reader who sees some columns masked may read it: those columns keep their counts
 * (nulls, distinct values) but not their values (min, max, mean, deviation, top values), and their
 * issues say what was found without quoting a value.
 */
export function withheldForReader<P extends Profile>(profile: P, masked: (column: string) => boolean): P {
  return {
    ...profile,
    columns: profile.columns.map((c) =>
      masked(c.name) ? { ...c, min: null, max: null, mean: null, std_dev: null, top_values: [] } : c,
    ),
    issues: profile.issues.map((i) =>
      i.column !== null && masked(i.column)
        ? { ...i, description: `${i.issue_type.replace("_", " ")} in ${i.column} (values masked for you)` }
        : i,
    ),
  };
}
