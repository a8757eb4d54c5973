import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { KeyEncoder, PairTable } from "../../shared/query/group-by";
import { StringInterner } from "../../shared/query/interner";
import type { Vec } from "../../shared/query/vector";

describe("the query's string interner", () => {
  it("gives equal strings one id and different strings different ids, whatever their characters", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.string(), fc.string({ unit: "grapheme" }), fc.constantFrom("", "é", "😀", "a\u0000b"))),
        (strings) => {
          const interner = new StringInterner();
          const reference = new Map<string, number>();
          for (const s of strings) {
            const id = interner.idOf(s);
            if (!reference.has(s)) reference.set(s, reference.size);
            expect(id).toBe(reference.get(s));
            expect(interner.values[id]).toBe(s);
          }
          for (const [s, id] of reference) expect(interner.find(s)).toBe(id);
          expect(interner.find("never interned \u{1F600}")).toBe(-1);
        },
      ),
    );
  });

  it("keeps ids stable while its table grows past many rehashes", () => {
    const interner = new StringInterner();
    const n = 50_000;
    for (let i = 0; i < n; i++) expect(interner.idOf(`user_${i}`)).toBe(i);
    for (let i = n - 1; i >= 0; i -= 7) expect(interner.idOf(`user_${i}`)).toBe(i);
    expect(interner.values.length).toBe(n);
  });

  it("resolves a dictionary's entries once and shares them with a later read of the same column chunk", () => {
    const interner = new StringInterner();
    const first: Vec = { kind: "str", n: 3, values: ["b", "a", "c"] };
    interner.tag(first, "file-1\u0000100");
    const ids = interner.entries(first);
    expect([0, 1, 2].map((c) => interner.resolve(ids, first, c))).toEqual([0, 1, 2]);
    // The same chunk decoded again is a new object with the same entries: no new lookups needed.
    const again: Vec = { kind: "str", n: 3, values: ["b", "a", "c"] };
    interner.tag(again, "file-1\u0000100");
    expect(Array.from(interner.entries(again))).toEqual([0, 1, 2]);
    // Its own dictionary maps codes to themselves.
    const own = interner.dictionary();
    expect(interner.owns(own)).toBe(true);
    expect(Array.from(interner.entries(own))).toEqual([0, 1, 2]);
  });

  it("looks a probe's strings up without adding the ones it lacks", () => {
    const interner = new StringInterner();
    interner.idOf("user_1");
    const probe: Vec = { kind: "str", n: 3, values: ["user_2", "user_1", "user_3"] };
    const ids = interner.entries(probe);
    expect([0, 1, 2].map((c) => interner.lookup(ids, probe, c))).toEqual([-1, 0, -1]);
    expect(interner.values).toEqual(["user_1"]);
  });

  it("keeps serving its last dictionary for codes it covers after more strings are interned", () => {
    const interner = new StringInterner();
    for (let i = 0; i < 100; i++) interner.idOf(`user_${i}`);
    const snapshot = interner.dictionary();
    for (let i = 100; i < 200; i++) interner.idOf(`user_${i}`);
    // Codes below 100: the same dictionary, not a new copy of every string interned so far.
    expect(interner.dictionary(Int32Array.of(5, -1, 99))).toBe(snapshot);
    const grown = interner.dictionary(Int32Array.of(5, 150));
    expect(grown).not.toBe(snapshot);
    expect(grown.n).toBe(200);
    expect(interner.owns(grown)).toBe(true);
  });
});

describe("integer pair ids", () => {
  it("numbers distinct pairs densely in order of first appearance", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(3000), fc.nat(3000)), { maxLength: 5000 }), (pairs) => {
        const table = new PairTable();
        const reference = new Map<string, number>();
        for (const [a, b] of pairs) {
          const key = `${a},${b}`;
          if (!reference.has(key)) reference.set(key, reference.size);
          expect(table.idOf(a, b)).toBe(reference.get(key));
        }
        expect(table.size).toBe(reference.size);
      }),
    );
  });
});

describe("group key encoding through the interner", () => {
  it("gives a value the same id whether it arrives in a dictionary, as plain strings or as a constant", () => {
    const interner = new StringInterner();
    const encoder = new KeyEncoder(interner);
    const dict: Vec = { kind: "str", n: 3, values: ["x", "y", null] as unknown as string[] };
    const coded = encoder.encode({ kind: "dict", n: 5, dict, codes: Int32Array.from([1, 0, -1, 2, 1]) });
    const plain = encoder.encode({ kind: "str", n: 3, values: ["y", null, "z"] });
    const constant = encoder.encode({ kind: "const", n: 2, value: "x" });
    const value = (id: number) => encoder.values[id];
    expect(Array.from(coded, value)).toEqual(["y", "x", null, null, "y"]);
    expect(Array.from(plain, value)).toEqual(["y", null, "z"]);
    expect(Array.from(constant, value)).toEqual(["x", "x"]);
    expect(coded[0]).toBe(plain[0]);
    expect(coded[2]).toBe(encoder.nullId);
    expect(coded[3]).toBe(encoder.nullId);
  });
});
