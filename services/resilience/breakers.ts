// This isolate's circuit breakers, one per remote kind, with their state changes counted in /metrics.
import { seriesKey } from "../../shared/metrics/registry";
import { BREAKER_STATE_VALUE, type BreakerSnapshot, CircuitBreaker } from "../../shared/resilience/circuit-breaker";
import { metrics } from "../metrics/recorder";

/** Every breaker Tarn has: the language model, and webhook receivers (alerts' deliveries). */
export const BREAKER_NAMES = ["llm", "webhooks"] as const;
export type BreakerName = (typeof BREAKER_NAMES)[number];

/** Receivers whose breakers an isolate keeps; past it the least recently used is forgotten. */
const MAX_RECEIVERS = 100;

const llm = made("llm", "llm");
/** One breaker per webhook receiver (origin): a dead receiver must not hold back the healthy ones. */
const receivers = new Map<string, CircuitBreaker>();

function made(name: string, kind: BreakerName): CircuitBreaker {
  return new CircuitBreaker(name, {
    onTransition: (to, from) => {
      metrics.inc("tarn_circuit_breaker_transitions_total", [kind, to]);
      console.log(JSON.stringify({ level: to === "open" ? "warn" : "info", msg: "circuit breaker", name, from, to }));
    },
  });
}

/** The isolate's breaker of the language model. */
export function llmBreaker(): CircuitBreaker {
  return llm;
}

/** The isolate's breaker of one webhook receiver, by its URL's origin. */
export function webhookBreaker(url: string): CircuitBreaker {
  let origin: string;
  try {
    origin = new URL(url).origin;
  } catch {
    origin = url;
  }
  let b = receivers.get(origin);
  if (b) receivers.delete(origin);
  else b = made(`webhooks:${origin}`, "webhooks");
  receivers.set(origin, b);
  if (receivers.size > MAX_RECEIVERS) receivers.delete(receivers.keys().next().value as string);
  return b;
}

/** Every breaker's state, for /ready's details: the LLM's and each known receiver's. */
export function breakerSnapshots(): BreakerSnapshot[] {
  return [llm.snapshot(), ...[...receivers.values()].map((b) => b.snapshot())];
}

/** Gauge series per breaker kind (tarn_circuit_breaker_state): webhooks report their worst receiver. */
export function breakerGauges(): Record<string, number> {
  const worst = Math.max(0, ...[...receivers.values()].map((b) => BREAKER_STATE_VALUE[b.state]));
  return {
    [seriesKey("tarn_circuit_breaker_state", ["llm"])]: BREAKER_STATE_VALUE[llm.state],
    [seriesKey("tarn_circuit_breaker_state", ["webhooks"])]: worst,
  };
}
