// Operations: liveness that touches nothing, readiness that asks D1, R2 and the queue.
import { createRoute, z } from "@hono/zod-openapi";
import { breakerSnapshots } from "../../services/resilience/breakers";
import { requirePermission } from "../middleware/auth";
import { router } from "../openapi";

const Health = z.object({ status: z.literal("ok") }).meta({ id: "Health" });
const Ready = z
  .object({
    status: z.enum(["ready", "unavailable"]),
    checks: z.record(z.string(), z.object({ ok: z.boolean(), ms: z.number(), error: z.string().optional() })),
    /** Circuit breakers of the outside network, as this isolate sees them; an open one does not fail readiness. */
    breakers: z
      .array(
        z.object({
          name: z.string(),
          state: z.enum(["closed", "open", "half-open"]),
          consecutive_failures: z.number().int(),
          retry_at: z.string().nullable(),
        }),
      )
      .optional(),
  })
  .meta({ id: "Ready" });

const health = createRoute({
  method: "get",
  path: "/health",
  tags: ["Operations"],
  summary: "Liveness; touches no dependency",
  middleware: [requirePermission("public")] as const,
  responses: { 200: { description: "Alive", content: { "application/json": { schema: Health } } } },
});

const ready = createRoute({
  method: "get",
  path: "/ready",
  tags: ["Operations"],
  summary: "Readiness; 200 only when D1, R2 and the events queue answer",
  middleware: [requirePermission("public")] as const,
  responses: {
    200: { description: "Ready", content: { "application/json": { schema: Ready } } },
    503: { description: "A dependency did not answer", content: { "application/json": { schema: Ready } } },
  },
});

async function check(fn: () => Promise<unknown>) {
  const started = Date.now();
  try {
    await fn();
    return { ok: true, ms: Date.now() - started };
  } catch (err) {
    return { ok: false, ms: Date.now() - started, error: String(err).slice(0, 200) };
  }
}

export const opsRoutes = router()
  .openapi(health, (c) => c.json({ status: "ok" as const }, 200))
  .openapi(ready, async (c) => {
    const [d1, r2, queue] = await Promise.all([
      check(() => c.env.DB.prepare("SELECT 1").first()),
      check(() => c.env.LAKE.head("__ready")),
      check(() => c.env.EVENTS_QUEUE.metrics()),
    ]);
    const checks = { d1, r2, queue };
    const breakers = breakerSnapshots();
    const ok = d1.ok && r2.ok && queue.ok;
    if (!ok) c.header("Retry-After", "5");
    return ok
      ? c.json({ status: "ready" as const, checks, breakers }, 200)
      : c.json({ status: "unavailable" as const, checks, breakers }, 503);
  });
