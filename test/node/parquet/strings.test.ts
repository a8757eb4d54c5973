// PLAIN BYTE_ARRAY strings: batches encoded by Tarn, decoded by Tarn, and min/max in UTF-8 byte order.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ByteSink } from "../../../shared/parquet/byte-sink";
import { BytesRange, compareBytes, decodeStrings, writePlainStrings } from "../../../shared/parquet/strings";

const text = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: "binary", maxLength: 10 }),
  fc.constantFrom("", "café ✓", "日本語", "😀 emoji", "a\nb", "\u0000x", "\uff5e", "x".repeat(20_000)),
);
const values = fc.array(fc.option(text, { nil: null, freq: 4 }), { maxLength: 400 });
const utf8 = new TextEncoder();

function encode(list: (string | null)[], from = 0, to = list.length): { bytes: Uint8Array; ascii: boolean } {
  const sink = new ByteSink(16);
  const ascii = writePlainStrings(sink, list, from, to);
  return { bytes: sink.view().slice(), ascii };
}

describe("PLAIN strings", () => {
  it("decodes what it encodes, skipping nulls, whatever the characters", () => {
    fc.assert(
      fc.property(values, fc.nat(), (list, cut) => {
        const from = list.length ? cut % list.length : 0;
        const present = list.slice(from).filter((v) => v !== null) as string[];
        const { bytes, ascii } = encode(list, from);
        // Lone surrogates have no UTF-8 form: they come back as U+FFFD, as TextEncoder writes them.
        const expected = present.map((v) => v.toWellFormed());
        expect(decodeStrings(bytes, 0, present.length)).toEqual(expected);
        expect(ascii).toBe(present.every((v) => [...v].every((c) => c.charCodeAt(0) < 0x80)));
      }),
      { numRuns: 300 },
    );
  });

  it("lays each value out as a 4-byte little-endian length and its UTF-8 bytes", () => {
    const { bytes } = encode(["ab", null, "é"]);
    expect([...bytes]).toEqual([2, 0, 0, 0, 97, 98, 2, 0, 0, 0, 0xc3, 0xa9]);
    expect(decodeStrings(bytes, 0, 2)).toEqual(["ab", "é"]);
  });

  it("keeps min and max in byte (code point) order, as copies", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(text, { minLength: 1, maxLength: 50 }), { minLength: 1, maxLength: 4 }),
        (pages) => {
          const range = new BytesRange();
          for (const page of pages) {
            const { bytes } = encode(page);
            range.addPlain(bytes, 0, bytes.length);
            bytes.fill(0); // the range must not alias a page buffer that is reused
          }
          const sorted = pages
            .flat()
            .map((v) => utf8.encode(v))
            .sort(compareBytes);
          expect(range.min).toEqual(sorted[0]);
          expect(range.max).toEqual(sorted.at(-1));
        },
      ),
      { numRuns: 200 },
    );
    // U+FF5E sorts below U+1F600 in UTF-8, though above it in UTF-16 code units.
    const range = new BytesRange();
    const { bytes } = encode(["😀", "\uff5e", "a"]);
    range.addPlain(bytes, 0, bytes.length);
    expect(range.max).toEqual(utf8.encode("😀"));
  });
});
