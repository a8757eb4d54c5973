// Streaming a body into R2 without holding it: one put when its length is known, else an R2
// multipart upload in equal parts; a body past the size cap is aborted and nothing is kept.
import { TarnError } from "../../shared/errors";
import { STREAM_PART_BYTES } from "../../shared/uploads/config";

function tooLarge(maxBytes: number): TarnError {
  return new TarnError("PAYLOAD_TOO_LARGE", `the file is larger than the ${maxBytes}-byte upload cap`, {
    details: { max_bytes: maxBytes },
  });
}

/**
 * Stores `body` at `key` and returns its size. With a trustworthy length (`Content-Length` of an
 * identity-encoded body) R2 takes the stream as is; otherwise parts of STREAM_PART_BYTES are cut
 * from the stream and uploaded one by one, so at most one part is in memory.
 */
export async function streamToR2(
  lake: R2Bucket,
  key: string,
  body: ReadableStream<Uint8Array>,
  options: { length: number | null; maxBytes: number },
): Promise<number> {
  const { length, maxBytes } = options;
  if (length !== null && length > maxBytes) throw tooLarge(maxBytes);
  if (length !== null) {
    const fixed = new FixedLengthStream(length);
    const [, object] = await Promise.all([body.pipeTo(fixed.writable), lake.put(key, fixed.readable)]);
    return object?.size ?? length;
  }
  const upload = await lake.createMultipartUpload(key);
  const parts: R2UploadedPart[] = [];
  const reader = body.getReader();
  let part = new Uint8Array(STREAM_PART_BYTES);
  let filled = 0;
  let total = 0;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > maxBytes) throw tooLarge(maxBytes);
      let from = 0;
      while (from < value.length) {
        const n = Math.min(value.length - from, STREAM_PART_BYTES - filled);
        part.set(value.subarray(from, from + n), filled);
        filled += n;
        from += n;
        if (filled === STREAM_PART_BYTES) {
          parts.push(await upload.uploadPart(parts.length + 1, part));
          part = new Uint8Array(STREAM_PART_BYTES);
          filled = 0;
        }
      }
    }
    if (filled > 0 || parts.length === 0)
      parts.push(await upload.uploadPart(parts.length + 1, part.subarray(0, filled)));
    await upload.complete(parts);
    return total;
  } catch (err) {
    await reader.cancel().catch(() => undefined);
    await upload.abort().catch(() => undefined);
    throw err;
  }
}
