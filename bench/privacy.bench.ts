// Privacy costs, in process: (1) ingest: sealing one x-encrypt field per event before encoding vs the
// same rows in clear; (2) query: a clear reader of the encrypted file (decrypting) and a masked reader
// (hashing) vs a plain read of the clear file, with DuckDB over the clear file as the reference;
// (3) erasure of one subject over a lake of N events: footers read to locate, candidates (Bloom filter
// vs row-group min/max only), rows removed, files rewritten and the time of each step.
// Usage: npx tsx bench/privacy.bench.ts [rows=200000] [lake_rows=1000000] [lake_files=200] [runs=3]
// Not measured here: D1 round trips (the key vault read per batch and per query, the key DELETE of an
// erasure request, the manifest publish) and R2 latency; files are on local disk.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { asyncBufferFromFile } from "hyparquet";
import { contractFields } from "../shared/contracts/fields";
import { typedColumnsOf } from "../shared/contracts/typed-columns";
import type { LakeRow } from "../shared/lake/lake-row";
import { readFooter } from "../shared/parquet/footer";
import { encodeLakeFile, readLakeRowGroups } from "../shared/parquet/lake-file";
import { keyIdOf, newDataKey, openValue, type SealingKey, sealValue } from "../shared/privacy/field-cipher";
import { mayHoldSubject } from "../shared/privacy/locate";
import { buildPolicy } from "../shared/privacy/policy";
import { USER_BLOOM_KEY } from "../shared/privacy/user-bloom";
import { privacyGuard } from "../shared/privacy/value-guard";
import { type FileRef, runQuery } from "../shared/query/index";
import { TABLE_COLUMNS } from "../shared/query/schema";
import { generateRows } from "./data";
import { catalogOver } from "./local-catalog";

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

async function timed<T>(fn: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  const t = performance.now();
  const value = await fn();
  return { ms: performance.now() - t, value };
}

const CONTRACT = {
  type: "object",
  properties: { email: { type: "string", "x-encrypt": true, "x-mask": "hash" }, plan: { type: "string" } },
};
const typed = typedColumnsOf(CONTRACT);

/** The generator's rows as one event type with an email per user in the payload. */
function withEmail(rows: LakeRow[]): LakeRow[] {
  return rows.map((r) => ({
    ...r,
    event_type: "signup",
    payload: JSON.stringify({ email: `${r.user_id ?? "anon"}@example.com`, plan: r.source ?? "free" }),
  }));
}

/** As services/privacy/seal-events.ts does it: every event of a batch sealed concurrently (Promise.all). */
async function seal(rows: LakeRow[], keys: Map<string, { keyId: string; key: SealingKey }>): Promise<LakeRow[]> {
  return Promise.all(
    rows.map(async (r) => {
      const k = keys.get(r.user_id ?? "") as { keyId: string; key: SealingKey };
      const p = JSON.parse(r.payload as string) as Record<string, unknown>;
      p.email = await sealValue(k.key, k.keyId, p.email);
      return { ...r, payload: JSON.stringify(p) };
    }),
  );
}

