// PLAIN BYTE_ARRAY pages to JS strings: one UTF-8 decode per page when the page is ASCII, else per value.

const decoder = new TextDecoder();

/** Decode `count` length-prefixed UTF-8 strings starting at `offset`. */
export function decodeStrings(bytes: Uint8Array, offset: number, count: number): string[] {
  const out: string[] = new Array(count);
  const starts = new Int32Array(count);
  const lengths = new Int32Array(count);
  let p = offset;
  for (let i = 0; i < count; i++) {
    const len =
      (bytes[p] as number) |
      ((bytes[p + 1] as number) << 8) |
      ((bytes[p + 2] as number) << 16) |
      ((bytes[p + 3] as number) << 24);
    starts[i] = p + 4;
    lengths[i] = len;
    p += 4 + len;
  }
  if (count === 0) return out;
  // Decoding the whole run keeps V8 from allocating per value; it only works when every byte is one character.
  const text = decoder.decode(bytes.subarray(offset, p));
  if (text.length === p - offset) {
    for (let i = 0; i < count; i++) {
      const s = (starts[i] as number) - offset;
      out[i] = text.slice(s, s + (lengths[i] as number));
    }
    return out;
  }
  for (let i = 0; i < count; i++) {
    const s = starts[i] as number;
    out[i] = decoder.decode(bytes.subarray(s, s + (lengths[i] as number)));
  }
  return out;
}
