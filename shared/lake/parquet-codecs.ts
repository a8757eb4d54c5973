// Decompressors hyparquet needs to read the lake's ZSTD Parquet (node:zlib works in workerd).
import { zstdDecompressSync } from "node:zlib";

/** Pass as `compressors` to every hyparquet read of a lake file. */
export const lakeCompressors = {
  ZSTD: (input: Uint8Array, _outputLength: number): Uint8Array => new Uint8Array(zstdDecompressSync(input)),
};
