// A minor compaction merges a tier of small silver files: the smallest, and a larger one only while
// it is at most TIER_RATIO times what is taken, so no large file is rewritten to absorb a small one.
import { describe, expect, it } from "vitest";
import { TIER_RATIO, tierToMerge } from "../../shared/lake/compaction-tiers";

const files = (...rows: number[]) => rows.map((r, i) => ({ id: i, rows: r }));
const rowsOf = (fs: { rows: number }[]) => fs.map((f) => f.rows);

describe("tierToMerge", () => {
  it("takes the small files and leaves a much larger one alone", () => {
    expect(rowsOf(tierToMerge(files(40_000, 1_000, 1_200)))).toEqual([1_000, 1_200]);
    expect(tierToMerge(files(40_000, 1_000))).toEqual([]);
  });

  it("takes a larger file once the smaller ones add up to its tier", () => {
    expect(rowsOf(tierToMerge(files(4_000, 1_000, 1_000)))).toEqual([1_000, 1_000, 4_000]);
    expect(rowsOf(tierToMerge(files(4_001, 1_000, 1_000)))).toEqual([1_000, 1_000]);
    expect(TIER_RATIO).toBe(2);
  });

  it("merges nothing from fewer than two files", () => {
    expect(tierToMerge(files())).toEqual([]);
    expect(tierToMerge(files(5))).toEqual([]);
  });

  it("rewrites each row O(log n) times as equal small files keep arriving", () => {
    // Simulate a partition receiving 1,000-row files; after each arrival, merge one tier.
    let partition = files();
    let rewritten = 0;
    for (let i = 0; i < 256; i++) {
      partition = [...partition, { id: 1000 + i, rows: 1_000 }];
      const merge = tierToMerge(partition);
      if (merge.length === 0) continue;
      const merged = merge.reduce((a, f) => a + f.rows, 0);
      rewritten += merged;
      partition = [...partition.filter((f) => !merge.includes(f)), { id: 5000 + i, rows: merged }];
    }
    const total = 256 * 1_000;
    // Merging everything each time would rewrite ~total²/2000 rows (32.8M); tiers stay near total × log2(256).
    expect(rewritten).toBeLessThanOrEqual(total * 9);
    expect(partition.reduce((a, f) => a + f.rows, 0)).toBe(total);
    expect(partition.length).toBeLessThanOrEqual(9);
  });
});
