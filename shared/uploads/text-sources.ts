// Record readers for text files (CSV, NDJSON, a JSON array) over a byte stream, in batches that say
// where in the file the next record starts, so a conversion can stop after any batch and resume there.
import { JSONParser } from "@streamparser/json";
import { parse as csvParse } from "csv-parse/stream";
import { badFile } from "./upload-error";

/** Records and the resume point after the last of them. */
export interface RecordBatch {
  /** CSV: field arrays in header order; JSON: parsed values (objects expected). */
  records: unknown[];
  /** Byte offset in the (decompressed) file where the next record starts. */
  offset: number;
  /** Lines of the file consumed so far (1-based line of the next record is `line + 1`). */
  line: number;
  /** Per record, where the record after it starts and the lines consumed through it (byte-resumable readers). */
  ends?: number[];
  lines?: number[];
}

export interface Resume {
  offset: number;
  line: number;
}

const BATCH = 4096;

/** Passes bytes through, failing with the line of the first byte that is not UTF-8. */
export function utf8Checked(start: Resume): TransformStream<Uint8Array, Uint8Array> {
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  let line = start.line;
  return new TransformStream({
    transform(chunk, controller) {
      try {
        decoder.decode(chunk, { stream: true });
      } catch {
        // Find the line: decode line by line from this chunk's start (a line split across chunks is
        // attributed to this chunk's first line, close enough to find it).
        const probe = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
        let from = 0;
        let at = line + 1;
        for (let i = 0; i <= chunk.length; i++) {
          if (i === chunk.length || chunk[i] === 0x0a) {
            try {
              probe.decode(chunk.subarray(from, i));
            } catch {
              throw badFile("the file is not valid UTF-8", { line: at });
            }
            from = i + 1;
            at++;
          }
        }
        throw badFile("the file is not valid UTF-8", { line: at });
      }
      for (let i = 0; i < chunk.length; i++) if (chunk[i] === 0x0a) line++;
      controller.enqueue(chunk);
    },
    flush() {
      try {
        decoder.decode();
      } catch {
        throw badFile("the file ends inside a UTF-8 character", { line: line + 1 });
      }
    },
  });
}

/** The delimiter a CSV header line uses: the most frequent of `,` `;` tab `|` outside quotes. */
export function detectDelimiter(head: string, quote = '"'): string {
  const counts = new Map<string, number>([
    [",", 0],
    [";", 0],
    ["\t", 0],
    ["|", 0],
  ]);
  let quoted = false;
  for (const ch of head) {
    if (ch === "\n") break;
    if (ch === quote) quoted = !quoted;
    else if (!quoted && counts.has(ch)) counts.set(ch, (counts.get(ch) as number) + 1);
  }
  let best = ",";
  for (const [d, n] of counts) if (n > (counts.get(best) as number)) best = d;
  return best;
}

export interface CsvOptions {
  delimiter: string;
  quote: string;
  /** Fields per record (the header's); set after the header is read. */
  width?: number;
}

/**
 * CSV records via csv-parse's web-stream build (RFC 4180 quoting, BOM skipped, empty lines
 * skipped). A record whose field count differs from the header's fails with its line.
 */
export async function* csvBatches(
  bytes: ReadableStream<Uint8Array>,
  options: CsvOptions,
  start: Resume,
): AsyncGenerator<RecordBatch> {
  const parser = csvParse({
    delimiter: options.delimiter,
    quote: options.quote,
    bom: start.offset === 0,
    info: true,
    skip_empty_lines: true,
    relax_column_count: true,
  });
  const reader = bytes.pipeThrough(parser as unknown as TransformStream<Uint8Array, unknown>).getReader();
  let width = options.width;
  let batch: unknown[] = [];
  let ends: number[] = [];
  let lines: number[] = [];
  let last = { offset: start.offset, line: start.line };
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      const { record, info } = value as { record: string[]; info: { bytes: number; lines: number; records: number } };
      const line = start.line + info.lines;
      if (width === undefined) width = record.length;
      else if (record.length !== width) {
        throw badFile(`the row has ${record.length} field${record.length === 1 ? "" : "s"}; the header has ${width}`, {
          line,
        });
      }
      batch.push(record);
      last = { offset: start.offset + info.bytes, line };
      ends.push(last.offset);
      lines.push(line);
      // The header (first record of the file) is a batch of its own, so its end is a resume point.
      if (batch.length >= BATCH || (start.offset === 0 && info.records === 1)) {
        yield { records: batch, ...last, ends, lines };
        batch = [];
        ends = [];
        lines = [];
      }
    }
  } catch (err) {
    if (err && typeof err === "object" && "code" in err && String((err as { code: unknown }).code).startsWith("CSV_")) {
      const e = err as unknown as { message: string; lines?: number; column?: number | string };
      throw badFile(`malformed CSV: ${e.message.replace(/^Invalid [^:]*: /, "")}`, {
        line: e.lines !== undefined ? start.line + e.lines : undefined,
        column: typeof e.column === "number" ? e.column + 1 : undefined,
      });
    }
    throw err;
  } finally {
    // A consumer that stops early (a sample read) releases the file's stream.
    await reader.cancel().catch(() => undefined);
  }
  if (batch.length > 0) yield { records: batch, ...last, ends, lines };
}

