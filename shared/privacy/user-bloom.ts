// A per-file Bloom filter of user ids, kept in the Parquet footer's key-value metadata, so erasure and
// export locate a subject's files by reading footers only (min/max statistics rule out nothing when users
// are spread over every file). About 10 bits per distinct user, 7 probes: ~1% false positives.

/** The footer key holding the filter: `v1:<probes>:<base64 bits>`. */
export const USER_BLOOM_KEY = "tarn.user_id.bloom";
const PROBES = 7;
const BITS_PER_ITEM = 10;

function hashes(value: string): [number, number] {
  // Two FNV-1a variants (different offsets) for double hashing.
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995) ^ (b >>> 13);
  }
  return [a >>> 0, (b >>> 0) | 1];
}

function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** The filter of these user ids as footer text, or null when there are none. */
export function userBloom(userIds: Iterable<string | null>): string | null {
  const distinct = new Set<string>();
  for (const u of userIds) if (u) distinct.add(u);
  if (distinct.size === 0) return null;
  const bits = Math.max(64, 2 ** Math.ceil(Math.log2(distinct.size * BITS_PER_ITEM)));
  const filter = new Uint8Array(bits / 8);
  for (const u of distinct) {
    const [h1, h2] = hashes(u);
    for (let i = 0; i < PROBES; i++) {
      const bit = ((h1 + Math.imul(i, h2)) >>> 0) & (bits - 1);
      filter[bit >>> 3] = (filter[bit >>> 3] as number) | (1 << (bit & 7));
    }
  }
  return `v1:${PROBES}:${toBase64(filter)}`;
}

/** Whether the filter may hold `userId` (true when the text is not a filter Tarn wrote). */
export function bloomMayHold(text: string, userId: string): boolean {
  const [version, probes, body] = text.split(":");
  if (version !== "v1" || !body) return true;
  const s = atob(body);
  const bits = s.length * 8;
  if (bits === 0 || (bits & (bits - 1)) !== 0) return true;
  const [h1, h2] = hashes(userId);
  for (let i = 0; i < Number(probes); i++) {
    const bit = ((h1 + Math.imul(i, h2)) >>> 0) & (bits - 1);
    if (((s.charCodeAt(bit >>> 3) >> (bit & 7)) & 1) === 0) return false;
  }
  return true;
}
