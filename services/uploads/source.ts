// An uploaded file's bytes in R2, read as a stream from a byte offset (gunzipped when the file is
// gzip, which can only be read from its start), with a count of the stored bytes read for progress.
import { TarnError } from "../../shared/errors";

export interface SourceInfo {
  key: string;
  /** Stored bytes. */
  size: number;
  gzip: boolean;
  /** The first bytes of the (decompressed) file, to check its format. */
  head: Uint8Array;
}

const GZIP = [0x1f, 0x8b];

async function firstBytes(stream: ReadableStream<Uint8Array>, n: number): Promise<Uint8Array> {
  const reader = stream.getReader();
  const out = new Uint8Array(n);
  let filled = 0;
  while (filled < n) {
    const { value, done } = await reader.read();
    if (done) break;
    const take = Math.min(n - filled, value.length);
    out.set(value.subarray(0, take), filled);
    filled += take;
  }
  await reader.cancel().catch(() => undefined);
  return out.subarray(0, filled);
}

export async function sourceInfo(lake: R2Bucket, key: string): Promise<SourceInfo> {
  const object = await lake.get(key, { range: { offset: 0, length: 4096 } });
  if (!object) throw new TarnError("NOT_FOUND", "the uploaded file is gone from storage");
  const start = new Uint8Array(await object.arrayBuffer());
  const gzip = start[0] === GZIP[0] && start[1] === GZIP[1];
  let head: Uint8Array = start;
  if (gzip) {
    const whole = await lake.get(key);
    if (!whole) throw new TarnError("NOT_FOUND", "the uploaded file is gone from storage");
    try {
      head = await firstBytes(whole.body.pipeThrough(new DecompressionStream("gzip")), 4096);
    } catch (err) {
      throw new TarnError("VALIDATION_ERROR", "the file starts like gzip but does not decompress", { cause: err });
    }
  }
  return { key, size: object.size, gzip, head };
}

export interface OpenedSource {
  stream: ReadableStream<Uint8Array>;
  /** Stored bytes read so far (compressed ones for gzip). */
  readonly storedRead: number;
}

/** The file from decompressed byte `offset` (gzip: only 0; callers skip records instead). */
export async function openSource(lake: R2Bucket, info: SourceInfo, offset: number): Promise<OpenedSource> {
  const from = info.gzip ? 0 : offset;
  let storedRead = from;
  const object =
    from >= info.size && !info.gzip ? null : await lake.get(info.key, from > 0 ? { range: { offset: from } } : {});
  const raw = object ? object.body : new ReadableStream<Uint8Array>({ start: (c) => c.close() });
  const counted = raw.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        storedRead += chunk.length;
        controller.enqueue(chunk);
      },
    }),
  );
  return {
    stream: info.gzip ? counted.pipeThrough(new DecompressionStream("gzip")) : counted,
    get storedRead() {
      return storedRead;
    },
  };
}
