// Which payload properties become typed lake columns, and how their values are read from a payload.
import { LAKE_COLUMNS } from "../lake/lake-row";

export type TypedColumnType = "BIGINT" | "DOUBLE" | "BOOLEAN" | "TIMESTAMP" | "VARCHAR";

/** A top-level scalar payload property stored as its own column. */
export interface TypedColumn {
  /** Column name: the property, or `payload_<property>` where it collides with an envelope column. */
  name: string;
  /** The payload property it comes from. */
  property: string;
  type: TypedColumnType;
}

/** Most typed columns one event type gets (the rest stay in `payload`). */
export const MAX_TYPED_COLUMNS = 64;
const COLUMN_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const ENVELOPE = new Set<string>(LAKE_COLUMNS.map((c) => c.name));

function columnType(schema: unknown): TypedColumnType | null {
  if (!schema || typeof schema !== "object" || Array.isArray(schema)) return null;
  const s = schema as Record<string, unknown>;
  const declared = Array.isArray(s.type) ? (s.type as string[]) : typeof s.type === "string" ? [s.type] : [];
  const types = declared.filter((t) => t !== "null");
  if (types.length === 1 && types[0] === "integer") return "BIGINT";
  if (types.length > 0 && types.every((t) => t === "integer" || t === "number")) return "DOUBLE";
  if (types.length === 1 && types[0] === "boolean") return "BOOLEAN";
  if (types.length === 1 && types[0] === "string") return s.format === "date-time" ? "TIMESTAMP" : "VARCHAR";
  return null;
}

/** Whether a property is marked `x-encrypt`. */
export function isEncrypted(schema: unknown): boolean {
  return !!schema && typeof schema === "object" && (schema as Record<string, unknown>)["x-encrypt"] === true;
}

/** The top-level properties a schema marks `x-encrypt`. */
export function encryptedFieldsOf(schema: unknown): string[] {
  const properties = (schema as { properties?: unknown } | null)?.properties;
  if (!properties || typeof properties !== "object") return [];
  return Object.entries(properties as Record<string, unknown>)
    .filter(([, sub]) => isEncrypted(sub))
    .map(([name]) => name);
}

/**
 * The typed columns a contract's schema declares: its top-level properties of one scalar type
 * (`null` allowed beside it), in declaration order, named so they are plain SQL identifiers.
 * integer → BIGINT, number → DOUBLE, boolean → BOOLEAN, date-time string → TIMESTAMP, string → VARCHAR.
 */
export function typedColumnsOf(schema: unknown): TypedColumn[] {
  if (!schema || typeof schema !== "object") return [];
  const properties = (schema as { properties?: unknown }).properties;
  if (!properties || typeof properties !== "object") return [];
  const out: TypedColumn[] = [];
  for (const [property, sub] of Object.entries(properties as Record<string, unknown>)) {
    // An encrypted field is stored sealed (text) whatever its declared type (README, "Privacy").
    const type = columnType(sub) && isEncrypted(sub) ? "VARCHAR" : columnType(sub);
    if (!type) continue;
    const name = ENVELOPE.has(property.toLowerCase()) ? `payload_${property}` : property;
    if (!COLUMN_NAME.test(name) || out.some((c) => c.name.toLowerCase() === name.toLowerCase())) continue;
    out.push({ name, property, type });
    if (out.length === MAX_TYPED_COLUMNS) break;
  }
  return out;
}

/**
 * The column's value from a parsed payload: a number (BIGINT, DOUBLE, TIMESTAMP as epoch ms),
 * a boolean, a string, or null when absent or not of the column's type (a `warn` contract lets
 * such events in; their `payload` keeps the original).
 */
export function typedValue(
  payload: Record<string, unknown> | null,
  column: TypedColumn,
): number | boolean | string | null {
  const v = payload?.[column.property];
  switch (column.type) {
    case "BIGINT":
      return typeof v === "number" && Number.isSafeInteger(v) ? v : null;
    case "DOUBLE":
      return typeof v === "number" && Number.isFinite(v) ? v : null;
    case "BOOLEAN":
      return typeof v === "boolean" ? v : null;
    case "TIMESTAMP": {
      if (typeof v !== "string") return null;
      const ms = Date.parse(v);
      return Number.isFinite(ms) ? ms : null;
    }
    default:
      return typeof v === "string" ? v : null;
  }
}

/** The wider of two types one column has had across versions (integer widens to number). */
export function widerType(a: string, b: string): string {
  if (a === b) return a;
  const numeric = new Set(["BIGINT", "DOUBLE"]);
  if (numeric.has(a) && numeric.has(b)) return "DOUBLE";
  return "VARCHAR";
}

/** A file's column as the manifest records it (`property` only on typed columns). */
export interface ManifestColumn {
  name: string;
  type: string;
  property?: string;
}

/** How the manifest records a file's typed columns, after the envelope columns. */
export function manifestColumns(typed: readonly TypedColumn[]): ManifestColumn[] {
  return typed.map((c) => ({ name: c.name, type: c.type, property: c.property }));
}

/**
 * The typed columns of a table made of files with these column lists: every typed column any file
 * has (first appearance first), at the widest type files gave it. Older files lacking one read NULL.
 */
export function unionTypedColumns(lists: readonly (readonly ManifestColumn[])[]): TypedColumn[] {
  const out = new Map<string, TypedColumn>();
  for (const list of lists) {
    for (const c of list) {
      if (ENVELOPE.has(c.name)) continue;
      const known = out.get(c.name);
      const property =
        c.property ?? (c.name.startsWith("payload_") && ENVELOPE.has(c.name.slice(8)) ? c.name.slice(8) : c.name);
      if (known) known.type = widerType(known.type, c.type) as TypedColumnType;
      else out.set(c.name, { name: c.name, property, type: c.type as TypedColumnType });
    }
  }
  return [...out.values()];
}
