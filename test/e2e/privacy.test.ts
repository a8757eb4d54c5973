// Privacy end to end on a real `wrangler dev`: an admin classifies fields, an analyst sees masks, the
// raw files DuckDB reads hold only sealed text, an export opens it for the subject, and an erasure
// completes with a receipt leaving no row of the user at any snapshot.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { duckdbAnswer } from "../node/query-fixtures";
import { type DevServer, startDevServer } from "./server";

let server: DevServer;
let dir = "";

beforeAll(async () => {
  server = await startDevServer();
  dir = await mkdtemp(path.join(tmpdir(), "tarn-e2e-privacy-"));
});
afterAll(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

const SCHEMA = {
  type: "object",
  properties: {
    email: { type: "string", "x-pii": true, "x-mask": "partial" },
    ssn: { type: "string", "x-encrypt": true },
    plan: { type: "string" },
  },
};
const USERS = ["ann", "ben", "cat"];

async function until<T>(what: string, probe: () => Promise<T | null>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const got = await probe();
    if (got !== null) return got;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe("privacy on wrangler dev", () => {
  it("masks for an analyst, seals at rest, exports and erases a subject", async () => {
    const created = await server.api("/v1/projects", {
      method: "POST",
      token: server.adminKey,
      json: { name: "e2e-privacy" },
    });
    const { admin_key: admin, id: project } = (await created.json()) as { admin_key: string; id: string };
    expect(
      (await server.api("/v1/contracts/signup", { method: "PUT", token: admin, json: { schema: SCHEMA } })).status,
    ).toBe(201);
    const classify = await server.api("/v1/datasets/signup", {
      method: "PUT",
      token: admin,
      json: { columns: { user_id: { pii: true, mask: "hash" } } },
    });
    expect(classify.status).toBe(200);
    const events = USERS.flatMap((u) =>
      [0, 1].map((i) => ({
        eventType: "signup",
        eventId: `${u}-${i}`,
        userId: u,
        timestamp: new Date(Date.UTC(2026, 10, 20, 10, i)).toISOString(),
        data: { payload: { email: `${u}@example.com`, ssn: `SSN-${u}`, plan: "pro" } },
      })),
    );
    expect(await (await server.api("/v1/events", { method: "POST", token: admin, json: events })).json()).toMatchObject(
      {
        accepted: 6,
      },
    );
    const sql = async (token: string, text: string, extra: Record<string, unknown> = {}) =>
      server.api("/v1/query", { method: "POST", token, json: { sql: text, ...extra } });
    await until("events to land", async () => {
      const r = await sql(admin, "SELECT count(*) AS n FROM signup");
      return r.status === 200 && ((await r.json()) as { data: { n: number }[] }).data[0]?.n === 6 ? true : null;
    });

    // An analyst signs in and sees masks; the admin sees clear values.
    expect(
      (
        await server.api("/v1/users", {
          method: "POST",
          token: admin,
          json: { email: "ana@corp.test", password: "a long enough password", role: "analyst" },
        })
      ).status,
    ).toBe(201);
    const login = await server.api("/v1/auth/login", {
      method: "POST",
      json: { project, email: "ana@corp.test", password: "a long enough password" },
    });
    const { token: analyst } = (await login.json()) as { token: string };
    const text = "SELECT user_id, email, ssn, plan FROM signup ORDER BY event_id";
    const masked = (await (await sql(analyst, text)).json()) as { data: Record<string, unknown>[] };
    expect(masked.data[0]).toMatchObject({ email: "a***@example.com", ssn: "***", plan: "pro" });
    expect(masked.data[0]?.user_id).toMatch(/^[0-9a-f]{32}$/);
    const probe = await sql(analyst, "SELECT count(*) AS n FROM signup WHERE email = 'ann@example.com'");
    expect(((await probe.json()) as { data: { n: number }[] }).data[0]?.n).toBe(0);
    const clear = (await (await sql(admin, text)).json()) as { data: Record<string, unknown>[] };
    expect(clear.data[0]).toMatchObject({ user_id: "ann", email: "ann@example.com", ssn: "SSN-ann" });

    // The files hold the encrypted field sealed: DuckDB reads them and sees no clear value.
    const { files } = (await (await server.api("/v1/lake/files?dataset=signup", { token: admin })).json()) as {
      files: { key: string }[];
    };
    const paths: string[] = [];
    for (const [i, f] of files.entries()) {
      const res = await server.api(`/v1/lake/files/${f.key}`, { token: admin });
      const p = path.join(dir, `f${i}.parquet`);
      await writeFile(p, new Uint8Array(await res.arrayBuffer()));
      paths.push(p);
    }
    const instance = await DuckDBInstance.create(":memory:");
    const duck = await instance.connect();
    try {
      const raw = await duckdbAnswer(
        duck,
        `SELECT ssn, payload::VARCHAR FROM read_parquet([${paths.map((p) => `'${p}'`).join(", ")}], union_by_name = true)`,
      );
      expect(raw.rows.length).toBe(6);
      for (const [ssn, payload] of raw.rows) {
        expect(String(ssn)).toMatch(/^tenc1:/);
        expect(String(payload)).not.toContain("SSN-");
      }
    } finally {
      duck.closeSync();
    }

    // Export: every event of ben, decrypted, behind a signed link.
    const { id: exportId } = (await (
      await server.api("/v1/privacy/export", { method: "POST", token: admin, json: { user_id: "ben" } })
    ).json()) as { id: string };
    const url = await until("the export", async () => {
      const s = (await (await server.api(`/v1/privacy/export/${exportId}`, { token: admin })).json()) as {
        status: string;
        download_url: string | null;
      };
      return s.status === "completed" ? (s.download_url as string) : null;
    });
    const lines = (await (await fetch(url)).text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.eventId, l.data.payload.ssn])).toEqual([
      ["ben-0", "SSN-ben"],
      ["ben-1", "SSN-ben"],
    ]);

    // Erasure: keys at once, then the rows, with a receipt; no snapshot returns a row of ben.
    const erased = await server.api("/v1/privacy/erasure", { method: "POST", token: admin, json: { user_id: "ben" } });
    expect(erased.status).toBe(202);
    const { id } = (await erased.json()) as { id: string };
    const receipt = await until("the erasure", async () => {
      const s = (await (await server.api(`/v1/privacy/erasure/${id}`, { token: admin })).json()) as {
        status: string;
        receipt: Record<string, unknown> | null;
      };
      return s.status === "completed" ? s.receipt : null;
    });
    expect(receipt).toMatchObject({ user_id: "ben", rows_removed: 2, hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const { snapshots } = (await (await server.api("/v1/snapshots?limit=1000", { token: admin })).json()) as {
      snapshots: { id: number }[];
    };
    expect(snapshots.length).toBeGreaterThan(1);
    for (const { id: snapshot } of snapshots) {
      const r = await sql(admin, "SELECT count(*) AS n FROM events WHERE user_id = 'ben'", { snapshot });
      if (r.status === 410) continue;
      expect(r.status).toBe(200);
      expect(((await r.json()) as { data: { n: number }[] }).data[0]?.n).toBe(0);
    }
    const left = (await (await sql(admin, "SELECT user_id, ssn FROM signup ORDER BY event_id")).json()) as {
      data: Record<string, unknown>[];
    };
    expect(left.data.map((r) => r.user_id)).toEqual(["ann", "ann", "cat", "cat"]);
    expect(left.data.every((r) => r.ssn === `SSN-${r.user_id}`)).toBe(true);
  }, 180_000);
});
