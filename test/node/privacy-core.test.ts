// The pure privacy core: masks, sealing and wrapping, the subject locator, and the engine guard, with
// DuckDB reading an encrypted lake file (it sees only sealed text) and Tarn opening it for a clear reader.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { asyncBufferFromFile, parquetMetadataAsync } from "hyparquet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contractFields } from "../../shared/contracts/fields";
import { typedColumnsOf } from "../../shared/contracts/typed-columns";
import type { LakeRow } from "../../shared/lake/lake-row";
import { encodeLakeFile } from "../../shared/parquet/lake-file";
import {
  DEV_MASTER_KEY,
  isCiphertext,
  keyEncryptionKey,
  keyIdOf,
  masterKeyBytes,
  masterKeyProblem,
  newDataKey,
  openValue,
  type SealingKey,
  sealValue,
  unwrapDataKey,
  wrapDataKey,
} from "../../shared/privacy/field-cipher";
import { mayHoldSubject, receiptHash } from "../../shared/privacy/locate";
import { hashWith, maskingKey, partial, redact } from "../../shared/privacy/masks";
import { buildPolicy } from "../../shared/privacy/policy";
import { signDownload, verifyDownload } from "../../shared/privacy/subject-export";
import { bloomMayHold, userBloom } from "../../shared/privacy/user-bloom";
import { privacyGuard } from "../../shared/privacy/value-guard";
import type { FileRef, QueryCatalog } from "../../shared/query/index";
import { TABLE_COLUMNS } from "../../shared/query/schema";
import { duckdbAnswer, tarnAnswer } from "./query-fixtures";

describe("masks", () => {
  it("redacts strings to *** and everything else to NULL", () => {
    expect([redact("x"), redact(42), redact(true), redact(null)]).toEqual(["***", null, null, null]);
  });

  it("keeps the first character and the domain of an email, the last 4 characters of other text", () => {
    expect(partial("alice@example.com")).toBe("a***@example.com");
    expect(partial("4111111111111111")).toBe("***1111");
    expect(partial("abc")).toBe("***");
    expect(partial(12)).toBeNull();
  });

  it("hashes stably per project, and differently across projects", () => {
    const master = masterKeyBytes(undefined);
    const a = hashWith(maskingKey(master, "p1"));
    const b = hashWith(maskingKey(master, "p2"));
    expect(a("alice@example.com")).toBe(a("alice@example.com"));
    expect(a("alice@example.com")).toMatch(/^[0-9a-f]{32}$/);
    expect(a("alice@example.com")).not.toBe(b("alice@example.com"));
    expect(a(42)).toBe(a("42"));
    expect(a(null)).toBeNull();
  });
});

describe("field cipher", () => {
  it("seals and opens JSON values under a data key bound to its id", async () => {
    const { key, sealing } = await newDataKey();
    for (const v of ["123-45-6789", 42, true, { nested: [1, 2] }]) {
      const sealed = await sealValue(sealing, "k1", v);
      expect(isCiphertext(sealed)).toBe(true);
      expect(keyIdOf(sealed)).toBe("k1");
      expect(sealed).not.toContain(JSON.stringify(v));
      expect(await openValue(key, sealed)).toEqual(v);
    }
    const sealed = await sealValue(sealing, "k1", "secret");
    // Synthetic IVs: one subject's equal values seal alike (dictionaries, one decryption), other values,
    // key ids and subjects' keys differ, and the IV never repeats for another value.
    expect(await sealValue(sealing, "k1", "secret")).toBe(sealed);
    expect(await sealValue(sealing, "k2", "secret")).not.toBe(sealed.replace("k1", "k2"));
    const ivOf = (s: string) => atob(s.slice(s.lastIndexOf(":") + 1)).slice(0, 12);
    expect(ivOf(await sealValue(sealing, "k1", "secret2"))).not.toBe(ivOf(sealed));
    const other = (await newDataKey()).key;
    expect(await sealValue((await newDataKey()).sealing, "k1", "secret")).not.toBe(sealed);
    await expect(openValue(other, sealed)).rejects.toThrow();
    await expect(openValue(key, sealed.replace("tenc1:k1:", "tenc1:k2:"))).rejects.toThrow();
  });

  it("wraps data keys under the KEK, bound to project and key id", async () => {
    const kek = await keyEncryptionKey(masterKeyBytes(undefined));
    const { raw, sealing } = await newDataKey();
    const wrapped = await wrapDataKey(kek, raw, "p1", "k1");
    const key = await unwrapDataKey(kek, wrapped, "p1", "k1");
    expect(await openValue(key, await sealValue(sealing, "k1", "x"))).toBe("x");
    await expect(unwrapDataKey(kek, wrapped, "p2", "k1")).rejects.toThrow();
    const otherKek = await keyEncryptionKey(crypto.getRandomValues(new Uint8Array(32)));
    await expect(unwrapDataKey(otherKek, wrapped, "p1", "k1")).rejects.toThrow();
  });

  it("names what is wrong with a production master key", () => {
    expect(masterKeyProblem(undefined)).toContain("not set");
    expect(masterKeyProblem(DEV_MASTER_KEY)).toContain("development");
    expect(masterKeyProblem(btoa("short"))).toContain("32");
    expect(masterKeyProblem(btoa("x".repeat(32)))).toBeNull();
  });
});

