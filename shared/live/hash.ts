// A 53-bit string hash (cyrb53) for sketches: fast, well mixed, stable across runtimes.

/** Two 32-bit halves of cyrb53 over the UTF-16 code units of `s`: `hi` has 21 bits, `lo` 32. */
export function hash53(s: string, seed = 0): { hi: number; lo: number } {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return { hi: (h2 >>> 0) & 0x1fffff, lo: h1 >>> 0 };
}
