// Analytics with AI on a real `wrangler dev`, its LLM a real local OpenAI-compatible server
// (test/e2e/fake-llm.ts): validated SQL, the repair round, refusals with nothing run, degraded
// explanations, caching, the circuit breaker in /metrics and /ready, insights on planted data,
// and models trained through the jobs queue.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeLlm, startFakeLlm } from "./fake-llm";
import { type DevServer, startDevServer } from "./server";

let llm: FakeLlm;
let server: DevServer;
let admin = "";
let otherAdmin = "";

const START = Date.UTC(2026, 10, 10);
const HOUR = 3600_000;
const SPIKE_HOUR = 30;
const CHANNEL_EFFECT: Record<string, number> = { web: 0, app: 7, store: -3 };

/** 48 hours of orders: a count rising by one every two hours, 200 orders in hour 30, amount = 5·quantity + channel + noise. */
function plantedOrders() {
  const events: object[] = [];
  let seed = 7;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  for (let h = 0; h < 48; h++) {
    const n = h === SPIKE_HOUR ? 200 : 20 + Math.floor(h / 2);
    for (let i = 0; i < n; i++) {
      const quantity = 1 + Math.floor(random() * 10);
      const channel = ["web", "app", "store"][Math.floor(random() * 3)] as string;
      events.push({
        eventType: "order.created",
        eventId: `o-${h}-${i}`,
        userId: `u${Math.floor(random() * 40)}`,
        timestamp: new Date(START + h * HOUR + Math.floor((i * HOUR) / n)).toISOString(),
        data: {
          payload: {
            quantity,
            channel,
            amount: 5 * quantity + (CHANNEL_EFFECT[channel] as number) + 10 + (random() - 0.5) * 0.2,
            size: quantity > 5 ? "big" : "small",
          },
        },
      });
    }
  }
  return events;
}

async function json<T>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

async function ask(question: string, dataset?: string) {
  return server.api("/v1/query/natural", { method: "POST", token: admin, json: { question, dataset } });
}

