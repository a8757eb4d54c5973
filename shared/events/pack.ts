// Packs accepted events into queue messages near a target size, and messages into sendBatch calls.

export interface PackLimits {
  /** Aim for messages about this big (bytes of JSON). */
  targetMessageBytes: number;
  /** Never exceed this per message. */
  maxMessageBytes: number;
}

export const DEFAULT_PACK_LIMITS: PackLimits = { targetMessageBytes: 64 * 1024, maxMessageBytes: 120 * 1024 };

/** Most messages and bytes one `sendBatch` takes. */
export const SEND_BATCH_MAX_MESSAGES = 100;
export const SEND_BATCH_MAX_BYTES = 256 * 1024;

/**
 * Groups serialized events into chunks whose joined size stays under the target (a chunk
 * holds at least one event, so one event larger than the target gets a chunk of its own).
 * Returns index ranges into `sizes`.
 */
export function packBySize(sizes: readonly number[], limits: PackLimits = DEFAULT_PACK_LIMITS): [number, number][] {
  const chunks: [number, number][] = [];
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < sizes.length; i++) {
    const size = (sizes[i] ?? 0) + 1;
    const limit = Math.min(limits.targetMessageBytes, limits.maxMessageBytes);
    if (i > start && bytes + size > limit) {
      chunks.push([start, i]);
      start = i;
      bytes = 0;
    }
    bytes += size;
  }
  if (sizes.length > start) chunks.push([start, sizes.length]);
  return chunks;
}
