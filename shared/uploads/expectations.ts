// Expectations on a dataset: their shapes, the SQL that measures each one (run by the query engine,
// so the same text can be checked in DuckDB), and the verdict from what it measured.
import { z } from "zod";

export const EXPECTATION_TYPES = [
  "not_null",
  "unique",
  "between",
  "in_set",
  "matches_regex",
  "row_count_between",
  "fresh_within",
  "sql",
] as const;

const Scalar = z.union([z.string(), z.number(), z.boolean()]);

export const ExpectationSchema = z
  .strictObject({
    id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, "must be 1–64 letters, digits, _ . or -"),
    type: z.enum(EXPECTATION_TYPES),
    column: z.string().min(1).max(128).optional(),
    min: z.number().optional(),
    max: z.number().optional(),
    values: z.array(Scalar).min(1).max(1000).optional(),
    pattern: z.string().min(1).max(500).optional(),
    seconds: z.number().int().positive().optional(),
    /** `sql`: a SELECT whose first value is the number of failing rows (0 passes). */
    sql: z.string().min(1).max(10_000).optional(),
    severity: z.enum(["warn", "fail"]).default("fail"),
  })
  .superRefine((e, ctx) => {
    const need = (field: keyof typeof e, why: string) => {
      if (e[field] === undefined) ctx.addIssue({ code: "custom", path: [field], message: `is required ${why}` });
    };
    if (["not_null", "unique", "between", "in_set", "matches_regex"].includes(e.type)) need("column", `for ${e.type}`);
    if (e.type === "between" || e.type === "row_count_between") {
      if (e.min === undefined && e.max === undefined)
        ctx.addIssue({ code: "custom", path: ["min"], message: "min or max is required" });
    }
    if (e.type === "in_set") need("values", "for in_set");
    if (e.type === "matches_regex") need("pattern", "for matches_regex");
    if (e.type === "fresh_within") need("seconds", "for fresh_within");
    if (e.type === "sql") need("sql", "for sql");
  });
export type Expectation = z.infer<typeof ExpectationSchema>;

export const ExpectationsBody = z
  .strictObject({ expectations: z.array(ExpectationSchema).max(100) })
  .superRefine((b, ctx) => {
    const ids = new Set<string>();
    for (const [i, e] of b.expectations.entries()) {
      if (ids.has(e.id)) ctx.addIssue({ code: "custom", path: ["expectations", i, "id"], message: "is used twice" });
      ids.add(e.id);
    }
  })
  .meta({ id: "Expectations" });

export interface ExpectationResult {
  id: string;
  type: Expectation["type"];
  column: string | null;
  severity: "warn" | "fail";
  passed: boolean;
  observed: unknown;
  failing_rows: number | null;
  error?: string;
}

export const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;
const literal = (v: string | number | boolean) =>
  typeof v === "string" ? `'${v.replaceAll("'", "''")}'` : typeof v === "boolean" ? (v ? "TRUE" : "FALSE") : String(v);

/** The query whose single row measures the expectation (null for fresh_within, read from the manifest). */
export function expectationSql(e: Expectation, table: string): string | null {
  const t = ident(table);
  const c = e.column === undefined ? "" : ident(e.column);
  switch (e.type) {
    case "not_null":
      return `SELECT count(*) AS failing FROM ${t} WHERE ${c} IS NULL`;
    case "unique":
      return `SELECT count(${c}) - count(DISTINCT ${c}) AS failing FROM ${t}`;
    case "between": {
      const out = [e.min !== undefined ? `${c} < ${e.min}` : null, e.max !== undefined ? `${c} > ${e.max}` : null]
        .filter(Boolean)
        .join(" OR ");
      return `SELECT coalesce(sum(CASE WHEN ${out} THEN 1 ELSE 0 END), 0) AS failing, min(${c}) AS lo, max(${c}) AS hi FROM ${t}`;
    }
    case "in_set":
      return `SELECT count(*) AS failing FROM ${t} WHERE ${c} IS NOT NULL AND ${c} NOT IN (${(e.values ?? []).map(literal).join(", ")})`;
    case "matches_regex":
      return `SELECT count(*) AS failing FROM ${t} WHERE ${c} IS NOT NULL AND NOT regexp_matches(CAST(${c} AS VARCHAR), ${literal(e.pattern ?? "")})`;
    case "row_count_between":
      return `SELECT count(*) AS n FROM ${t}`;
    case "sql":
      return e.sql ?? null;
    case "fresh_within":
      return null;
  }
}

/** The verdict from the measuring query's first row (or, for fresh_within, the age in seconds). */
export function verdict(e: Expectation, row: unknown[] | null, ageSeconds: number | null): ExpectationResult {
  const base = { id: e.id, type: e.type, column: e.column ?? null, severity: e.severity };
  if (e.type === "row_count_between") {
    const n = Number(row?.[0] ?? 0);
    const passed = (e.min === undefined || n >= e.min) && (e.max === undefined || n <= e.max);
    return { ...base, passed, observed: n, failing_rows: null };
  }
  if (e.type === "fresh_within") {
    const passed = ageSeconds !== null && ageSeconds <= (e.seconds ?? 0);
    return { ...base, passed, observed: ageSeconds === null ? null : Math.round(ageSeconds), failing_rows: null };
  }
  const failing = Number(row?.[0] ?? 0);
  const observed = e.type === "between" ? { failing, min: row?.[1] ?? null, max: row?.[2] ?? null } : failing;
  return { ...base, passed: failing === 0, observed, failing_rows: failing };
}

/** The expectations score: the share that passed, failures of `fail` severity weighing twice a `warn`. */
export function expectationScore(results: readonly ExpectationResult[]): number | null {
  if (results.length === 0) return null;
  let total = 0;
  let passed = 0;
  for (const r of results) {
    const w = r.severity === "fail" ? 2 : 1;
    total += w;
    if (r.passed) passed += w;
  }
  return Math.round((passed / total) * 10_000) / 10_000;
}
