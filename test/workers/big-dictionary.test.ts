// Lake files are read inside workerd, whose zstd has failed on large outputs: a row group whose
// dictionary pages pass 100 KB (many distinct request and session ids) must still read back whole.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { putLakeFile } from "../../services/lake-objects/put-file";
import { r2AsyncBuffer } from "../../services/lake-objects/r2-buffer";
import { readLakeRowGroups } from "../../shared/parquet/lake-file";
import { queued } from "./lake-helpers";

describe("a row group with a large dictionary", () => {
  it("reads back in workerd, every column, when its distinct values pass 100 KB", async () => {
    // 6,000 events from 3,000 requests: request ids alone are ~120 KB of distinct values.
    const rows = Array.from({ length: 6000 }, (_, i) =>
      queued("prj_dict", `e${i}`, {
        ts: Date.UTC(2026, 10, 20) + i,
        request_id: `req-${Math.floor(i / 2)}-${"x".repeat(30)}`,
        session_id: `sess-${i % 2500}-${"y".repeat(30)}`,
      }),
    );
    const file = await putLakeFile(env.LAKE, "lake/prj_dict/silver/page.view/dt=2026-11-20/big.parquet", rows);
    let count = 0;
    const requests = new Set<string>();
    for await (const chunk of readLakeRowGroups(r2AsyncBuffer(env.LAKE, file.key, file.bytes))) {
      count += chunk.length;
      for (const r of chunk) requests.add(r.request_id as string);
    }
    expect(count).toBe(6000);
    expect(requests.size).toBe(3000);
  });
});
