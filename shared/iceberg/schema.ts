// The Iceberg schema of a lake table: field ids for the lake's columns (also written into every Parquet file).
import { LAKE_COLUMNS } from "../lake/lake-row";

export interface IcebergField {
  id: number;
  name: string;
  required: boolean;
  type: "string" | "timestamp" | "long" | "double" | "boolean";
}

export interface IcebergSchema {
  type: "struct";
  "schema-id": number;
  fields: IcebergField[];
}

const REQUIRED = new Set(["event_id", "event_type", "ts", "received_at"]);

/**
 * The Iceberg field id of lake column `index` (LAKE_COLUMNS order): 1, 2, 3, … Fixed forever, since
 * Parquet files carry them; new columns only ever get new ids after the last.
 */
export function lakeFieldId(index: number): number {
  return index + 1;
}

/**
 * The field id of a column beyond the lake's own (a contract's typed column): derived from its name
 * (FNV-1a), so the Parquet writer and every table's schema agree on it without shared state.
 */
export function typedFieldId(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return 10_000 + (h % 1_000_000);
}

/** The field id of the column named `name` in a lake file: fixed for the lake's columns, by name for the rest. */
export function columnFieldId(name: string): number {
  const index = LAKE_COLUMNS.findIndex((c) => c.name === name);
  return index >= 0 ? lakeFieldId(index) : typedFieldId(name);
}

const ICEBERG_TYPES: Record<string, IcebergField["type"]> = {
  VARCHAR: "string",
  JSON: "string",
  TIMESTAMP: "timestamp",
  BIGINT: "long",
  DOUBLE: "double",
  BOOLEAN: "boolean",
};

/**
 * The table schema: the lake columns with their fixed ids, then any further (typed) columns the
 * table's files declare, in the order first seen, with their name-derived ids (`typedFieldId`, as
 * the Parquet files carry them). `previous` keeps the ids an earlier metadata version gave them
 * (Iceberg ids never change meaning); the schema id moves on when the columns change.
 */
export function icebergSchema(
  extraColumns: readonly { name: string; type: string }[],
  previous?: IcebergSchema,
): IcebergSchema {
  const fields: IcebergField[] = LAKE_COLUMNS.map((c, i) => ({
    id: lakeFieldId(i),
    name: c.name,
    required: REQUIRED.has(c.name),
    type: ICEBERG_TYPES[c.type] ?? "string",
  }));
  const known = new Map(previous?.fields.map((f) => [f.name, f.id]));
  const used = new Set(fields.map((f) => f.id));
  for (const c of extraColumns) {
    if (fields.some((f) => f.name === c.name)) continue;
    let id = known.get(c.name) ?? typedFieldId(c.name);
    while (used.has(id)) id++; // a hash collision: rare, and such a column is then matched by name
    used.add(id);
    fields.push({ id, name: c.name, required: false, type: ICEBERG_TYPES[c.type] ?? "string" });
  }
  const same =
    previous &&
    previous.fields.length === fields.length &&
    previous.fields.every((f, i) => f.id === fields[i]?.id && f.type === fields[i]?.type);
  return { type: "struct", "schema-id": same ? previous["schema-id"] : (previous?.["schema-id"] ?? -1) + 1, fields };
}

/** `schema.name-mapping.default`: lets readers map Parquet columns without field ids (older files) by name. */
export function nameMapping(schema: IcebergSchema): string {
  return JSON.stringify(schema.fields.map((f) => ({ "field-id": f.id, names: [f.name] })));
}
