// Bytes of immutable lake files kept between queries: a read inside a kept range is served from
// memory, the least recently used range goes first, and what is handed out is the caller's own copy.
import { describe, expect, it } from "vitest";
import { ByteRangeCache } from "../../shared/lake/byte-range-cache";

const bytes = (...values: number[]) => new Uint8Array(values).buffer;
const view = (b: ArrayBuffer | undefined) => (b ? [...new Uint8Array(b)] : undefined);

describe("ByteRangeCache", () => {
  it("serves a read inside a kept range, and misses outside it or for another key", () => {
    const cache = new ByteRangeCache(1024);
    cache.set("a@10", 4, bytes(4, 5, 6, 7, 8));
    expect(view(cache.get("a@10", 4, 9))).toEqual([4, 5, 6, 7, 8]);
    expect(view(cache.get("a@10", 5, 7))).toEqual([5, 6]);
    expect(cache.get("a@10", 3, 6)).toBeUndefined();
    expect(cache.get("a@10", 8, 10)).toBeUndefined();
    expect(cache.get("b@10", 4, 9)).toBeUndefined();
    expect(cache.stats).toEqual({ hits: 2, misses: 3, bytes: 5 });
  });

  it("hands out copies: neither the fetched buffer nor a served one can change what it keeps", () => {
    const cache = new ByteRangeCache(1024);
    const fetched = new Uint8Array([1, 2, 3]);
    cache.set("a@3", 0, fetched.buffer);
    fetched[0] = 99;
    const served = cache.get("a@3", 0, 3) as ArrayBuffer;
    new Uint8Array(served)[1] = 98;
    expect(view(cache.get("a@3", 0, 3))).toEqual([1, 2, 3]);
  });

  it("pushes out the least recently used range to stay within its budget", () => {
    const cache = new ByteRangeCache(10, 10);
    cache.set("a", 0, bytes(1, 1, 1, 1));
    cache.set("b", 0, bytes(2, 2, 2, 2));
    expect(cache.get("a", 0, 4)).toBeDefined(); // a is now the most recent
    cache.set("c", 0, bytes(3, 3, 3, 3)); // 12 bytes: b goes
    expect(cache.get("b", 0, 4)).toBeUndefined();
    expect(view(cache.get("a", 0, 4))).toEqual([1, 1, 1, 1]);
    expect(view(cache.get("c", 0, 4))).toEqual([3, 3, 3, 3]);
    expect(cache.stats.bytes).toBe(8);
  });

  it("keeps no range larger than its largest entry, nothing at budget 0, and a held range once", () => {
    const cache = new ByteRangeCache(100, 4);
    cache.set("a", 0, bytes(1, 2, 3, 4, 5));
    expect(cache.get("a", 0, 5)).toBeUndefined();
    cache.set("a", 0, bytes(1, 2, 3, 4));
    cache.set("a", 1, bytes(2, 3));
    expect(cache.stats.bytes).toBe(4);
    const off = new ByteRangeCache(0);
    off.set("a", 0, bytes(1));
    expect(off.get("a", 0, 1)).toBeUndefined();
    expect(off.stats.bytes).toBe(0);
  });
});