/** NDJSON: one JSON value per line; blank lines skipped; a line that is not JSON fails with its number. */
export async function* ndjsonBatches(bytes: ReadableStream<Uint8Array>, start: Resume): AsyncGenerator<RecordBatch> {
  const decoder = new TextDecoder();
  const reader = bytes.getReader();
  let offset = start.offset;
  let line = start.line;
  let carry = new Uint8Array(0);
  let batch: unknown[] = [];
  let ends: number[] = [];
  let lines: number[] = [];
  const take = (bytes: Uint8Array, end: number) => {
    line++;
    const text = decoder.decode(bytes).trim();
    if (text === "" || (line === 1 && text === "\ufeff")) return;
    try {
      batch.push(JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text));
      ends.push(end);
      lines.push(line);
    } catch (err) {
      const position = /position (\d+)/.exec(String(err))?.[1];
      throw badFile(`the line is not JSON: ${String(err instanceof Error ? err.message : err)}`, {
        line,
        column: position === undefined ? undefined : Number(position) + 1,
      });
    }
  };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    let data = value;
    if (carry.length > 0) {
      data = new Uint8Array(carry.length + value.length);
      data.set(carry);
      data.set(value, carry.length);
    }
    let from = 0;
    for (let i = data.indexOf(0x0a); i !== -1; i = data.indexOf(0x0a, from)) {
      offset += i + 1 - from;
      take(data.subarray(from, i), offset);
      from = i + 1;
    }
    carry = data.slice(from);
    if (batch.length >= BATCH) {
      yield { records: batch, offset, line, ends, lines };
      batch = [];
      ends = [];
      lines = [];
    }
  }
  if (carry.length > 0) {
    offset += carry.length;
    take(carry, offset);
  }
  if (batch.length > 0) yield { records: batch, offset, line, ends, lines };
}

/**
 * A JSON array's elements, streamed (the array is never held whole). Not resumable by byte: `offset`
 * is the bytes read so far, used for progress only; a resumed conversion skips records instead.
 */
export async function* jsonArrayBatches(bytes: ReadableStream<Uint8Array>): AsyncGenerator<RecordBatch> {
  const parser = new JSONParser({ paths: ["$.*"], keepStack: false });
  let batch: unknown[] = [];
  let offset = 0;
  let line = 0;
  let first = true;
  parser.onValue = ({ value }) => {
    batch.push(value);
  };
  const reader = bytes.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    let chunk = value;
    if (first) {
      let i = 0;
      if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) i = 3;
      while (i < chunk.length && (chunk[i] === 0x20 || chunk[i] === 0x0a || chunk[i] === 0x0d || chunk[i] === 0x09))
        i++;
      if (i === chunk.length) continue;
      if (chunk[i] !== 0x5b) throw badFile("a JSON upload must be an array of objects", { line: 1 });
      chunk = chunk.subarray(i);
      first = false;
    }
    try {
      parser.write(chunk);
    } catch (err) {
      throw badFile(`malformed JSON: ${String(err instanceof Error ? err.message : err)}`, { line: line + 1 });
    }
    offset += value.length;
    for (let i = 0; i < value.length; i++) if (value[i] === 0x0a) line++;
    if (batch.length >= BATCH) {
      yield { records: batch, offset, line };
      batch = [];
    }
  }
  if (!first && !parser.isEnded) throw badFile("the JSON array is not closed", { line: line + 1 });
  if (batch.length > 0) yield { records: batch, offset, line };
}
