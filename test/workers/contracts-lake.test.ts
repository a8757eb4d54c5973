// The scenario through the real Worker, queue and lake: a contract rejects a bad event with
// its path, good events are queryable as typed columns, a fixed contract and a replay land the rest
// exactly once, and the catalog and lineage show it. Lineage events are checked against OpenLineage.json.

import { createExecutionContext, createMessageBatch, env } from "cloudflare:test";
import { Validator } from "@cfworker/json-schema";
import { describe, expect, it } from "vitest";
import { consumeDeadLetters } from "../../queues/dead-letters";
import { runJob } from "../../queues/jobs-consumer";
import { completeIngestHours } from "../../services/lineage/record";
import openLineageSchema from "../fixtures/openlineage/OpenLineage.json";
import { call, createKey, createProject } from "./helpers";
import { deliver, message, queued } from "./lake-helpers";
import { eventually } from "./live-helpers";

const ORDER_V1 = {
  type: "object",
  required: ["orderId", "totalAmount", "currency"],
  properties: {
    orderId: { type: "string", description: "The order number" },
    totalAmount: { type: "number", minimum: 0, "x-classification": "confidential" },
    quantity: { type: "integer" },
    currency: { type: "string" },
    placedAt: { type: "string", format: "date-time" },
    gift: { type: "boolean" },
    email: { type: "string", "x-pii": true, "x-mask": "hash" },
  },
};
// The fix: currency becomes optional (a backward change).
const ORDER_V2 = { ...ORDER_V1, required: ["orderId", "totalAmount"] };

interface Answer {
  meta: { name: string; type: string }[];
  data: Record<string, unknown>[];
}

async function setup() {
  const project = await createProject("lakecontracts");
  // The scenario reads the confidential totalAmount in clear: that takes the unmask permission (admin scope).
  const { key } = await createKey(project.adminKey, ["admin"]);
  return { ...project, key };
}

async function sql(token: string, text: string): Promise<Answer> {
  const res = await call("/v1/query", { method: "POST", token, json: { sql: text } });
  const body = await res.json();
  if (res.status !== 200) throw new Error(`${res.status} ${JSON.stringify(body)}`);
  return body as Answer;
}

async function countOf(token: string, where = "TRUE"): Promise<number> {
  try {
    const a = await sql(token, `SELECT count(*) AS n FROM "order.created" WHERE ${where}`);
    return Number(a.data[0]?.n ?? 0);
  } catch (err) {
    if (String(err).includes("does not exist")) return 0;
    throw err;
  }
}

async function landed(token: string, n: number, where = "TRUE"): Promise<void> {
  await eventually(async () => expect(await countOf(token, where)).toBe(n), 15_000);
}

const order = (id: string, payload: Record<string, unknown>) => ({
  eventType: "order.created",
  eventId: id,
  timestamp: "2026-11-20T10:00:00.000Z",
  data: { payload },
});

const post = async (token: string, events: unknown[]) => {
  const res = await call("/v1/events", { method: "POST", token, json: events });
  expect(res.status).toBe(202);
  return (await res.json()) as { accepted: number; rejected: number; errors: Record<string, unknown>[] };
};

const replay = async (token: string, body: unknown) => {
  const res = await call("/v1/quarantine/replay", { method: "POST", token, json: body });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
};

