// A growable byte buffer with the few writes Parquet pages need (bytes, varints, little-endian u32).

/**
 * hyparquet-writer's ByteWriter goes through a DataView and a bounds check per byte; page bodies are
 * written here instead, straight into a Uint8Array that is reused from page to page (`reset`), so a
 * column chunk costs no allocation beyond its compressed output.
 */
export class ByteSink {
  bytes: Uint8Array;
  pos = 0;

  constructor(capacity = 1 << 16) {
    this.bytes = new Uint8Array(capacity);
  }

  /** Make room for `extra` more bytes after `pos`. */
  ensure(extra: number): void {
    const need = this.pos + extra;
    if (need <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(need, this.bytes.length * 2));
    grown.set(this.bytes.subarray(0, this.pos));
    this.bytes = grown;
  }

  reset(): void {
    this.pos = 0;
  }

  /** The bytes written so far, as a view (valid until the next write or reset). */
  view(): Uint8Array {
    return this.bytes.subarray(0, this.pos);
  }

  byte(value: number): void {
    this.ensure(1);
    this.bytes[this.pos++] = value;
  }

  u32(value: number): void {
    this.ensure(4);
    const b = this.bytes;
    const p = this.pos;
    b[p] = value & 0xff;
    b[p + 1] = (value >>> 8) & 0xff;
    b[p + 2] = (value >>> 16) & 0xff;
    b[p + 3] = (value >>> 24) & 0xff;
    this.pos = p + 4;
  }

  /** ULEB128 of a non-negative integer up to 2^53 (arithmetic above 2^31, where bit operators would wrap). */
  varint(value: number): void {
    this.ensure(10);
    const b = this.bytes;
    let p = this.pos;
    let v = value;
    if (v < 0x80000000) {
      while (v >= 0x80) {
        b[p++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
    } else {
      while (v >= 0x80) {
        b[p++] = (v % 0x80) | 0x80;
        v = Math.floor(v / 0x80);
      }
    }
    b[p++] = v;
    this.pos = p;
  }

  /** Zigzag varint of an integer with |value| < 2^52, so that 2|value| + 1 stays exact. */
  zigzag(value: number): void {
    this.varint(value >= 0 ? value * 2 : -value * 2 - 1);
  }
}
