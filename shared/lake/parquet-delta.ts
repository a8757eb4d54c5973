// DELTA_BINARY_PACKED for timestamps held as float64 millisecond numbers, without BigInts.
import { bitPack, bitWidthOf } from "./parquet-bitpack";
import type { ByteSink } from "./parquet-sink";

const BLOCK = 128;
const MINIBLOCKS = 4;
const PER_MINIBLOCK = BLOCK / MINIBLOCKS;

/**
 * Values this encoder takes: integers with |v| < 2^51, so every delta, zigzag and adjusted delta
 * (delta - block minimum, < 2^53) is an exact float64. Epoch milliseconds are about 2^41 today.
 * hyparquet-writer only has a Number path for int32 values and converts anything larger to BigInt
 * per value, which made timestamps one of the slowest columns.
 */
export const DELTA_SAFE_LIMIT = 2 ** 51;

const deltas = new Float64Array(BLOCK);

function widthOf(max: number): number {
  if (max < 0x100000000) return bitWidthOf(max);
  return 32 + bitWidthOf(Math.floor(max / 0x100000000));
}

/**
 * Write values[from..to) as one DELTA_BINARY_PACKED stream (block 128, 4 miniblocks of 32), laid out
 * as hyparquet-writer does: the last miniblocks of the last block are padded with zeros, and
 * miniblocks past the last value get width 0 and no bytes. Every value must satisfy |v| < DELTA_SAFE_LIMIT.
 */
export function writeDeltaPacked(sink: ByteSink, values: Float64Array, from: number, to: number): void {
  const count = to - from;
  sink.varint(BLOCK);
  sink.varint(MINIBLOCKS);
  sink.varint(count);
  sink.zigzag(count > 0 ? (values[from] as number) : 0);
  const widths = [0, 0, 0, 0];
  for (let start = from + 1; start < to; start += BLOCK) {
    const size = Math.min(BLOCK, to - start);
    let min = Number.POSITIVE_INFINITY;
    for (let i = 0; i < size; i++) {
      const d = (values[start + i] as number) - (values[start + i - 1] as number);
      deltas[i] = d;
      if (d < min) min = d;
    }
    sink.zigzag(min);
    for (let m = 0; m < MINIBLOCKS; m++) {
      const end = Math.min(size, (m + 1) * PER_MINIBLOCK);
      let max = 0;
      for (let i = m * PER_MINIBLOCK; i < end; i++) {
        const adjusted = (deltas[i] as number) - min;
        deltas[i] = adjusted;
        if (adjusted > max) max = adjusted;
      }
      widths[m] = widthOf(max);
    }
    sink.ensure(MINIBLOCKS);
    for (let m = 0; m < MINIBLOCKS; m++) sink.bytes[sink.pos++] = widths[m] as number;
    for (let m = 0; m < MINIBLOCKS; m++) {
      const first = m * PER_MINIBLOCK;
      if (first >= size) break;
      const last = Math.min(size, first + PER_MINIBLOCK);
      bitPack(sink, deltas, first, last, PER_MINIBLOCK - (last - first), widths[m] as number);
    }
  }
}
