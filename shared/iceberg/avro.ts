// A small Avro writer: the binary encoding of the types Iceberg's manifests use, and the object container file.

/** The Avro schemas this writer encodes (a subset of Avro: no enums, no recursive named references). */
export type AvroSchema =
  | "null"
  | "boolean"
  | "int"
  | "long"
  | "float"
  | "double"
  | "bytes"
  | "string"
  | AvroSchema[]
  | { type: "record"; name: string; fields: AvroField[]; [extra: string]: unknown }
  | { type: "array"; items: AvroSchema; [extra: string]: unknown }
  | { type: "map"; values: AvroSchema; [extra: string]: unknown }
  | { type: "fixed"; name: string; size: number; [extra: string]: unknown };

export interface AvroField {
  name: string;
  type: AvroSchema;
  default?: unknown;
  [extra: string]: unknown;
}

const encoder = new TextEncoder();

/** A growable byte buffer. */
class ByteWriter {
  private buf = new Uint8Array(1024);
  length = 0;

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  byte(b: number): void {
    this.room(1);
    this.buf[this.length++] = b;
  }

  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  /** Zigzag varint, exact for the whole signed 64-bit range (through bigint). */
  long(v: number | bigint): void {
    let n = BigInt(v);
    n = n >= 0n ? n << 1n : (-n << 1n) - 1n;
    while (n >= 0x80n) {
      this.byte(Number(n & 0x7fn) | 0x80);
      n >>= 7n;
    }
    this.byte(Number(n));
  }

  double(v: number): void {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v, true);
    this.bytes(b);
  }

  float(v: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.bytes(b);
  }

  result(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

function typeName(schema: AvroSchema): string {
  if (typeof schema === "string") return schema;
  if (Array.isArray(schema)) return "union";
  return schema.type;
}

/** The union branch a value takes: null for null/undefined, else the first non-null branch. */
function branchOf(union: AvroSchema[], value: unknown): number {
  const isNull = value === null || value === undefined;
  const i = union.findIndex((s) => (typeName(s) === "null") === isNull);
  if (i < 0) throw new Error(`no union branch for ${isNull ? "null" : typeof value}`);
  return i;
}

/** Appends `value` in Avro's binary encoding of `schema`. */
function write(out: ByteWriter, schema: AvroSchema, value: unknown): void {
  if (Array.isArray(schema)) {
    const i = branchOf(schema, value);
    out.long(i);
    write(out, schema[i] as AvroSchema, value);
    return;
  }
  switch (typeName(schema)) {
    case "null":
      return;
    case "boolean":
      out.byte(value ? 1 : 0);
      return;
    case "int":
    case "long":
      out.long(value as number | bigint);
      return;
    case "float":
      out.float(value as number);
      return;
    case "double":
      out.double(value as number);
      return;
    case "string":
    case "bytes": {
      const b = typeof value === "string" ? encoder.encode(value) : (value as Uint8Array);
      out.long(b.length);
      out.bytes(b);
      return;
    }
    case "fixed":
      out.bytes(value as Uint8Array);
      return;
    case "record": {
      const record = value as Record<string, unknown>;
      for (const f of (schema as { fields: AvroField[] }).fields) write(out, f.type, record[f.name] ?? f.default);
      return;
    }
    case "array": {
      const items = value as unknown[];
      if (items.length > 0) {
        out.long(items.length);
        for (const item of items) write(out, (schema as { items: AvroSchema }).items, item);
      }
      out.long(0);
      return;
    }
    case "map": {
      const entries = Object.entries(value as Record<string, unknown>);
      if (entries.length > 0) {
        out.long(entries.length);
        for (const [k, v] of entries) {
          write(out, "string", k);
          write(out, (schema as { values: AvroSchema }).values, v);
        }
      }
      out.long(0);
      return;
    }
    default:
      throw new Error(`unsupported Avro type ${typeName(schema)}`);
  }
}

/** One value in Avro's binary encoding. */
export function avroEncode(schema: AvroSchema, value: unknown): Uint8Array {
  const out = new ByteWriter();
  write(out, schema, value);
  return out.result();
}

const MAGIC = new Uint8Array([0x4f, 0x62, 0x6a, 0x01]); // "Obj" 1

/**
 * An Avro object container file: header (schema, codec "null", the caller's metadata), then the
 * records in one block. `sync` is the 16-byte marker (random unless given, for reproducible tests).
 */
export function avroContainer(
  schema: AvroSchema,
  records: readonly unknown[],
  metadata: Record<string, string> = {},
  sync: Uint8Array = crypto.getRandomValues(new Uint8Array(16)),
): Uint8Array {
  const out = new ByteWriter();
  out.bytes(MAGIC);
  const meta: Record<string, Uint8Array> = {
    "avro.schema": encoder.encode(JSON.stringify(schema)),
    "avro.codec": encoder.encode("null"),
  };
  for (const [k, v] of Object.entries(metadata)) meta[k] = encoder.encode(v);
  write(out, { type: "map", values: "bytes" }, meta);
  out.bytes(sync);
  if (records.length > 0) {
    const block = new ByteWriter();
    for (const r of records) write(block, schema, r);
    out.long(records.length);
    out.long(block.length);
    out.bytes(block.result());
    out.bytes(sync);
  }
  return out.result();
}
