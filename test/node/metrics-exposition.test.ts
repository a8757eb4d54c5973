// The Prometheus exposition: what the registry counts renders as text promtool accepts, with exact sums.
import { describe, expect, it } from "vitest";
import { renderExposition } from "../../shared/metrics/exposition";
import { FAMILIES } from "../../shared/metrics/families";
import { type MetricsDelta, MetricsRegistry, mergeDelta, seriesKey } from "../../shared/metrics/registry";
import { promtoolCheck } from "../promtool";

function sample(): MetricsDelta {
  const a = new MetricsRegistry();
  a.inc("tarn_http_requests_total", ["/v1/events", "POST", "202"], 3);
  a.observe("tarn_http_request_duration_seconds", ["/v1/events", "POST", "202"], 0.004);
  a.observe("tarn_http_request_duration_seconds", ["/v1/events", "POST", "202"], 0.2);
  a.observe("tarn_http_request_duration_seconds", ["/v1/events", "POST", "202"], 30);
  a.inc("tarn_events_rejected_total", ["VALIDATION_ERROR"], 2);
  const b = new MetricsRegistry();
  b.inc("tarn_http_requests_total", ["/v1/events", "POST", "202"], 4);
  b.inc("tarn_http_requests_total", ['/odd"route\\', "GET", "404"]);
  b.observe("tarn_query_duration_seconds", ["200"], 0.3);
  return mergeDelta(mergeDelta({ counters: {}, histograms: {} }, a.drain()), b.drain());
}

describe("Prometheus exposition", () => {
  it("passes promtool check metrics, every family with HELP and TYPE", () => {
    const text = renderExposition(sample(), { [seriesKey("tarn_lake_files", ["bronze"])]: 12 });
    const verdict = promtoolCheck(text);
    expect(verdict.output).toBe("");
    expect(verdict.status).toBe(0);
    for (const [name, family] of Object.entries(FAMILIES)) {
      expect(text).toContain(`# TYPE ${name} ${family.type}\n`);
    }
  });

  it("sums isolates exactly and renders cumulative buckets ending in +Inf = count", () => {
    const text = renderExposition(sample(), {});
    expect(text).toContain('tarn_http_requests_total{route="/v1/events",method="POST",status="202"} 7\n');
    expect(text).toContain('tarn_http_requests_total{route="/odd\\"route\\\\",method="GET",status="404"} 1\n');
    const labels = 'route="/v1/events",method="POST",status="202"';
    expect(text).toContain(`tarn_http_request_duration_seconds_bucket{${labels},le="0.005"} 1\n`);
    expect(text).toContain(`tarn_http_request_duration_seconds_bucket{${labels},le="0.25"} 2\n`);
    expect(text).toContain(`tarn_http_request_duration_seconds_bucket{${labels},le="10"} 2\n`);
    expect(text).toContain(`tarn_http_request_duration_seconds_bucket{${labels},le="+Inf"} 3\n`);
    expect(text).toContain(`tarn_http_request_duration_seconds_count{${labels}} 3\n`);
    expect(text).toContain(`tarn_http_request_duration_seconds_sum{${labels}} 30.204\n`);
  });

  it("is caught by promtool when a counter lacks its _total suffix (the check is real)", () => {
    const verdict = promtoolCheck("# HELP tarn_bad Bad.\n# TYPE tarn_bad counter\ntarn_bad 1\n");
    expect(verdict.output).toContain('counter metrics should have "_total" suffix');
  });
});