describe("contracts in the lake", () => {
  it("rejects with the path, lands typed columns, replays the fixed rest exactly once, and shows it in the catalog and lineage", async () => {
    const p = await setup();
    expect(
      (
        await call("/v1/contracts/order.created", {
          method: "PUT",
          token: p.adminKey,
          json: { schema: ORDER_V1, owner: "orders", description: "Orders placed" },
        })
      ).status,
    ).toBe(201);

    const receipt = await post(p.key, [
      order("o-1", {
        orderId: "o-1",
        totalAmount: 19.5,
        quantity: 2,
        currency: "EUR",
        placedAt: "2026-11-20T09:59:00.000Z",
        gift: true,
        email: "a@x.io",
      }),
      order("o-2", { orderId: "o-2", totalAmount: "12", currency: "EUR" }),
      order("o-3", { orderId: "o-3", totalAmount: 5, quantity: 1 }),
      order("o-4", { orderId: "o-4", totalAmount: 7.25, quantity: 3, currency: "USD", gift: false }),
    ]);
    expect(receipt).toMatchObject({ accepted: 2, rejected: 2 });
    expect(receipt.errors.map((e) => e.details)).toEqual([
      { path: "/totalAmount", keyword: "type", contract_version: 1 },
      { path: "/currency", keyword: "required", contract_version: 1 },
    ]);

    await landed(p.key, 2);
    const typed = await sql(
      p.key,
      'SELECT orderId, totalAmount, quantity, currency, placedAt, gift FROM "order.created" ORDER BY orderId',
    );
    expect(typed.meta).toEqual([
      { name: "orderId", type: "VARCHAR" },
      { name: "totalAmount", type: "DOUBLE" },
      { name: "quantity", type: "BIGINT" },
      { name: "currency", type: "VARCHAR" },
      { name: "placedAt", type: "TIMESTAMP" },
      { name: "gift", type: "BOOLEAN" },
    ]);
    expect(typed.data).toEqual([
      {
        orderId: "o-1",
        totalAmount: 19.5,
        quantity: 2,
        currency: "EUR",
        placedAt: "2026-11-20T09:59:00.000Z",
        gift: true,
      },
      { orderId: "o-4", totalAmount: 7.25, quantity: 3, currency: "USD", placedAt: null, gift: false },
    ]);
    const sum = await sql(p.key, 'SELECT sum(totalAmount) AS total FROM "order.created" WHERE gift = false');
    expect(sum.data).toEqual([{ total: 7.25 }]);

    // Fix the contract and replay the quarantine: o-3 now passes, o-2 still violates.
    const fixed = await call("/v1/contracts/order.created", {
      method: "PUT",
      token: p.adminKey,
      json: { schema: ORDER_V2 },
    });
    expect(await fixed.json()).toMatchObject({ version: 2, compatibility: "backward" });
    const first = await replay(p.adminKey, { event_type: "order.created" });
    expect(first).toMatchObject({ replayed: 2, accepted: 1, rejected: 1, already_replayed: 0, more: false });
    expect((first.errors as Record<string, unknown>[])[0]).toMatchObject({
      code: "CONTRACT_VIOLATION",
      details: { path: "/totalAmount", keyword: "type", contract_version: 2 },
    });
    await landed(p.key, 3);
    expect(await countOf(p.key, "event_id = 'o-3'")).toBe(1);

    // Every entry shows when and with what outcome it was replayed.
    const page = (await (await call("/v1/quarantine", { token: p.adminKey })).json()) as {
      events: { id: string; event_id: string; replay_outcome: string | null; replayed_at: string | null }[];
    };
    const byId = new Map(page.events.map((e) => [e.event_id, e]));
    expect(byId.get("o-3")).toMatchObject({ replay_outcome: "accepted" });
    expect(byId.get("o-2")).toMatchObject({ replay_outcome: "rejected" });
    expect(byId.get("o-3")?.replayed_at).toEqual(expect.any(String));

    // Replaying the same entries again lands nothing new, by id or by range.
    const again = await replay(p.adminKey, { ids: page.events.map((e) => e.id) });
    expect(again).toMatchObject({ already_replayed: 1, replayed: 1, accepted: 0, rejected: 1 });
    const byRange = await replay(p.adminKey, { event_type: "order.created", from: "2000-01-01T00:00:00Z" });
    expect(byRange).toMatchObject({ accepted: 0 });
    await new Promise((r) => setTimeout(r, 1500));
    expect(await countOf(p.key)).toBe(3);

    // /v1/datasets shows the typed columns.
    const datasets = (await (await call("/v1/datasets", { token: p.key })).json()) as {
      datasets: { name: string; columns: { name: string; type: string }[] }[];
    };
    const ds = datasets.datasets.find((d) => d.name === "order.created");
    expect(ds?.columns.slice(-7)).toEqual([
      { name: "orderId", type: "VARCHAR" },
      { name: "totalAmount", type: "DOUBLE" },
      { name: "quantity", type: "BIGINT" },
      { name: "currency", type: "VARCHAR" },
      { name: "placedAt", type: "TIMESTAMP" },
      { name: "gift", type: "BOOLEAN" },
      { name: "email", type: "VARCHAR" },
    ]);

    // The catalog and glossary.
    const term = await call(`/v1/glossary/${encodeURIComponent("Order value")}`, {
      method: "PUT",
      token: p.adminKey,
      json: { definition: "What the customer pays, tax included", links: ["order.created.totalAmount"] },
    });
    expect(term.status).toBe(200);
    const catalog = (await (await call("/v1/catalog", { token: p.key })).json()) as {
      datasets: Record<string, unknown>[];
    };
    const entry = catalog.datasets.find((d) => d.name === "order.created") as Record<string, unknown>;
    expect(entry).toMatchObject({
      kind: "events",
      description: "Orders placed",
      owner: "orders",
      classification: "confidential",
      contract_version: 2,
      rows: 3,
      glossary: ["Order value"],
    });
    expect(entry.last_updated).toEqual(expect.any(String));
    expect((entry.columns as Record<string, unknown>[]).find((c) => c.name === "totalAmount")).toMatchObject({
      type: "DOUBLE",
      classification: "confidential",
      pii: false,
    });
    expect((entry.columns as Record<string, unknown>[]).find((c) => c.name === "email")).toMatchObject({
      pii: true,
      masked_for_you: false,
    });
    const glossary = (await (await call("/v1/glossary", { token: p.key })).json()) as { terms: unknown[] };
    expect(glossary.terms).toEqual([
      expect.objectContaining({ term: "Order value", links: ["order.created.totalAmount"] }),
    ]);

    // Lineage: the ingest hour's run into order.created and the replay from the quarantine, all valid OpenLineage.
    const lineage = await eventually(async () => {
      const l = (await (await call("/v1/lineage?dataset=order.created", { token: p.key })).json()) as {
        events: { eventType: string; job: { name: string }; inputs: { name: string }[]; outputs: { name: string }[] }[];
        graph: { nodes: { id: string }[]; edges: { from: string; to: string }[] };
      };
      expect(l.events.some((e) => e.job.name === "quarantine.replay" && e.eventType === "COMPLETE")).toBe(true);
      return l;
    });
    const validator = new Validator(openLineageSchema as never, "2020-12", false);
    for (const e of lineage.events) expect(validator.validate(e).errors).toEqual([]);
    expect(lineage.events.filter((e) => e.job.name === "ingest" && e.eventType === "START")).toHaveLength(1);
    expect(lineage.graph.edges).toEqual(
      expect.arrayContaining([
        { from: "job:ingest", to: "dataset:order.created" },
        { from: "dataset:quarantine", to: "job:quarantine.replay" },
        { from: "job:quarantine.replay", to: "dataset:order.created" },
      ]),
    );
  });

  it("lands an event once when its replay races a producer sending the same id", async () => {
    const p = await setup();
    await call("/v1/contracts/order.created", { method: "PUT", token: p.adminKey, json: { schema: ORDER_V1 } });
    const bad = Array.from({ length: 20 }, (_, i) => order(`r-${i}`, { orderId: `r-${i}`, totalAmount: 1 }));
    expect((await post(p.key, bad)).rejected).toBe(20);
    await call("/v1/contracts/order.created", { method: "PUT", token: p.adminKey, json: { schema: ORDER_V2 } });
    // The producer retries the same events (now valid) while an admin replays the quarantine.
    const [, replayed] = await Promise.all([post(p.key, bad), replay(p.adminKey, { event_type: "order.created" })]);
    expect(replayed).toMatchObject({ accepted: 20 });
    await landed(p.key, 20);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await countOf(p.key)).toBe(20);
    const perId = await sql(p.key, 'SELECT count(DISTINCT event_id) AS ids, count(*) AS n FROM "order.created"');
    expect(perId.data).toEqual([{ ids: 20, n: 20 }]);
  });

  it("redrives a dead-lettered events message exactly once", async () => {
    const p = await setup();
    const body = JSON.stringify({
      v: 1,
      project: p.id,
      request_id: "req-dlq",
      events: [1, 2, 3].map((i) => ({
        event_id: `d-${i}`,
        event_type: "order.created",
        ts: Date.UTC(2026, 10, 20, 10),
        received_at: Date.UTC(2026, 10, 20, 10),
        user_id: null,
        session_id: null,
        correlation_id: null,
        source: null,
        version: null,
        environment: null,
        region: null,
        request_id: "req-dlq",
        country: null,
        colo: null,
        payload: JSON.stringify({ orderId: `d-${i}` }),
        metadata: null,
      })),
    });
    const batch = createMessageBatch("tarn-events-dlq", [
      { id: `dead-${p.id}`, timestamp: new Date(), attempts: 6, body },
    ]);
    await consumeDeadLetters(batch, env);
    createExecutionContext();
    const list = (await (await call("/v1/dead-letters", { token: p.adminKey })).json()) as {
      dead_letters: { id: string }[];
    };
    const id = list.dead_letters[0]?.id as string;
    const [a, b] = await Promise.all(
      [0, 1].map(async () => {
        const res = await call("/v1/dead-letters/redrive", { method: "POST", token: p.adminKey, json: { ids: [id] } });
        return (await res.json()) as { redriven: number; errors: unknown[] };
      }),
    );
    expect((a?.redriven ?? 0) + (b?.redriven ?? 0)).toBe(1);
    await landed(p.key, 3);
    const third = await call("/v1/dead-letters/redrive", { method: "POST", token: p.adminKey, json: { ids: [id] } });
    expect(await third.json()).toMatchObject({
      redriven: 0,
      errors: [{ id, message: expect.stringMatching(/already redriven/) }],
    });
    await new Promise((r) => setTimeout(r, 1000));
    expect(await countOf(p.key)).toBe(3);
  });

  it("keeps typed columns through compaction across contract versions, and records the compaction's lineage", async () => {
    const p = await setup();
    const put = (schema: unknown) =>
      call("/v1/contracts/evo", { method: "PUT", token: p.adminKey, json: { schema }, headers: {} });
    const v1 = { type: "object", properties: { amount: { type: "integer" } } };
    const v2 = { type: "object", properties: { amount: { type: "number" }, note: { type: "string" } } };
    const ts = Date.UTC(2026, 10, 20, 10);
    const ev = (id: string, payload: unknown) =>
      queued(p.id, id, { event_type: "evo", ts, payload: JSON.stringify(payload) });
    expect((await put(v1)).status).toBe(201);
    await deliver([message(p.id, [ev("a1", { amount: 1 }), ev("a2", { amount: 2 })])]);
    expect((await put(v2)).status).toBe(201);
    await deliver([message(p.id, [ev("b1", { amount: 2.5, note: "x" })])]);
    const q = "SELECT event_id, amount, note FROM evo ORDER BY event_id";
    const expected = [
      { event_id: "a1", amount: 1, note: null },
      { event_id: "a2", amount: 2, note: null },
      { event_id: "b1", amount: 2.5, note: "x" },
    ];
    const before = await sql(p.key, q);
    expect(before.meta.slice(1)).toEqual([
      { name: "amount", type: "DOUBLE" },
      { name: "note", type: "VARCHAR" },
    ]);
    expect(before.data).toEqual(expected);

    const id = `job_${crypto.randomUUID().slice(0, 8)}`;
    await env.DB.prepare(
      "INSERT INTO jobs (id, type, project_id, params, status) VALUES (?, 'compact', ?, '{}', 'queued')",
    )
      .bind(id, p.id)
      .run();
    expect(await runJob(env, id)).toBe("done");
    const layers = await env.DB.prepare(
      "SELECT layer FROM lake_files WHERE project_id = ? AND removed_snapshot IS NULL",
    )
      .bind(p.id)
      .all<{ layer: string }>();
    expect(layers.results.map((r) => r.layer)).toEqual(["silver"]);
    expect((await sql(p.key, q)).data).toEqual(expected);

    const rollupJob = `job_${crypto.randomUUID().slice(0, 8)}`;
    await env.DB.prepare(
      "INSERT INTO jobs (id, type, project_id, params, status) VALUES (?, 'rollup', ?, '{}', 'queued')",
    )
      .bind(rollupJob, p.id)
      .run();
    expect(await runJob(env, rollupJob)).toBe("done");

    const lineage = (await (await call("/v1/lineage?dataset=evo", { token: p.key })).json()) as {
      events: {
        eventType: string;
        job: { name: string };
        inputs: { name: string }[];
        outputs: Record<string, unknown>[];
      }[];
    };
    const compaction = lineage.events.filter((e) => e.job.name === "compaction");
    expect(compaction.map((e) => e.eventType)).toEqual(["START", "COMPLETE"]);
    expect(compaction[1]?.inputs).toEqual([{ namespace: `tarn://${p.id}`, name: "evo" }]);
    expect(compaction[1]?.outputs[0]).toMatchObject({
      name: "evo",
      outputFacets: { outputStatistics: { rowCount: 3, fileCount: 1 } },
    });
    const rollup = lineage.events.filter((e) => e.job.name === "rollup");
    expect(rollup.map((e) => e.eventType)).toEqual(["START", "COMPLETE"]);
    expect(rollup[1]?.outputs[0]).toMatchObject({ name: "rollups" });
    const validator = new Validator(openLineageSchema as never, "2020-12", false);
    for (const e of lineage.events) expect(validator.validate(e).errors).toEqual([]);
  });

  it("completes an ingest hour's run with its row and file counts once the hour is over", async () => {
    const p = await setup();
    const ts = Date.UTC(2026, 10, 20, 10);
    await deliver([
      message(
        p.id,
        [1, 2, 3].map((i) => queued(p.id, `h${i}`, { event_type: "hourly", ts })),
      ),
    ]);
    await deliver([
      message(
        p.id,
        [4, 5].map((i) => queued(p.id, `h${i}`, { event_type: "hourly", ts })),
      ),
    ]);
    const read = async () =>
      (
        (await (await call("/v1/lineage?dataset=hourly", { token: p.key })).json()) as {
          events: { eventType: string; run: { runId: string }; outputs: Record<string, unknown>[] }[];
        }
      ).events;
    expect((await read()).map((e) => e.eventType)).toEqual(["START"]);
    // The hourly cron, an hour later.
    await completeIngestHours(env.DB, new Date(Date.now() + 3_600_000));
    const events = await read();
    expect(events.map((e) => e.eventType)).toEqual(["START", "COMPLETE"]);
    expect(events[1]?.run.runId).toBe(events[0]?.run.runId);
    expect(events[1]?.outputs[0]).toMatchObject({
      name: "hourly",
      outputFacets: { outputStatistics: { rowCount: 5, fileCount: 2 } },
    });
    const validator = new Validator(openLineageSchema as never, "2020-12", false);
    for (const e of events) expect(validator.validate(e).errors).toEqual([]);
    // Completing again adds nothing.
    await completeIngestHours(env.DB, new Date(Date.now() + 3_600_000));
    expect(await read()).toHaveLength(2);
  });
});
