// Reads of the current lake kept per snapshot: one read per key shared by every query that asks,
// frozen, a failed read forgotten, an oversized one not held, the oldest key pushed out first.
import { describe, expect, it } from "vitest";
import { atSnapshot } from "../../services/query/current-lake-memo";

describe("atSnapshot", () => {
  it("reads once per key and shares the frozen answer", async () => {
    let reads = 0;
    const read = async () => {
      reads++;
      return { events: ["ts"] };
    };
    const [a, b] = await Promise.all([atSnapshot("p\0 7", read), atSnapshot("p\0 7", read)]);
    expect(a).toBe(b);
    expect(reads).toBe(1);
    expect(Object.isFrozen(a)).toBe(true);
    await atSnapshot("p\0 8", read); // the next snapshot is another key
    expect(reads).toBe(2);
  });

  it("forgets a failed read and does not hold a read of too many items", async () => {
    let reads = 0;
    const failing = () => {
      reads++;
      return Promise.reject(new Error("D1 unavailable"));
    };
    await expect(atSnapshot("fail", failing)).rejects.toThrow("D1 unavailable");
    await expect(atSnapshot("fail", failing)).rejects.toThrow("D1 unavailable");
    expect(reads).toBe(2);
    const big = async () => {
      reads++;
      return [0, new Array(20_001).fill(0)] as const;
    };
    await atSnapshot("big", big, ([, files]) => files.length);
    await atSnapshot("big", big, ([, files]) => files.length);
    expect(reads).toBe(4);
  });

  it("keeps the most recent keys and drops the oldest past its bound", async () => {
    let reads = 0;
    const read = async () => ({ n: ++reads });
    await atSnapshot("first", read);
    for (let i = 0; i < 64; i++) await atSnapshot(`k${i}`, read);
    const before = reads;
    await atSnapshot("first", read);
    expect(reads).toBe(before + 1);
    await atSnapshot("k63", read);
    expect(reads).toBe(before + 1);
  });
});
