import { describe, expect, it } from "vitest";
import { hashString, hashValue } from "../../../shared/query/hash";
import { HyperLogLog } from "../../../shared/query/hll";

describe("HyperLogLog", () => {
  const ids = (from: number, n: number) => Array.from({ length: n }, (_, i) => `user_${(from + i).toString(36)}`);

  for (const n of [1000, 20_000, 150_000, 1_000_000]) {
    it(`estimates ${n} distinct values within 2%`, () => {
      const h = new HyperLogLog();
      for (const id of ids(0, n)) h.add(hashString(id));
      for (const id of ids(0, Math.min(n, 50_000))) h.add(hashString(id));
      expect(Math.abs(h.estimate() - n)).toBeLessThanOrEqual(0.02 * n);
    });
  }

  it("merges like the union of what was added, in either order and after a round trip to bytes", () => {
    const a = new HyperLogLog();
    const b = new HyperLogLog();
    const both = new HyperLogLog();
    for (const id of ids(0, 60_000)) {
      a.add(hashString(id));
      both.add(hashString(id));
    }
    for (const id of ids(40_000, 500)) {
      b.add(hashString(id));
      both.add(hashString(id));
    }
    const ab = HyperLogLog.fromBytes(a.toBytes());
    ab.merge(HyperLogLog.fromBytes(b.toBytes()));
    const ba = HyperLogLog.fromBytes(b.toBytes());
    ba.merge(a);
    expect(ab.estimate()).toBe(both.estimate());
    expect(ba.estimate()).toBe(both.estimate());
  });

  it("counts small sets exactly and hashes numbers by value", () => {
    const h = new HyperLogLog();
    for (const v of [1, 2, 3, 3, 0, -0, 2.5]) h.add(hashValue(v));
    expect(h.estimate()).toBe(5);
  });
});