async function main() {
  const n = Number(process.argv[2] ?? 200_000);
  const lakeRows = Number(process.argv[3] ?? 1_000_000);
  const lakeFiles = Number(process.argv[4] ?? 200);
  const runs = Number(process.argv[5] ?? 3);
  const dir = await mkdtemp(path.join(tmpdir(), "tarn-privacy-bench-"));
  try {
    // 1. Ingest: seal + encode vs encode.
    const rows = withEmail(generateRows(n, 7));
    const keys = new Map<string, { keyId: string; key: SealingKey }>();
    for (const r of rows)
      if (!keys.has(r.user_id ?? ""))
        keys.set(r.user_id ?? "", { keyId: `k${keys.size}`, key: (await newDataKey()).sealing });
    const byId = new Map([...keys.values()].map((k) => [k.keyId, k.key.key]));
    const clearMs: number[] = [];
    const sealedMs: number[] = [];
    let clearBytes: Uint8Array = new Uint8Array();
    let sealedBytes: Uint8Array = new Uint8Array();
    for (let run = 0; run <= runs; run++) {
      const c = await timed(() => encodeLakeFile(rows, { typedColumns: typed }));
      const s = await timed(async () => encodeLakeFile(await seal(rows, keys), { typedColumns: typed }));
      if (run > 0) {
        clearMs.push(c.ms);
        sealedMs.push(s.ms);
      }
      clearBytes = c.value;
      sealedBytes = s.value;
    }
    await writeFile(path.join(dir, "clear.parquet"), clearBytes);
    await writeFile(path.join(dir, "sealed.parquet"), sealedBytes);
    console.log(`rows: ${n}, subjects: ${keys.size}, runs: ${runs} (after one warm-up)`);
    console.log(`ingest_clear_ms_median: ${median(clearMs).toFixed(0)}`);
    console.log(`ingest_encrypted_ms_median: ${median(sealedMs).toFixed(0)}`);
    console.log(`ratio_ingest_encrypted_over_clear: ${(median(sealedMs) / median(clearMs)).toFixed(2)}`);
    console.log(`file_bytes_clear: ${clearBytes.byteLength}, file_bytes_encrypted: ${sealedBytes.byteLength}`);

    // 2. Query: the same question by a plain read, a clear reader (decrypting), a masked reader (hashing), and DuckDB.
    const minTs = rows.reduce((m, r) => Math.min(m, r.ts), Number.POSITIVE_INFINITY);
    const maxTs = rows.reduce((m, r) => Math.max(m, r.ts), Number.NEGATIVE_INFINITY);
    const ref = (key: string): FileRef & { path: string } => ({
      key,
      path: path.join(dir, key),
      dataset: "signup",
      rows: n,
      minTs,
      maxTs,
    });
    const sql = "SELECT email, count(*) AS n FROM signup GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10";
    const fields = new Map([["signup", contractFields(CONTRACT)]]);
    // As services/privacy/masking.ts's queryDecrypt: keys held for the query, values opened concurrently.
    const decrypt = async (sealed: string[]) => {
      const out = new Map<string, unknown>();
      await Promise.all(
        [...new Set(sealed)].map(async (s) => out.set(s, await openValue(byId.get(keyIdOf(s)) as CryptoKey, s))),
      );
      return out;
    };
    const options = { tableColumns: { signup: [...TABLE_COLUMNS, ...typed] as never } };
    const variants = {
      plain: () => runQuery(sql, catalogOver([ref("clear.parquet")]), options),
      clear_reader_encrypted: () =>
        runQuery(
          sql,
          {
            ...catalogOver([ref("sealed.parquet")]),
            guard: privacyGuard(buildPolicy(true, new Map(), fields), new Uint8Array(32), decrypt),
          },
          options,
        ),
      masked_reader_encrypted: () =>
        runQuery(
          sql,
          {
            ...catalogOver([ref("sealed.parquet")]),
            guard: privacyGuard(buildPolicy(false, new Map(), fields), new Uint8Array(32), decrypt),
          },
          options,
        ),
    };
    const instance = await DuckDBInstance.create(":memory:");
    const duck = await instance.connect();
    await duck.run("SET threads = 1");
    const duckSql = `SELECT json_extract_string(payload, '$.email') AS email, count(*) AS n FROM read_parquet('${path.join(dir, "clear.parquet")}') GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10`;
    const times: Record<string, number[]> = { duckdb: [] };
    for (let run = 0; run <= runs; run++) {
      for (const [name, fn] of Object.entries(variants)) {
        const t = await timed(fn);
        if (run > 0) times[name] = [...(times[name] ?? []), t.ms];
      }
      const d = await timed(() => duck.runAndReadAll(duckSql));
      if (run > 0) times.duckdb?.push(d.ms);
    }
    duck.closeSync();
    const plain = median(times.plain ?? []);
    for (const [name, ms] of Object.entries(times))
      console.log(
        `query_${name}_ms_median: ${median(ms).toFixed(0)}  ratio_over_plain: ${(median(ms) / plain).toFixed(2)}`,
      );

    // 3. Erasure over a lake of lakeRows events in lakeFiles files (arrival order, like bronze).
    const lake = generateRows(lakeRows, 11);
    const per = Math.ceil(lake.length / lakeFiles);
    const files: (FileRef & { path: string; bytes: number })[] = [];
    let bloomBytes = 0;
    for (let f = 0; f * per < lake.length; f++) {
      const slice = lake.slice(f * per, (f + 1) * per);
      const bytes = encodeLakeFile(slice);
      const key = `f${String(f).padStart(4, "0")}.parquet`;
      await writeFile(path.join(dir, key), bytes);
      files.push({
        key,
        path: path.join(dir, key),
        dataset: "mixed",
        rows: slice.length,
        minTs: 0,
        maxTs: 0,
        bytes: bytes.byteLength,
      });
    }
    const counts = new Map<string, number>();
    for (const r of lake) if (r.user_id) counts.set(r.user_id, (counts.get(r.user_id) ?? 0) + 1);
    // A typical subject: the median user by event count.
    const subject = [...counts].sort((a, b) => a[1] - b[1])[counts.size >> 1]?.[0] as string;
    const located = await timed(async () => {
      const bloom: string[] = [];
      const minmax: string[] = [];
      for (const f of files) {
        const footer = await readFooter(await asyncBufferFromFile(f.path));
        const kv = footer.key_value_metadata?.find((x) => x.key === USER_BLOOM_KEY);
        bloomBytes += kv?.value?.length ?? 0;
        if (mayHoldSubject(footer, subject)) bloom.push(f.key);
        const noBloom = { ...footer, key_value_metadata: [] };
        if (mayHoldSubject(noBloom, subject)) minmax.push(f.key);
      }
      return { bloom, minmax };
    });
    const rewrite = await timed(async () => {
      let removed = 0;
      let rewritten = 0;
      for (const key of located.value.bloom) {
        const f = files.find((x) => x.key === key) as { path: string };
        const kept: LakeRow[] = [];
        let hit = 0;
        for await (const chunk of readLakeRowGroups(await asyncBufferFromFile(f.path)))
          for (const r of chunk) {
            if (r.user_id === subject) hit++;
            else kept.push(r);
          }
        if (hit === 0) continue;
        removed += hit;
        rewritten++;
        await writeFile(path.join(dir, `${key}.erased`), encodeLakeFile(kept));
      }
      return { removed, rewritten };
    });
    const lakeBytes = files.reduce((a, f) => a + f.bytes, 0);
    console.log(
      `lake_rows: ${lake.length}, lake_files: ${files.length}, lake_bytes: ${lakeBytes}, users: ${counts.size}`,
    );
    console.log(`subject_events: ${counts.get(subject)}`);
    console.log(`locate_ms (read every footer): ${located.ms.toFixed(0)}`);
    console.log(
      `candidates_bloom: ${located.value.bloom.length}, candidates_minmax_only: ${located.value.minmax.length}`,
    );
    console.log(
      `rewrite_ms: ${rewrite.ms.toFixed(0)}, files_rewritten: ${rewrite.value.rewritten}, rows_removed: ${rewrite.value.removed}`,
    );
    console.log(
      `bloom_bytes_total: ${bloomBytes} (${((100 * bloomBytes) / lakeBytes).toFixed(2)}% of the lake's bytes, base64 in footers)`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
