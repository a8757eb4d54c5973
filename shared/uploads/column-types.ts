// Column type inference for uploaded files: each value votes for the narrowest SQL type that holds it,
// and a column takes the narrowest type that holds all of its values (VARCHAR when they disagree).

export const UPLOAD_TYPES = ["BIGINT", "DOUBLE", "BOOLEAN", "DATE", "TIMESTAMP", "VARCHAR"] as const;
export type UploadType = (typeof UPLOAD_TYPES)[number];

/** Bits of the kinds of value a column has held (besides null). */
const K = { int: 1, float: 2, bool: 4, date: 8, ts: 16, text: 32, nested: 64 } as const;

const INT = /^[+-]?\d{1,18}$/;
const FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const BOOL = /^(true|false)$/i;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** Epoch days of a `YYYY-MM-DD` that names a real calendar day, else null. */
export function parseDate(s: string): number | null {
  if (!DATE.test(s)) return null;
  const ms = Date.parse(`${s}T00:00:00Z`);
  if (!Number.isFinite(ms) || new Date(ms).toISOString().slice(0, 10) !== s) return null;
  return ms / 86_400_000;
}

/** Epoch milliseconds of an ISO-8601-like timestamp (UTC when no offset is given), else null. */
export function parseTimestamp(s: string): number | null {
  if (!TIMESTAMP.test(s)) return null;
  let text = s.replace(" ", "T");
  if (!/(Z|[+-]\d{2}:?\d{2})$/.test(text)) text += "Z";
  const ms = Date.parse(text);
  if (!Number.isFinite(ms)) return null;
  if (parseDate(s.slice(0, 10)) === null) return null;
  return ms;
}

/** The kind bit of a text value (CSV fields, JSON strings). */
function textKind(s: string): number {
  if (INT.test(s)) return Number.isSafeInteger(Number(s)) ? K.int : K.float;
  if (FLOAT.test(s)) return K.float;
  if (BOOL.test(s)) return K.bool;
  if (parseDate(s) !== null) return K.date;
  if (parseTimestamp(s) !== null) return K.ts;
  return K.text;
}

/** The kind bit of any parsed value; 0 for null (CSV: the empty field). */
export function kindOf(v: unknown, fromText: boolean): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === "string") {
    if (v === "") return fromText ? 0 : K.text;
    return fromText ? textKind(v) : textKind(v) & (K.date | K.ts) ? textKind(v) : K.text;
  }
  if (typeof v === "number") return Number.isSafeInteger(v) ? K.int : Number.isFinite(v) ? K.float : K.text;
  if (typeof v === "bigint") return K.int;
  if (typeof v === "boolean") return K.bool;
  if (v instanceof Date) return K.ts;
  return K.nested;
}

/** What the kinds a column has seen make of it; `mixed` when values of unrelated types met. */
export function typeOfKinds(kinds: number): { type: UploadType; mixed: boolean } {
  if (kinds === 0) return { type: "VARCHAR", mixed: false };
  if (kinds === K.int) return { type: "BIGINT", mixed: false };
  if ((kinds & ~(K.int | K.float)) === 0) return { type: "DOUBLE", mixed: false };
  if (kinds === K.bool) return { type: "BOOLEAN", mixed: false };
  if (kinds === K.date) return { type: "DATE", mixed: false };
  if ((kinds & ~(K.date | K.ts)) === 0) return { type: "TIMESTAMP", mixed: false };
  if (kinds === K.text || kinds === K.nested) return { type: "VARCHAR", mixed: false };
  return { type: "VARCHAR", mixed: true };
}

/** The names of the kinds in a mask, for the `type_mismatch` report. */
export function kindNames(kinds: number): string[] {
  const names: Record<number, string> = {
    [K.int]: "integer",
    [K.float]: "number",
    [K.bool]: "boolean",
    [K.date]: "date",
    [K.ts]: "timestamp",
    [K.text]: "text",
    [K.nested]: "json",
  };
  return Object.entries(names)
    .filter(([bit]) => kinds & Number(bit))
    .map(([, n]) => n);
}

/** A value as its column's type stores it: numbers (BIGINT, DOUBLE; DATE as epoch days, TIMESTAMP as ms), booleans, strings. */
export type StoredValue = number | boolean | string | null;

/** Converts a parsed value to its column's type; `undefined` when it does not fit (an append of another shape). */
export function toStored(v: unknown, type: UploadType, fromText: boolean): StoredValue | undefined {
  if (v === null || v === undefined) return null;
  if (fromText && v === "") return null;
  switch (type) {
    case "BIGINT": {
      const n = typeof v === "string" ? (INT.test(v) ? Number(v) : Number.NaN) : Number(v);
      return Number.isSafeInteger(n) && typeof v !== "boolean" ? n : undefined;
    }
    case "DOUBLE": {
      const n =
        typeof v === "string"
          ? FLOAT.test(v)
            ? Number(v)
            : Number.NaN
          : typeof v === "boolean"
            ? Number.NaN
            : Number(v);
      return Number.isFinite(n) ? n : undefined;
    }
    case "BOOLEAN":
      if (typeof v === "boolean") return v;
      return typeof v === "string" && BOOL.test(v) ? v.toLowerCase() === "true" : undefined;
    case "DATE":
      return typeof v === "string" ? (parseDate(v) ?? undefined) : undefined;
    case "TIMESTAMP":
      if (v instanceof Date) return v.getTime();
      return typeof v === "string"
        ? parseDate(v) !== null
          ? (parseDate(v) as number) * 86_400_000
          : (parseTimestamp(v) ?? undefined)
        : undefined;
    default:
      if (typeof v === "string") return v;
      if (typeof v === "object") return JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? Number(x) : x));
      return String(v);
  }
}
