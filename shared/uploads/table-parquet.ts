// An uploaded table as ZSTD Parquet: row groups encoded as they fill (the lake's own column encoders),
// so a writer holds one row group of values plus the compressed bytes of the file so far.
import type { ColumnChunk, RowGroup, SchemaElement } from "hyparquet";
import { columnFieldId } from "../iceberg/schema";
import { lakeCompress } from "../parquet/codecs";
import { type ColumnContext, columnContext } from "../parquet/columns";
import { PARQUET_MAGIC, writeFooter } from "../parquet/footer";
import { ByteWriter, type PageIndexes } from "../parquet/hyparquet-internals";
import { typedElement, writeTypedColumn } from "../parquet/typed-columns";
import type { StoredValue, UploadType } from "./column-types";

export interface TableColumn {
  name: string;
  type: UploadType;
}

/** The OPTIONAL leaf of a column: DATE as INT32 days, the rest as the lake's typed columns. */
export function tableElement(column: TableColumn): SchemaElement {
  if (column.type === "DATE") {
    return {
      name: column.name,
      repetition_type: "OPTIONAL",
      field_id: columnFieldId(column.name),
      type: "INT32",
      converted_type: "DATE",
      logical_type: { type: "DATE" },
    };
  }
  return typedElement({ name: column.name, property: column.name, type: column.type });
}

/**
 * Writes one Parquet file of a table, a row group per `addRowGroup` call.
 * @example
 * const w = new TableFileWriter(columns, 131072);
 * w.addRowGroup(valuesByColumn, n);
 * const bytes = w.finish();
 */
export class TableFileWriter {
  private readonly file: ByteWriter;
  private readonly ctx: ColumnContext;
  private readonly schema: SchemaElement[];
  private readonly rowGroups: RowGroup[] = [];
  private readonly indexes: PageIndexes[] = [];
  rows = 0;

  constructor(
    readonly columns: readonly TableColumn[],
    maxGroupRows: number,
  ) {
    this.schema = [{ name: "root", num_children: columns.length }, ...columns.map((c) => tableElement(c))];
    this.file = new ByteWriter(1 << 20);
    this.file.appendUint32(PARQUET_MAGIC);
    this.ctx = columnContext(this.file, lakeCompress, maxGroupRows);
  }

  /** Bytes written so far (the file's size before its footer). */
  get bytes(): number {
    return this.file.offset;
  }

  /** Appends a row group: `values[c][i]` is column c's value of row i. */
  addRowGroup(values: readonly StoredValue[][], n: number): void {
    if (n === 0) return;
    const start = this.file.offset;
    this.ctx.group = this.rowGroups.length;
    const chunks: ColumnChunk[] = [];
    let uncompressed = 0n;
    this.columns.forEach((_c, i) => {
      const encoded = writeTypedColumn(this.ctx, this.schema[i + 1] as SchemaElement, values[i] as StoredValue[], n);
      chunks.push(encoded.chunk);
      this.indexes.push(encoded.indexes);
      uncompressed += encoded.chunk.meta_data?.total_uncompressed_size ?? 0n;
    });
    this.rowGroups.push({
      columns: chunks,
      total_byte_size: uncompressed,
      num_rows: BigInt(n),
      total_compressed_size: BigInt(this.file.offset - start),
    });
    this.rows += n;
  }

  /** Ends the file (page indexes, footer) and returns its bytes. */
  finish(): Uint8Array {
    writeFooter(this.file, { schema: this.schema, numRows: this.rows, rowGroups: this.rowGroups }, this.indexes);
    return this.file.getBytes();
  }
}
