// Reads a request body as text, decompressing gzip/deflate as a stream and capping the decoded size.
import { TarnError } from "../../shared/errors";

const ENCODINGS: Record<string, "gzip" | "deflate" | null> = {
  "": null,
  identity: null,
  gzip: "gzip",
  "x-gzip": "gzip",
  deflate: "deflate",
};

/**
 * The body as UTF-8 text, never holding more than `maxBytes` of decoded data: a gzip bomb
 * stops at the cap with 413 instead of filling the isolate's memory.
 */
export async function readBodyText(request: Request, maxBytes: number): Promise<string> {
  const encoding = (request.headers.get("Content-Encoding") ?? "").trim().toLowerCase();
  if (!(encoding in ENCODINGS)) {
    throw new TarnError(
      "UNSUPPORTED_MEDIA_TYPE",
      `Content-Encoding ${encoding.slice(0, 40)} is not supported; use gzip`,
    );
  }
  const declared = Number(request.headers.get("Content-Length") ?? Number.NaN);
  if (declared > maxBytes) {
    throw new TarnError("PAYLOAD_TOO_LARGE", `the body is ${declared} bytes; the limit is ${maxBytes}`, {
      details: { limit_bytes: maxBytes },
    });
  }
  if (!request.body) return "";
  const format = ENCODINGS[encoding];
  // The common case, a plain body of declared length within the cap: one native read, no chunk loop.
  if (!format && Number.isSafeInteger(declared) && declared >= 0) return utf8(await readWhole(request));
  const stream = format ? request.body.pipeThrough(new DecompressionStream(format)) : request.body;
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => {});
        throw new TarnError("PAYLOAD_TOO_LARGE", `the ${format ? "decompressed " : ""}body exceeds ${maxBytes} bytes`, {
          details: { limit_bytes: maxBytes },
        });
      }
      chunks.push(value);
    }
  } catch (err) {
    if (err instanceof TarnError) throw err;
    throw new TarnError(
      "VALIDATION_ERROR",
      format ? `the body is not valid ${format} data` : "the body could not be read",
    );
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    bytes.set(c, offset);
    offset += c.byteLength;
  }
  return utf8(bytes);
}

async function readWhole(request: Request): Promise<Uint8Array> {
  try {
    return new Uint8Array(await request.arrayBuffer());
  } catch {
    throw new TarnError("VALIDATION_ERROR", "the body could not be read");
  }
}

function utf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new TarnError("INVALID_JSON", "the body is not valid UTF-8");
  }
}
