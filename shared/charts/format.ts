// Text in charts: XML escaping, compact numbers (1.2k, 3.4M, 1e+21) and column typing.

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

const STEPS: [number, string][] = [
  [1e12, "T"],
  [1e9, "B"],
  [1e6, "M"],
  [1e3, "k"],
];

/** A number short enough for an axis or a tile: 950, 1.2k, 3.4M, 5T, 1.0e+21, -0.25. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const abs = Math.abs(v);
  if (abs >= 1e15) return v.toExponential(1);
  for (const [size, suffix] of STEPS)
    if (abs >= size) return `${Number((v / size).toPrecision(3)).toString()}${suffix}`;
  if (abs === 0) return "0";
  if (abs < 0.001) return v.toExponential(1);
  return Number(v.toPrecision(3)).toString();
}

/** A value as a number, or null (NULL, empty, not numeric). Big integers arrive as strings. */
export function toNumber(value: unknown): number | null {
  if (value === null || value === undefined || value === "") return null;
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (typeof value === "bigint") return Number(value);
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "string") {
    const n = Number(value);
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

const ISO = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** A value as a time in ms, or null. */
export function toTime(value: unknown): number | null {
  if (value instanceof Date) return value.getTime();
  if (typeof value !== "string" || !ISO.test(value)) return null;
  const t = Date.parse(value.length === 10 ? `${value}T00:00:00Z` : value);
  return Number.isNaN(t) ? null : t;
}

const NUMERIC =
  /^(BIGINT|INTEGER|SMALLINT|TINYINT|HUGEINT|UBIGINT|UINTEGER|USMALLINT|UTINYINT|DOUBLE|FLOAT|REAL|DECIMAL)/;
const TEMPORAL = /^(TIMESTAMP|DATE)/;

export type ColumnKind = "time" | "number" | "category";

/** How a column charts: by its SQL type, else by its values. */
export function columnKind(type: string | undefined, values: unknown[]): ColumnKind {
  if (type && TEMPORAL.test(type)) return "time";
  if (type && NUMERIC.test(type)) return "number";
  const present = values.filter((v) => v !== null && v !== undefined);
  if (present.length === 0) return "category";
  if (present.every((v) => toTime(v) !== null)) return "time";
  if (present.every((v) => typeof v === "number" || typeof v === "bigint")) return "number";
  return "category";
}

/** A cell as table text. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return "NULL";
  if (typeof value === "number")
    return Number.isInteger(value) ? value.toLocaleString("en-US") : String(Number(value.toPrecision(6)));
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}
