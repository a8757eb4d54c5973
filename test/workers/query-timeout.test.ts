// QUERY_TIMEOUT_SECONDS bounds a /v1/query: past it the answer is 408 QUERY_TIMEOUT in the error
// envelope, not a hung request or a 5xx; the same query under the default limit answers.
import { createExecutionContext, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../workers/app";
import { BASE, createKey, createProject, expectEnvelope } from "./helpers";
import { deliver, message, queued } from "./lake-helpers";

const T = Date.UTC(2026, 10, 21, 0);

describe("the query time limit", () => {
  it("stops a query past QUERY_TIMEOUT_SECONDS with 408 QUERY_TIMEOUT", async () => {
    const p = await createProject("qtimeout");
    const { key } = await createKey(p.adminKey, ["query"]);
    const events = Array.from({ length: 200 }, (_, i) =>
      queued(p.id, `e${i}`, { event_type: "click", ts: T + i * 60_000, user_id: `u${i % 13}` }),
    );
    await deliver([message(p.id, events)]);
    const app = createApp();
    const ask = (vars: Partial<Env>, salt: string) =>
      app.fetch(
        new Request(`${BASE}/v1/query`, {
          method: "POST",
          headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
          body: JSON.stringify({ sql: `SELECT count(DISTINCT user_id) AS users FROM events -- ${salt}` }),
        }),
        { ...env, ...vars },
        createExecutionContext(),
      );

    const stopped = await ask({ QUERY_TIMEOUT_SECONDS: "0.000001" }, "tight");
    expect(stopped.status).toBe(408);
    const err = await expectEnvelope(stopped);
    expect(err.code).toBe("QUERY_TIMEOUT");
    expect(err.message).toMatch(/time limit of 0(\.\d+)? ms/);

    const answered = await ask({}, "default");
    expect(answered.status).toBe(200);
    expect(((await answered.json()) as { data: unknown[] }).data).toEqual([{ users: 13 }]);
  });
});
