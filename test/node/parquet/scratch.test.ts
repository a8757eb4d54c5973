// Scratch buffers handed from one encode to the next: reused while the collector leaves them, never
// shared between two holders, and the file's bytes copied out at their exact size.
import { describe, expect, it } from "vitest";
import {
  borrowBuffer,
  borrowFileWriter,
  borrowUint32,
  returnBuffer,
  takeFileBytes,
} from "../../../shared/parquet/scratch";

describe("scratch buffers", () => {
  it("lends a given-back buffer again, the smallest that fits, and to one borrower at a time", () => {
    const small = borrowBuffer(1000);
    const large = borrowBuffer(100_000);
    returnBuffer(large);
    returnBuffer(small);
    expect(borrowBuffer(500)).toBe(small); // the smallest that fits
    expect(borrowBuffer(50_000)).toBe(large);
    const third = borrowBuffer(500); // both are lent: a third borrower gets a new one
    expect(third).not.toBe(small);
    expect(third).not.toBe(large);
    expect(borrowBuffer(200_000).byteLength).toBeGreaterThanOrEqual(200_000); // none fits: a new one
  });

  it("gives typed views of the asked length over a possibly larger buffer", () => {
    returnBuffer(new ArrayBuffer(4096));
    const ints = borrowUint32(10);
    expect(ints.length).toBe(10);
    expect(ints.buffer.byteLength).toBeGreaterThanOrEqual(40);
  });

  it("copies a file out at its exact size, and the next file reuses the writer's buffer", () => {
    const file = borrowFileWriter(1024);
    for (let i = 0; i < 300; i++) file.appendUint8(i & 0xff);
    file.appendUint32(0x31524150);
    const buffer = file.buffer;
    const bytes = takeFileBytes(file);
    expect(bytes.length).toBe(304);
    expect(bytes.buffer.byteLength).toBe(304);
    expect(bytes[299]).toBe(299 & 0xff);
    const next = borrowFileWriter(1024);
    expect(next.buffer).toBe(buffer);
    next.appendUint8(7); // writing the next file leaves the first one's bytes alone
    expect(bytes[0]).toBe(0);
  });
});