describe("download links", () => {
  it("verify only unexpired, untampered links of the same export", () => {
    const master = masterKeyBytes(undefined);
    const q = new URLSearchParams(signDownload(master, "p1", "ex_1", 2000));
    const link = { projectId: "p1", id: "ex_1", expires: 2000, sig: q.get("sig") as string };
    expect(verifyDownload(master, link, 1999)).toBe(true);
    expect(verifyDownload(master, link, 2001)).toBe(false);
    expect(verifyDownload(master, { ...link, id: "ex_2" }, 1000)).toBe(false);
    expect(verifyDownload(master, { ...link, projectId: "p2" }, 1000)).toBe(false);
  });
});

// A lake file whose `ssn` field is encrypted, as the lake writer writes it, next to the same rows in clear.
const CONTRACT = {
  type: "object",
  properties: {
    email: { type: "string", "x-pii": true, "x-mask": "hash" },
    ssn: { type: "string", "x-encrypt": true },
    score: { type: "integer", "x-encrypt": true },
  },
};
const T0 = Date.UTC(2026, 10, 20, 10);
const USERS = ["u-a", "u-b", "u-c", "u-d"];

function row(i: number, payload: Record<string, unknown>): LakeRow {
  return {
    event_id: `e${String(i).padStart(3, "0")}`,
    event_type: "signup",
    ts: T0 + i * 1000,
    received_at: T0 + i * 1000 + 5,
    user_id: USERS[i % USERS.length] as string,
    session_id: null,
    correlation_id: null,
    source: null,
    version: null,
    environment: null,
    region: null,
    request_id: "r",
    country: null,
    colo: null,
    payload: JSON.stringify(payload),
    metadata: null,
  };
}

let dir = "";
let instance: DuckDBInstance;
let duck: Awaited<ReturnType<DuckDBInstance["connect"]>>;
const keys = new Map<string, Awaited<ReturnType<typeof newDataKey>>>();
const clearRows = Array.from({ length: 40 }, (_, i) =>
  row(i, { email: `${USERS[i % USERS.length]}@x.io`, ssn: `SSN-${i}`, score: i * 3 }),
);

function catalogOf(file: string): QueryCatalog {
  const ref: FileRef = { key: file, dataset: "signup", rows: 40, minTs: T0, maxTs: T0 + 40_000 };
  return {
    listFiles: async () => [ref],
    openFile: () => asyncBufferFromFile(path.join(dir, file)),
  };
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "tarn-privacy-"));
  for (const u of USERS) keys.set(`key-${u}`, await newDataKey());
  const sealed: LakeRow[] = [];
  for (const r of clearRows) {
    const p = JSON.parse(r.payload as string) as Record<string, unknown>;
    const keyId = `key-${r.user_id}`;
    const key = keys.get(keyId)?.sealing as SealingKey;
    sealed.push({
      ...r,
      payload: JSON.stringify({
        ...p,
        ssn: await sealValue(key, keyId, p.ssn),
        score: await sealValue(key, keyId, p.score),
      }),
    });
  }
  const typed = typedColumnsOf(CONTRACT);
  await writeFile(path.join(dir, "sealed.parquet"), encodeLakeFile(sealed, { typedColumns: typed, rowGroupSize: 10 }));
  await writeFile(path.join(dir, "clear.parquet"), encodeLakeFile(clearRows, { rowGroupSize: 10 }));
  instance = await DuckDBInstance.create(":memory:");
  duck = await instance.connect();
});

afterAll(async () => {
  duck?.closeSync();
  await rm(dir, { recursive: true, force: true });
});

