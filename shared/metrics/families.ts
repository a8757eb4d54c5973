// The metric families Tarn exposes on GET /metrics (API.md, "Metrics"): names, types, labels, help.

/** Seconds; Prometheus' default spread, from a fast health check to a slow query. */
export const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

export type FamilyType = "counter" | "gauge" | "histogram";

export interface Family {
  type: FamilyType;
  help: string;
  /** Label names, all of bounded cardinality (route patterns, status codes, error codes, layers). */
  labels: readonly string[];
}

/**
 * Every family, in exposition order. Counters and histograms are counted per isolate and summed
 * across isolates by the MetricsShard objects; gauges are read at scrape time from D1.
 */
export const FAMILIES = {
  tarn_http_requests_total: {
    type: "counter",
    help: "HTTP requests answered, by route pattern, method and status code.",
    labels: ["route", "method", "status"],
  },
  tarn_http_request_duration_seconds: {
    type: "histogram",
    help: "Time from receiving an HTTP request to its response, by route pattern, method and status code.",
    labels: ["route", "method", "status"],
  },
  tarn_events_accepted_total: {
    type: "counter",
    help: "Events accepted at the edge and taken by the events queue.",
    labels: [],
  },
  tarn_events_rejected_total: {
    type: "counter",
    help: "Events rejected at the edge (and quarantined), by error code.",
    labels: ["code"],
  },
  tarn_events_landed_total: {
    type: "counter",
    help: "Events committed to the lake by the queue consumer (after deduplication).",
    labels: [],
  },
  tarn_queue_messages_sent_total: {
    type: "counter",
    help: "Messages sent to a queue.",
    labels: ["queue"],
  },
  tarn_queue_messages_delivered_total: {
    type: "counter",
    help: "Messages delivered to a consumer for the first time.",
    labels: ["queue"],
  },
  tarn_queue_backlog_messages: {
    type: "gauge",
    help: "Messages sent to a queue and not yet delivered to its consumer once (sent minus first deliveries).",
    labels: ["queue"],
  },
  tarn_lake_files: {
    type: "gauge",
    help: "Current lake files (those the manifest lists now), by layer.",
    labels: ["layer"],
  },
  tarn_lake_bytes: {
    type: "gauge",
    help: "Bytes of the current lake files, by layer.",
    labels: ["layer"],
  },
  tarn_query_duration_seconds: {
    type: "histogram",
    help: "Time to answer POST /v1/query, by status code.",
    labels: ["status"],
  },
  tarn_jobs: {
    type: "gauge",
    help: "Batch jobs recorded in D1, by type and status.",
    labels: ["type", "status"],
  },
  tarn_live_sockets_opened_total: {
    type: "counter",
    help: "Live WebSocket upgrades accepted.",
    labels: [],
  },
  tarn_live_sockets_closed_total: {
    type: "counter",
    help: "Live WebSockets closed or failed.",
    labels: [],
  },
  tarn_live_sockets: {
    type: "gauge",
    help: "Live WebSockets open now (opened minus closed).",
    labels: [],
  },
  tarn_circuit_breaker_state: {
    type: "gauge",
    help: "State of each circuit breaker in the isolate answering the scrape (0 closed, 1 half-open, 2 open).",
    labels: ["breaker"],
  },
  tarn_circuit_breaker_transitions_total: {
    type: "counter",
    help: "Circuit breaker state changes in every isolate, by breaker and the state entered.",
    labels: ["breaker", "state"],
  },
} as const satisfies Record<string, Family>;

export type FamilyName = keyof typeof FAMILIES;
export type CounterName = { [K in FamilyName]: (typeof FAMILIES)[K]["type"] extends "counter" ? K : never }[FamilyName];
export type HistogramName = {
  [K in FamilyName]: (typeof FAMILIES)[K]["type"] extends "histogram" ? K : never;
}[FamilyName];
export type GaugeName = { [K in FamilyName]: (typeof FAMILIES)[K]["type"] extends "gauge" ? K : never }[FamilyName];
