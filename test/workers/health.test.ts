import { describe, expect, it } from "vitest";
import { call } from "./helpers";

describe("operations", () => {
  it("answers /health with ok and a request id", async () => {
    const res = await call("/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
    expect(res.headers.get("X-Request-Id")).toMatch(/^[\w-]+$/);
  });

  it("answers /ready only after D1, R2 and the queue respond", async () => {
    const res = await call("/ready");
    const body = (await res.json()) as { status: string; checks: Record<string, { ok: boolean }> };
    expect(res.status).toBe(200);
    expect(body.status).toBe("ready");
    expect(Object.keys(body.checks).sort()).toEqual(["d1", "queue", "r2"]);
  });
});
