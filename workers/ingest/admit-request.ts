// What both ingest routes (/v1/events and Segment's) hand the admit step about their request: the
// edge context of its events, and the options of the verdict and the queue.
import type { Context } from "hono";
import type { EdgeOptions } from "../../services/ingest/admit";
import type { TarnConfig } from "../../shared/config";
import type { EdgeContext } from "../../shared/events/accept-event";
import type { PackLimits } from "../../shared/events/pack";
import type { AppEnv } from "../context";

/** The request's id, receive time and `request.cf` country and colo, as every accepted event carries them. */
export function edgeContext(c: Context<AppEnv>, receivedAt: number, config: TarnConfig): EdgeContext {
  const cf = c.req.raw.cf as { country?: unknown; colo?: unknown } | undefined;
  return {
    receivedAt,
    requestId: c.get("requestId"),
    country: typeof cf?.country === "string" ? cf.country : null,
    colo: typeof cf?.colo === "string" ? cf.colo : null,
    maxEventBytes: config.maxEventBytes,
    newId: () => crypto.randomUUID(),
  };
}

/** The contract cache bound, the request's waitUntil and the queue's packing, from the config. */
export function admitOptions(c: Context<AppEnv>, config: TarnConfig): EdgeOptions & { packLimits: PackLimits } {
  return {
    contractTtlMs: config.contractCacheTtlMs,
    waitUntil: (p) => c.executionCtx.waitUntil(p),
    packLimits: config.packLimits,
  };
}
