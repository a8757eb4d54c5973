// The one door to hyparquet's and hyparquet-writer's internals (src/*, not their public API): both
// libraries are pinned to exact versions in package.json, and an upgrade is checked here, once.

// Reading: page headers and the encodings Tarn's own decoders leave to hyparquet.
export { parquetHeader } from "hyparquet/src/column.js";
export { Encodings } from "hyparquet/src/constants.js";
export { decompressPage } from "hyparquet/src/datapage.js";
export { deltaBinaryUnpack, deltaByteArray, deltaLengthByteArray } from "hyparquet/src/delta.js";
export { byteStreamSplit, readRleBitPackedHybrid } from "hyparquet/src/encoding.js";
export type { MinMaxType } from "hyparquet/src/types.js";
export { ByteWriter } from "hyparquet-writer";
// Writing: thrift page headers, page indexes and the footer; BigInt delta packing for extreme times.
export { writePageHeader } from "hyparquet-writer/src/datapage.js";
export { deltaBinaryPack } from "hyparquet-writer/src/delta.js";
export { writeIndexes } from "hyparquet-writer/src/indexes.js";
export { writeMetadata } from "hyparquet-writer/src/metadata.js";
export type { PageIndexes } from "hyparquet-writer/src/types.js";