async function waitForRows(token: string, sql: string, expected: number) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const q = await server.api("/v1/query", { method: "POST", token, json: { sql } });
    const n = q.status === 200 ? Number((await json<{ data: { n: number }[] }>(q)).data[0]?.n) : 0;
    if (n === expected) return;
    if (Date.now() > deadline) throw new Error(`only ${n} of ${expected} events landed`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

const SQL_REPLY = (sql: string) => ({
  reply: `Here is the query:\n\`\`\`sql\n${sql};\n\`\`\`\nIt answers the question.`,
});

beforeAll(async () => {
  llm = await startFakeLlm();
  server = await startDevServer([
    "--var",
    `LLM_BASE_URL:${llm.url}`,
    "--var",
    "LLM_MODEL:fake-analyst-1",
    "--var",
    "LLM_TIMEOUT_MS:1500",
    // Training slices this short make a classifier checkpoint and continue over several jobs.
    "--var",
    "TRAIN_SLICE_MS:40",
  ]);
  const created = await server.api("/v1/projects", {
    method: "POST",
    token: server.adminKey,
    json: { name: "e2e-ai" },
  });
  admin = (await json<{ admin_key: string }>(created)).admin_key;
  const other = await server.api("/v1/projects", {
    method: "POST",
    token: server.adminKey,
    json: { name: "e2e-ai-other" },
  });
  otherAdmin = (await json<{ admin_key: string }>(other)).admin_key;
  const schema = {
    type: "object",
    properties: {
      quantity: { type: "integer" },
      channel: { type: "string" },
      amount: { type: "number" },
      size: { type: "string" },
    },
  };
  expect(
    (await server.api("/v1/contracts/order.created", { method: "PUT", token: admin, json: { schema } })).status,
  ).toBe(201);
  const events = plantedOrders();
  const res = await server.api("/v1/events", { method: "POST", token: admin, json: events });
  expect(await json(res)).toMatchObject({ accepted: events.length, rejected: 0 });
  await server.api("/v1/events", {
    method: "POST",
    token: otherAdmin,
    json: [{ eventType: "secret.salary", timestamp: new Date(START).toISOString(), data: { payload: { pay: 1 } } }],
  });
  await waitForRows(admin, 'SELECT count(*) AS n FROM "order.created"', events.length);
  await waitForRows(otherAdmin, 'SELECT count(*) AS n FROM "secret.salary"', 1);
}, 180_000);

afterAll(async () => {
  await server?.stop();
  await llm?.stop();
});

type Natural = {
  sql: string;
  data: Record<string, unknown>[];
  rows: number;
  explanation: string | null;
  model: string;
  cached: boolean;
  degraded: boolean;
};
type ErrorBody = { error: { code: string; details: Record<string, unknown> } };

describe("POST /v1/insights with a model", () => {
  it("lets the model word the summary and recommendations from the computed findings", async () => {
    llm.requests.length = 0;
    llm.script({
      reply:
        'Here you go: {"summary": "Orders rose steadily, with one burst on the second day.", "recommendations": ["Check what drove the burst at hour 30."]}',
    });
    const res = await server.api("/v1/insights", {
      method: "POST",
      token: admin,
      json: {
        dataset: "order.created",
        from: new Date(START).toISOString(),
        to: new Date(START + 48 * HOUR).toISOString(),
      },
    });
    const body = await json<Insights & { model: string | null }>(res);
    expect(body).toMatchObject({
      summary: "Orders rose steadily, with one burst on the second day.",
      recommendations: ["Check what drove the burst at hour 30."],
      model: "fake-analyst-1",
      degraded: false,
    });
    // The model saw the statistics, not raw rows.
    const findings = llm.requests[0]?.messages.at(-1)?.content ?? "";
    expect(findings).toContain("events per hour");
    expect(findings).toContain('"expected_range"');
    expect(body.anomalies.some((a) => a.value === 200)).toBe(true);
  });
});

describe("POST /v1/query/natural", () => {
  it("answers a principal bound by a row-level policy with only the rows it may see", async () => {
    const email = `web-analyst-${Date.now()}@example.com`;
    const user = await json<{ id: string }>(
      await server.api("/v1/users", {
        method: "POST",
        token: admin,
        json: { email, password: "correct horse battery", role: "analyst" },
      }),
    );
    await server.api(`/v1/users/${user.id}`, {
      method: "PATCH",
      token: admin,
      json: { attributes: { channel: "web" } },
    });
    const policy = await server.api("/v1/policies/by-channel", {
      method: "PUT",
      token: admin,
      json: {
        dataset: "order.created",
        applies_to: { users: [email] },
        filter: "channel = current_user_attribute('channel')",
      },
    });
    expect(policy.status).toBe(201);
    const login = await server.api("/v1/auth/login", {
      method: "POST",
      json: { project: "e2e-ai", email, password: "correct horse battery" },
    });
    const { token } = await json<{ token: string }>(login);
    const sql = 'SELECT channel, count(*) AS n FROM "order.created" GROUP BY channel ORDER BY channel';
    llm.script(SQL_REPLY(sql), { reply: "Only web orders." });
    const res = await server.api("/v1/query/natural", {
      method: "POST",
      token,
      json: { question: "Orders per channel, for my channel?", dataset: "order.created" },
    });
    expect(res.status).toBe(200);
    const body = await json<Natural>(res);
    const all = await json<{ data: { channel: string; n: number }[] }>(
      await server.api("/v1/query", { method: "POST", token: admin, json: { sql } }),
    );
    expect(all.data.length).toBeGreaterThan(1);
    expect(body.data).toEqual(all.data.filter((r) => r.channel === "web"));
    await server.api("/v1/policies/by-channel", { method: "DELETE", token: admin });
  });

  it("answers with validated SQL, its rows and the model's explanation, from a prompt with the catalog and no values", async () => {
    llm.requests.length = 0;
    llm.script(SQL_REPLY('SELECT channel, count(*) AS n FROM "order.created" GROUP BY channel ORDER BY channel'), {
      reply: "Web, app and store orders are about even.",
    });
    const res = await ask("How many orders per channel?", "order.created");
    expect(res.status).toBe(200);
    const body = await json<Natural>(res);
    const direct = await json<{ data: Record<string, unknown>[] }>(
      await server.api("/v1/query", {
        method: "POST",
        token: admin,
        json: { sql: 'SELECT channel, count(*) AS n FROM "order.created" GROUP BY channel ORDER BY channel' },
      }),
    );
    expect(body).toMatchObject({
      sql: 'SELECT channel, count(*) AS n FROM "order.created" GROUP BY channel ORDER BY channel',
      rows: 3,
      explanation: "Web, app and store orders are about even.",
      model: "fake-analyst-1",
      cached: false,
      degraded: false,
    });
    expect(body.data).toEqual(direct.data);
    const system = llm.requests[0]?.messages[0]?.content ?? "";
    expect(system).toContain('TABLE "order.created"');
    expect(system).toContain("amount DOUBLE");
    expect(system).not.toContain("secret.salary");
    // No value of the data is in the prompt: not a channel name, not a user id.
    expect(system).not.toMatch(/\bweb\b|\bu1\b/);
    expect(llm.requests[0]?.model).toBe("fake-analyst-1");
  });

  it("serves the same question from its cache without asking the model again", async () => {
    const before = llm.requests.length;
    const res = await ask("How many orders per channel?", "order.created");
    expect(await json<Natural>(res)).toMatchObject({ cached: true, rows: 3 });
    expect(llm.requests.length).toBe(before);
  });

  it("gives the model one repair round with the validator's error", async () => {
    llm.requests.length = 0;
    llm.script(
      SQL_REPLY('SELECT sum(price) AS total FROM "order.created"'),
      SQL_REPLY('SELECT sum(amount) AS total FROM "order.created"'),
      { reply: "Total revenue." },
    );
    const res = await ask("What is the total revenue?");
    expect(res.status).toBe(200);
    expect(await json<Natural>(res)).toMatchObject({
      sql: 'SELECT sum(amount) AS total FROM "order.created"',
      rows: 1,
    });
    const repair = llm.requests[1]?.messages.at(-1)?.content ?? "";
    expect(repair).toMatch(/price/);
  });

  it.each([
    ["a DROP", "DROP TABLE events", "DELETE FROM events"],
    ["another project's table", 'SELECT * FROM "secret.salary"', 'SELECT pay FROM "secret.salary"'],
    ["a table function", "SELECT * FROM read_parquet('s3://tarn-lake/x.parquet')", "SELECT 1; DROP TABLE events"],
  ])("refuses %s twice with 422 INVALID_SQL and runs nothing", async (_name, first, second) => {
    llm.requests.length = 0;
    llm.script(SQL_REPLY(first), SQL_REPLY(second));
    const res = await ask(`question ${first}`);
    expect(res.status).toBe(422);
    const body = await json<ErrorBody>(res);
    expect(body.error.code).toBe("INVALID_SQL");
    expect(body.error.details.sql).toBe(second);
    expect((body.error.details.errors as string[]).length).toBeGreaterThan(0);
    // Two model calls (the answer and its repair) and no explanation: nothing ran.
    expect(llm.requests).toHaveLength(2);
  });

  it("returns the rows with explanation null and degraded true when only the explanation fails", async () => {
    llm.script(
      SQL_REPLY('SELECT count(*) AS n FROM "order.created" WHERE quantity > 5'),
      { status: 500 },
      { status: 500 },
    );
    const res = await ask("How many big orders?");
    expect(res.status).toBe(200);
    const body = await json<Natural>(res);
    expect(body).toMatchObject({ explanation: null, degraded: true, rows: 1 });
    expect(Number(body.data[0]?.n)).toBeGreaterThan(0);
  });

  it("answers 503 llm_unavailable when the model hangs past its timeout (and its one retry)", async () => {
    llm.script({ hang: true }, { hang: true });
    const started = Date.now();
    const res = await ask("Anything?");
    expect(res.status).toBe(503);
    expect((await json<ErrorBody>(res)).error.details.reason).toBe("llm_unavailable");
    expect(res.headers.get("Retry-After")).toMatch(/^\d+$/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("opens the breaker after 5 failing calls: then 503 at once without calling, shown in /metrics and /ready", async () => {
    // A success first, so the count starts from zero.
    llm.script(SQL_REPLY('SELECT count(*) AS n FROM "order.created"'), { reply: "ok" });
    expect((await ask("reset the breaker")).status).toBe(200);
    llm.fallback({ status: 503 });
    const before = llm.requests.length;
    for (let i = 0; i < 5; i++) {
      const res = await ask(`failing question ${i}`);
      expect(res.status).toBe(503);
    }
    const calls = llm.requests.length;
    // Each failing call is one request and its one retry.
    expect(calls - before).toBe(10);
    const refused = await ask("one more");
    expect(refused.status).toBe(503);
    expect((await json<ErrorBody>(refused)).error.details.reason).toBe("llm_unavailable");
    expect(Number(refused.headers.get("Retry-After"))).toBeGreaterThan(30);
    expect(llm.requests.length).toBe(calls);

    const metrics = await (await server.api("/metrics", { token: admin })).text();
    expect(metrics).toMatch(/tarn_circuit_breaker_state\{breaker="llm"\} 2/);
    expect(metrics).toMatch(/tarn_circuit_breaker_transitions_total\{breaker="llm",state="open"\} [1-9]/);
    const ready = await json<{ breakers: { name: string; state: string }[] }>(await server.api("/ready"));
    expect(ready.breakers.find((b) => b.name === "llm")?.state).toBe("open");
  });
});

type Insights = {
  anomalies: { column: string; value: number; at: string; severity: string; expected_range: [number, number] }[];
  trends: { metric: string; direction: string; change_percent: number }[];
  recommendations: string[];
  summary: string;
  generated_in_ms: number;
  degraded: boolean;
};

describe("POST /v1/insights", () => {
  it("finds the planted spike and the rising trend; templated words while the model is unavailable", async () => {
    const res = await server.api("/v1/insights", {
      method: "POST",
      token: admin,
      json: {
        dataset: "order.created",
        from: new Date(START).toISOString(),
        to: new Date(START + 48 * HOUR).toISOString(),
      },
    });
    expect(res.status).toBe(200);
    const body = await json<Insights>(res);
    const spike = body.anomalies.find((a) => a.column === "events per hour");
    expect(spike).toMatchObject({
      value: 200,
      at: new Date(START + SPIKE_HOUR * HOUR).toISOString(),
      severity: "high",
    });
    expect(spike?.expected_range[1]).toBeLessThan(200);
    expect(body.trends.length).toBeGreaterThanOrEqual(3);
    // Without the spike the count rises from 20 to 43 an hour; the fitted line (spike included) rises too.
    expect(body.trends.find((t) => t.metric === "events per hour")?.direction).toBe("up");
    expect(body.recommendations.length).toBeGreaterThanOrEqual(1);
    expect(body.summary).toContain("order.created");
    expect(body.degraded).toBe(true);
    expect(body.generated_in_ms).toBeLessThan(5000);
  });
});

type Model = {
  model_id: string;
  status: string;
  metrics: Record<string, number> | null;
  problem_type: string;
  features: string[];
  target_column: string;
  training_time_seconds: number | null;
  error: string | null;
};

async function trained(modelId: string): Promise<Model> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const m = await json<Model>(await server.api(`/v1/ml/models/${modelId}`, { token: admin }));
    if (m.status !== "training") return m;
    if (Date.now() > deadline) throw new Error("the model did not finish training");
    await new Promise((r) => setTimeout(r, 300));
  }
}

describe("models", () => {
  it("trains a regression with a one-hot feature through the jobs queue and predicts within tolerance", async () => {
    const res = await server.api("/v1/ml/train", {
      method: "POST",
      token: admin,
      json: {
        dataset: "order.created",
        target_column: "amount",
        problem_type: "regression",
        features: ["quantity", "channel"],
      },
    });
    expect(res.status).toBe(202);
    const { model_id, job_id } = await json<{ model_id: string; job_id: string }>(res);
    const model = await trained(model_id);
    expect(model).toMatchObject({ status: "ready", problem_type: "regression", target_column: "amount" });
    expect(model.metrics?.r2).toBeGreaterThan(0.999);
    expect(model.metrics?.rmse).toBeLessThan(0.1);
    expect(model.training_time_seconds).toBeGreaterThanOrEqual(0);
    const job = await json<{ status: string }>(await server.api(`/v1/jobs/${job_id}`, { token: admin }));
    expect(job.status).toBe("succeeded");
    const p = await json<{ prediction: number; confidence: null }>(
      await server.api("/v1/ml/predict", {
        method: "POST",
        token: admin,
        json: { model_id, features: { quantity: 4, channel: "app" } },
      }),
    );
    expect(Math.abs(p.prediction - (5 * 4 + 7 + 10))).toBeLessThan(0.1);
    expect(p.confidence).toBeNull();
    const list = await json<{ models: Model[] }>(await server.api("/v1/ml/models", { token: admin }));
    expect(list.models.map((m) => m.model_id)).toContain(model_id);

    // The same model from SQL: one prediction per row, from the row's own columns.
    const q = await server.api("/v1/query", {
      method: "POST",
      token: admin,
      json: {
        sql: `SELECT quantity, channel, predict('${model_id}', quantity, channel) AS p FROM "order.created" ORDER BY event_id LIMIT 50`,
      },
    });
    expect(q.status).toBe(200);
    const rows = await json<{
      meta: { name: string; type: string }[];
      data: { quantity: number; channel: string; p: number }[];
    }>(q);
    expect(rows.meta.at(-1)).toEqual({ name: "p", type: "DOUBLE" });
    expect(rows.data).toHaveLength(50);
    for (const r of rows.data) {
      expect(Math.abs(r.p - (5 * r.quantity + (CHANNEL_EFFECT[r.channel] as number) + 10))).toBeLessThan(0.1);
    }
    const unknown = await server.api("/v1/query", {
      method: "POST",
      token: admin,
      json: { sql: `SELECT predict('mdl_nope', quantity, channel) FROM "order.created"` },
    });
    expect(unknown.status).toBe(404);
  });

  it("trains a binary classifier on a separable target and predicts the class with its probability", async () => {
    const res = await server.api("/v1/ml/train", {
      method: "POST",
      token: admin,
      json: { dataset: "order.created", target_column: "size", problem_type: "classification", features: ["quantity"] },
    });
    const { model_id, job_id } = await json<{ model_id: string; job_id: string }>(res);
    const model = await trained(model_id);
    expect(model.metrics).toMatchObject({ accuracy: 1, precision: 1, recall: 1, f1: 1 });
    // Its job succeeded (whether it needed follow-up slices depends on the machine's speed; the node test
    // ml-train proves a checkpointed run ends with exactly the one-go model).
    const first = await json<{ status: string }>(await server.api(`/v1/jobs/${job_id}`, { token: admin }));
    expect(first.status).toBe("succeeded");
    const p = await json<{ prediction: string; confidence: number }>(
      await server.api("/v1/ml/predict", {
        method: "POST",
        token: admin,
        json: { model_id, features: { quantity: 10 } },
      }),
    );
    expect(p.prediction).toBe("big");
    expect(p.confidence).toBeGreaterThan(0.9);
    const q = await server.api("/v1/query", {
      method: "POST",
      token: admin,
      json: {
        sql: `SELECT predict('${model_id}', quantity) AS predicted, size, count(*) AS n FROM "order.created" GROUP BY 1, 2 ORDER BY 1, 2`,
      },
    });
    const groups = await json<{ data: { predicted: string; size: string }[] }>(q);
    // Every row predicted as its own class: the confusion table has only its diagonal.
    expect(groups.data.map((g) => [g.predicted, g.size])).toEqual([
      ["big", "big"],
      ["small", "small"],
    ]);
  });

  it("refuses a missing column and a text regression target up front", async () => {
    const missing = await server.api("/v1/ml/train", {
      method: "POST",
      token: admin,
      json: { dataset: "order.created", target_column: "nope", problem_type: "regression", features: ["quantity"] },
    });
    expect(missing.status).toBe(400);
    const text = await server.api("/v1/ml/train", {
      method: "POST",
      token: admin,
      json: { dataset: "order.created", target_column: "channel", problem_type: "regression", features: ["quantity"] },
    });
    expect(text.status).toBe(400);
    expect((await json<ErrorBody>(text)).error.code).toBe("VALIDATION_ERROR");
  });
});
