// The one HyperLogLog: accuracy, merges in any order, its byte and JSON forms, and every older stored form.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fromBase64, toBase64 } from "../../../shared/base64";
import { hashString, hashValue } from "../../../shared/sketch/hash";
import { HLL_PRECISION, HyperLogLog } from "../../../shared/sketch/hll";

const ids = (from: number, n: number) => Array.from({ length: n }, (_, i) => `user_${(from + i).toString(36)}`);

function sketchOf(values: Iterable<string>, p = HLL_PRECISION): HyperLogLog {
  const h = new HyperLogLog(p);
  for (const v of values) h.add(hashString(v));
  return h;
}

describe("HyperLogLog", () => {
  for (const n of [1000, 20_000, 150_000, 1_000_000]) {
    it(`estimates ${n} distinct values within 2%`, () => {
      const h = new HyperLogLog();
      for (const id of ids(0, n)) h.add(hashString(id));
      for (const id of ids(0, Math.min(n, 50_000))) h.add(hashString(id));
      expect(Math.abs(h.estimate() - n)).toBeLessThanOrEqual(0.02 * n);
    });
  }

  it("estimates distinct counts within 5 % from 0 to 200,000", () => {
    for (const n of [0, 1, 10, 100, 1_000, 5_000, 20_000, 200_000]) {
      const h = new HyperLogLog();
      for (let i = 0; i < n; i++) h.add(hashString(`user-${i}`));
      for (let i = 0; i < n; i += 3) h.add(hashString(`user-${i}`)); // repeats change nothing
      expect(Math.abs(h.estimate() - n)).toBeLessThanOrEqual(Math.max(1, n * 0.05));
    }
  });

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

  it("merges to the sketch of the union, whatever the order, and survives JSON both sparse and dense", () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.string(), { maxLength: 400 }), { minLength: 1, maxLength: 5 }), (sets) => {
        const sketches = sets.map((s) => sketchOf(s));
        const union = sketchOf(sets.flat());
        const forward = sketches.reduce((a, b) => a.merge(HyperLogLog.fromJSON(b.toJSON())), new HyperLogLog());
        const backward = [...sketches].reverse().reduce((a, b) => a.merge(b), new HyperLogLog());
        expect(forward.toBytes()).toEqual(union.toBytes());
        expect(backward.toBytes()).toEqual(union.toBytes());
        expect(HyperLogLog.fromJSON(JSON.parse(JSON.stringify(union.toJSON()))).toBytes()).toEqual(union.toBytes());
      }),
      { numRuns: 60 },
    );
    const big = sketchOf(ids(0, 50_000));
    expect(fromBase64(big.toJSON() as string)[0]).toBe(2); // dense: packed registers
    expect(HyperLogLog.fromJSON(big.toJSON()).toBytes()).toEqual(big.toBytes());
  });

  it("counts small sets exactly and hashes numbers by value", () => {
    const h = new HyperLogLog();
    for (const v of [1, 2, 3, 3, 0, -0, 2.5]) h.add(hashValue(v));
    expect(h.estimate()).toBe(5);
  });

  it("hashes a boolean as the number SQL holds it as", () => {
    expect(hashValue(true)).toBe(hashValue(1));
    expect(hashValue(false)).toBe(hashValue(0));
    expect(hashValue("1")).not.toBe(hashValue(1));
  });
});

describe("HyperLogLog bytes", () => {
  it("are the sorted hashes while sparse (the same bytes whatever the insertion order)", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.nat({ max: 2 ** 32 - 1 }), { maxLength: 1024 }), (hashes) => {
        const forward = new HyperLogLog();
        for (const h of hashes) forward.add(h);
        const backward = new HyperLogLog();
        for (const h of [...hashes].reverse()) backward.add(h);
        const bytes = forward.toBytes();
        expect(bytes).toEqual(backward.toBytes());
        expect(bytes.length).toBe(1 + 4 * hashes.length);
        expect(forward.estimate()).toBe(hashes.length);
      }),
      { numRuns: 100 },
    );
  });

  it("pack a dense sketch's registers at 5 bits: 10 KiB instead of 16", () => {
    const dense = sketchOf(ids(0, 5000));
    expect(dense.toBytes().length).toBe(3 + (16_384 * 5) / 8);
  });

  it("refuse what is no sketch", () => {
    for (const bad of [Uint8Array.of(9), Uint8Array.of(0, 1, 2), Uint8Array.of(1, 0), Uint8Array.of(2, 14, 18, 0)]) {
      expect(() => HyperLogLog.fromBytes(bad)).toThrow(/not a HyperLogLog/);
    }
  });
});

describe("precision", () => {
  it("folds a p = 14 sketch to p = 12 exactly: the sketch p = 12 would have built from the same hashes", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30_000 }), fc.nat(), (n, from) => {
        const values = ids(from, n);
        const folded = new HyperLogLog(12).merge(sketchOf(values));
        expect(folded.toBytes()).toEqual(sketchOf(values, 12).toBytes());
      }),
      { numRuns: 20 },
    );
  });

  it("merges sketches of two precisions at the lower one, either way round", () => {
    const high = sketchOf(ids(0, 8000));
    const low = sketchOf(ids(6000, 8000), 12);
    const union = sketchOf(ids(0, 14_000), 12).toBytes();
    expect(HyperLogLog.fromBytes(high.toBytes()).merge(low).toBytes()).toEqual(union);
    expect(HyperLogLog.fromBytes(low.toBytes()).merge(high).toBytes()).toEqual(union);
  });
});

describe("older stored forms", () => {
  it("reads the query engine's and the rollups' bytes from before packing: sparse unsorted, dense a byte a register", () => {
    const values = ids(0, 20_000);
    const now = sketchOf(values);
    // Dense: flag 1, then the 16,384 registers; recover them from today's packed form.
    const packed = now.toBytes();
    const registers = new Uint8Array(16_384);
    for (let i = 0, bit = 24; i < registers.length; i++, bit += 5) {
      let r = 0;
      for (let b = 0; b < 5; b++) if (((packed[(bit + b) >> 3] as number) >> ((bit + b) & 7)) & 1) r |= 1 << b;
      registers[i] = r;
    }
    const old = new Uint8Array(1 + registers.length);
    old[0] = 1;
    old.set(registers, 1);
    const read = HyperLogLog.fromBytes(old);
    expect(read.estimate()).toBe(now.estimate());
    expect(read.toBytes()).toEqual(packed);
    // Sparse: flag 0, hashes in insertion order (a Set's), as D1 rows hold them in base64.
    const few = ids(0, 300).reverse();
    const oldSparse = new Uint8Array(1 + 4 * few.length);
    const view = new DataView(oldSparse.buffer);
    for (const [i, v] of few.entries()) view.setUint32(1 + 4 * i, hashString(v), true);
    const stored = toBase64(oldSparse);
    expect(HyperLogLog.fromBytes(fromBase64(stored)).toBytes()).toEqual(sketchOf(few).toBytes());
    // Either merges with a current sketch as if it had been current.
    const merged = HyperLogLog.fromBytes(old).merge(HyperLogLog.fromBytes(fromBase64(stored)));
    expect(merged.toBytes()).toEqual(sketchOf([...values, ...few]).toBytes());
  });
});
