// Bad input: every malformed file or request gets a clear 4xx or a failed job with its reason, and
// nothing partial is ever queryable.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { callWith } from "./access-helpers";
import { call, createProject, expectEnvelope } from "./helpers";
import { deliver, message, queued } from "./lake-helpers";
import { sql, uploadAndConvert, uploadFile } from "./uploads-helpers";

/** Uploads a file that must fail; returns the failed job's error after checking nothing was left behind. */
async function failure(query: string, body: BodyInit, headers: Record<string, string> = {}): Promise<string> {
  const p = await createProject("bad");
  const job = await uploadAndConvert(p.adminKey, query, body, headers);
  expect(job.status).toBe("failed");
  const name = new URLSearchParams(query).get("name") as string;
  const table = await sql(p.adminKey, `SELECT count(*) FROM ${name}`);
  expect(table.status).toBe(400);
  const left = await env.LAKE.list({ prefix: `lake/${p.id}/` });
  expect(left.objects).toEqual([]);
  const sources = await env.LAKE.list({ prefix: `uploads/${p.id}/` });
  expect(sources.objects).toEqual([]);
  return job.error as string;
}

describe("bad uploads", () => {
  it("fails a file whose bytes are not the declared format", async () => {
    expect(await failure("name=t&format=parquet", "a,b\n1,2\n")).toContain("not Parquet");
    expect(await failure("name=t&format=json", '{"a":1}\n{"a":2}\n')).toContain("format=ndjson");
  });

  it("refuses an empty file at once", async () => {
    const p = await createProject("bad");
    const res = await call("/v1/uploads?name=t&format=csv", { method: "POST", token: p.adminKey, body: "" });
    expect(res.status).toBe(400);
    expect((await expectEnvelope(res)).code).toBe("VALIDATION_ERROR");
  });

  it("fails a header-only CSV", async () => {
    expect(await failure("name=t&format=csv", "a,b,c\r\n")).toContain("header but no rows");
  });

  it("fails ragged rows with the line at fault", async () => {
    expect(await failure("name=t&format=csv", "a,b\n1,2\n3\n4,5\n")).toMatch(/1 field; the header has 2.*line 3/);
  });

  it("fails an unclosed quote with its line", async () => {
    expect(await failure("name=t&format=csv", 'a,b\n1,"open\n')).toMatch(/malformed CSV.*line/);
  });

  it("fails invalid UTF-8 with the line at fault", async () => {
    const bytes = new Uint8Array([...new TextEncoder().encode("a,b\n1,ok\n2,"), 0xc3, 0x28, 0x0a]);
    expect(await failure("name=t&format=csv", bytes)).toMatch(/UTF-8.*line 3/);
  });

  it("fails an NDJSON line that is not JSON with its number", async () => {
    expect(await failure("name=t&format=ndjson", '{"a":1}\n{"a":2}\n{"a":\n')).toMatch(/not JSON.*line 3/);
  });

  it("fails empty and duplicated column names with the column", async () => {
    expect(await failure("name=t&format=csv", "a,,c\n1,2,3\n")).toMatch(/empty.*column 2/);
    expect(await failure("name=t&format=csv", "id,name,ID\n1,2,3\n")).toMatch(/"ID" appears twice.*column 3/);
  });

  it("converts a 200-column CSV", async () => {
    const p = await createProject("wide");
    const header = Array.from({ length: 200 }, (_, i) => `c${i}`).join(",");
    const row = (k: number) => Array.from({ length: 200 }, (_, i) => i * k).join(",");
    const job = await uploadAndConvert(p.adminKey, "name=wide&format=csv", `${header}\n${row(1)}\n${row(2)}\n`);
    expect(job.status).toBe("succeeded");
    expect((await sql(p.adminKey, "SELECT sum(c199) AS s, count(*) AS n FROM wide")).data).toEqual([{ s: 597, n: 2 }]);
  });

  it("refuses a dataset name that is not an identifier or is an event type's", async () => {
    const p = await createProject("names");
    for (const name of ["1abc", "a-b", "order.created", "x".repeat(65)]) {
      const res = await call(`/v1/uploads?name=${encodeURIComponent(name)}&format=csv`, {
        method: "POST",
        token: p.adminKey,
        body: "a\n1\n",
      });
      expect(res.status).toBe(400);
    }
    await deliver([message(p.id, [queued(p.id, "e1", { event_type: "signup" })])]);
    const taken = await uploadFile(p.adminKey, "name=signup&format=csv", "a\n1\n");
    expect(taken.status).toBe(400);
    expect(JSON.stringify(taken.body)).toContain("event type");
    const events = await uploadFile(p.adminKey, "name=events&format=csv", "a\n1\n");
    expect(events.status).toBe(400);
  });

  it("refuses a file over the size cap with 413, keeping nothing", async () => {
    const p = await createProject("cap");
    for (const headers of [{}, { "Content-Encoding": "gzip" }] as Record<string, string>[]) {
      const res = await callWith({ UPLOAD_MAX_BYTES: "50" }, "/v1/uploads?name=big&format=csv", {
        method: "POST",
        token: p.adminKey,
        body: "a\n".repeat(100),
        headers,
      });
      expect(res.status).toBe(413);
      expect((await expectEnvelope(res)).code).toBe("PAYLOAD_TOO_LARGE");
    }
    expect((await env.LAKE.list({ prefix: `uploads/${p.id}/` })).objects).toEqual([]);
  });

  it("refuses a body without a format it can tell", async () => {
    const p = await createProject("fmt");
    const res = await call("/v1/uploads?name=t", { method: "POST", token: p.adminKey, body: "a\n1\n" });
    expect(res.status).toBe(400);
    expect((await expectEnvelope(res)).message).toContain("format");
  });

  it("needs the write permission", async () => {
    const p = await createProject("perm");
    const keyRes = await call("/v1/keys", {
      method: "POST",
      token: p.adminKey,
      json: { name: "q", scopes: ["query"] },
    });
    const { key } = (await keyRes.json()) as { key: string };
    const res = await call("/v1/uploads?name=t&format=csv", { method: "POST", token: key, body: "a\n1\n" });
    expect(res.status).toBe(403);
  });
});
