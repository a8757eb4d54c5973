// What a file's records make of a table: its columns and their inferred types (pass one), then each
// record as column values of those types (pass two). Both passes see records in the same order.

import type { TarnError } from "../errors";
import { kindNames, kindOf, type StoredValue, toStored, typeOfKinds, type UploadType } from "./column-types";
import type { TableColumn } from "./table-parquet";
import { badFile } from "./upload-error";

/** The serialisable state of pass one, kept in the upload's checkpoint between invocations. */
export interface ShapeState {
  columns: string[];
  kinds: number[];
  records: number;
}

export interface InferredShape {
  columns: TableColumn[];
  /** Columns whose values mixed types (they became VARCHAR), with the kinds seen. */
  mixed: { column: string; kinds: string[] }[];
}

/** CSV header checks: every name non-empty and unique (case-insensitively, as SQL resolves them). */
export function checkHeader(header: readonly string[], maxColumns: number): string[] {
  if (header.length > maxColumns)
    throw badFile(`the file has ${header.length} columns; at most ${maxColumns} are allowed`, { line: 1 });
  const seen = new Set<string>();
  return header.map((raw, i) => {
    const name = raw.trim();
    if (name === "") throw badFile("a column name is empty", { line: 1, column: i + 1 });
    if (name.length > 128)
      throw badFile(`column name "${name.slice(0, 40)}…" is longer than 128 characters`, { line: 1, column: i + 1 });
    const key = name.toLowerCase();
    if (seen.has(key)) throw badFile(`column name "${name}" appears twice`, { line: 1, column: i + 1 });
    seen.add(key);
    return name;
  });
}

/** Pass one: accumulates column names (JSON keys in order of first appearance) and the kinds of their values. */
export class ShapeInference {
  readonly state: ShapeState;
  private readonly index = new Map<string, number>();

  constructor(
    readonly fromText: boolean,
    private readonly maxColumns: number,
    state?: ShapeState,
  ) {
    this.state = state ?? { columns: [], kinds: [], records: 0 };
    this.state.columns.forEach((c, i) => {
      this.index.set(c, i);
    });
  }

  setHeader(names: string[]): void {
    this.state.columns = names;
    this.state.kinds = names.map(() => 0);
    names.forEach((c, i) => {
      this.index.set(c, i);
    });
  }

  add(records: readonly unknown[]): void {
    const kinds = this.state.kinds;
    for (const r of records) {
      this.state.records++;
      if (Array.isArray(r) && this.fromText) {
        for (let c = 0; c < r.length; c++) kinds[c] = (kinds[c] as number) | kindOf(r[c], true);
        continue;
      }
      if (r === null || typeof r !== "object" || Array.isArray(r)) {
        throw badFile("every record must be a JSON object", { line: this.state.records });
      }
      for (const [k, v] of Object.entries(r as Record<string, unknown>)) {
        let c = this.index.get(k);
        if (c === undefined) {
          if (k.trim() === "") throw badFile("a field name is empty", { line: this.state.records });
          if (this.state.columns.some((x) => x.toLowerCase() === k.toLowerCase())) {
            throw badFile(`field "${k}" differs from another only in case`, { line: this.state.records });
          }
          c = this.state.columns.length;
          if (c >= this.maxColumns)
            throw badFile(`the records have more than ${this.maxColumns} fields`, { line: this.state.records });
          this.index.set(k, c);
          this.state.columns.push(k);
          kinds.push(0);
        }
        kinds[c] = (kinds[c] as number) | kindOf(v, false);
      }
    }
  }

  result(): InferredShape {
    const mixed: InferredShape["mixed"] = [];
    const columns = this.state.columns.map((name, i) => {
      const { type, mixed: isMixed } = typeOfKinds(this.state.kinds[i] as number);
      if (isMixed) mixed.push({ column: name, kinds: kindNames(this.state.kinds[i] as number) });
      return { name, type };
    });
    return { columns, mixed };
  }
}

/** Marks an error as "the record does not fit the table's columns" (a sampled conversion then infers again). */
function misfit(err: TarnError): TarnError {
  err.details.misfit = true;
  return err;
}

/** Pass two: records into per-column value arrays of the table's types. */
export class RowGroupBuilder {
  readonly values: StoredValue[][];
  n = 0;
  private readonly index: Map<string, number>;

  constructor(
    readonly columns: readonly TableColumn[],
    readonly fromText: boolean,
  ) {
    this.values = columns.map(() => []);
    this.index = new Map(columns.map((c, i) => [c.name, i]));
  }

  /** Adds one record; `at` is its record number (1-based) for errors. */
  add(record: unknown, at: number): void {
    const cols = this.columns;
    if (Array.isArray(record) && this.fromText) {
      for (let c = 0; c < cols.length; c++) this.values[c]?.push(this.convert(record[c], c, at));
    } else {
      const obj = record as Record<string, unknown>;
      for (let c = 0; c < cols.length; c++)
        this.values[c]?.push(this.convert(obj[(cols[c] as TableColumn).name], c, at));
      for (const k of Object.keys(obj)) {
        if (!this.index.has(k)) throw misfit(badFile(`field "${k}" is not a column of the dataset`, { line: at }));
      }
    }
    this.n++;
  }

  private convert(v: unknown, c: number, at: number): StoredValue {
    const column = this.columns[c] as TableColumn;
    const out = toStored(v, column.type as UploadType, this.fromText);
    if (out === undefined) {
      throw misfit(
        badFile(`value ${JSON.stringify(String(v)).slice(0, 60)} is not ${column.type} (column "${column.name}")`, {
          line: at,
          column: c + 1,
        }),
      );
    }
    return out;
  }

  reset(): void {
    for (const v of this.values) v.length = 0;
    this.n = 0;
  }
}