describe("an encrypted lake file", () => {
  it("is readable by DuckDB, which sees only sealed text in the encrypted columns", async () => {
    const file = path.join(dir, "sealed.parquet");
    const a = await duckdbAnswer(duck, `SELECT ssn, score, payload::VARCHAR AS p FROM read_parquet('${file}')`);
    expect(a.rows.length).toBe(40);
    expect(a.types.slice(0, 2)).toEqual(["VARCHAR", "VARCHAR"]);
    for (const [ssn, score, p] of a.rows) {
      expect(String(ssn)).toMatch(/^tenc1:key-u-[a-d]:/);
      expect(String(score)).toMatch(/^tenc1:/);
      expect(String(p)).not.toMatch(/SSN-\d/);
    }
  });

  it("answers a clear reader exactly as DuckDB answers over the same rows in clear", async () => {
    const policy = buildPolicy(true, new Map(), new Map([["signup", contractFields(CONTRACT)]]));
    const decrypt = async (sealed: string[]) => {
      const out = new Map<string, unknown>();
      for (const s of sealed) out.set(s, await openValue(keys.get(keyIdOf(s))?.key as CryptoKey, s));
      return out;
    };
    const catalog = { ...catalogOf("sealed.parquet"), guard: privacyGuard(policy, new Uint8Array(32), decrypt) };
    const tableColumns = { signup: [...TABLE_COLUMNS, ...typedColumnsOf(CONTRACT)] as never };
    const tarn = await tarnAnswer(
      catalog,
      "SELECT user_id, ssn, json_extract_string(payload, '$.ssn') AS p FROM signup ORDER BY event_id",
      { tableColumns },
    );
    const file = path.join(dir, "clear.parquet");
    const duckdb = await duckdbAnswer(
      duck,
      `SELECT user_id, json_extract_string(payload, '$.ssn') AS ssn, json_extract_string(payload, '$.ssn') AS p FROM read_parquet('${file}') ORDER BY event_id`,
    );
    expect(tarn.rows).toEqual(duckdb.rows);
  });

  it("reads NULL for a subject whose key is destroyed, and masks for a masked reader", async () => {
    const policy = buildPolicy(false, new Map(), new Map([["signup", contractFields(CONTRACT)]]));
    const decrypt = async (sealed: string[]) => {
      const out = new Map<string, unknown>();
      for (const s of sealed)
        out.set(s, keyIdOf(s) === "key-u-b" ? null : await openValue(keys.get(keyIdOf(s))?.key as CryptoKey, s));
      return out;
    };
    const catalog = { ...catalogOf("sealed.parquet"), guard: privacyGuard(policy, new Uint8Array(32), decrypt) };
    const tarn = await tarnAnswer(catalog, "SELECT user_id, ssn, email FROM signup ORDER BY event_id", {
      tableColumns: { signup: [...TABLE_COLUMNS, ...typedColumnsOf(CONTRACT)] as never },
    });
    for (const [user, ssn, email] of tarn.rows) {
      expect(ssn).toBe(user === "u-b" ? null : "***");
      expect(email).toMatch(/^[0-9a-f]{32}$/);
    }
  });
});

describe("locating a subject", () => {
  it("rules a file out by its row groups' user_id statistics", async () => {
    const metadata = await parquetMetadataAsync(await asyncBufferFromFile(path.join(dir, "clear.parquet")));
    expect(mayHoldSubject(metadata, "u-b")).toBe(true);
    expect(mayHoldSubject(metadata, "u-0")).toBe(false);
    expect(mayHoldSubject(metadata, "zz")).toBe(false);
  });

  it("rules files out by the footer's user id filter: never a false negative, about 1% false positives", async () => {
    const members = Array.from({ length: 3000 }, (_, i) => `user_${i.toString(36)}`);
    const text = userBloom(members) as string;
    for (const m of members) expect(bloomMayHold(text, m)).toBe(true);
    let positives = 0;
    for (let i = 0; i < 20_000; i++) if (bloomMayHold(text, `other_${i}`)) positives++;
    expect(positives / 20_000).toBeLessThan(0.03);
    expect(userBloom([null, null])).toBeNull();
    // The lake writer puts it in every file's footer: a user in range of min/max but absent is ruled out.
    const metadata = await parquetMetadataAsync(await asyncBufferFromFile(path.join(dir, "clear.parquet")));
    expect(metadata.key_value_metadata?.some((kv) => kv.key === "tarn.user_id.bloom")).toBe(true);
    expect(mayHoldSubject(metadata, "u-bb")).toBe(false);
    expect(mayHoldSubject(metadata, "u-c")).toBe(true);
  });

  it("hashes a receipt canonically (field order does not matter, content does)", async () => {
    const a = await receiptHash({ x: 1, y: "b" });
    expect(await receiptHash({ y: "b", x: 1 })).toBe(a);
    expect(await receiptHash({ x: 2, y: "b" })).not.toBe(a);
  });
});
