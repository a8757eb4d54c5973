// The pure parts of the AI features: SQL taken from a model's reply, the validator that stands
// between it and the engine, and the statistics of insights on planted anomalies and trends.
import { describe, expect, it } from "vitest";
import { type Series, seriesAnomalies, seriesTrend } from "../../shared/ai/insight-stats";
import { recommendations, summaryText } from "../../shared/ai/insight-text";
import { readLlmConfig } from "../../shared/ai/llm-config";
import { sqlSystemPrompt } from "../../shared/ai/nl-prompt";
import { extractSql } from "../../shared/ai/sql-extract";
import { validateQuery } from "../../shared/query";

describe("SQL from a model's reply", () => {
  it("takes the statement out of a sql code fence with prose around it", () => {
    expect(extractSql("Sure! Here it is:\n```sql\nSELECT count(*) FROM events;\n```\nThis counts events.")).toBe(
      "SELECT count(*) FROM events",
    );
  });
  it("takes an unfenced statement and stops at the prose after a blank line", () => {
    expect(extractSql("The query is SELECT 1 AS x\nFROM events\n\nIt returns one.")).toBe("SELECT 1 AS x\nFROM events");
  });
  it("finds nothing in a reply without a query", () => {
    expect(extractSql("I cannot answer that.")).toBeNull();
  });
});

describe("validation before anything runs", () => {
  const tables = ["order.created"];
  const invalid = (sql: string) => {
    const v = validateQuery(sql, tables);
    return v.valid ? null : v.errors.join("; ");
  };
  it("accepts a SELECT over the project's tables", () => {
    expect(invalid('SELECT count(*) FROM "order.created"')).toBeNull();
  });
  it.each([
    ["DROP TABLE events"],
    ["DELETE FROM events"],
    ["INSERT INTO events VALUES (1)"],
    ["SELECT 1; DROP TABLE events"],
    ["SELECT * FROM other_project_table"],
    ["SELECT * FROM read_parquet('s3://tarn-lake/other/x.parquet')"],
    ['SELECT * FROM "order.created" UNION ALL SELECT * FROM secrets'],
  ])("refuses %s", (sql) => {
    expect(invalid(sql)).not.toBeNull();
  });
});

describe("the prompt", () => {
  it("carries names, types and descriptions, and no values", () => {
    const prompt = sqlSystemPrompt(
      [{ sql_name: '"order.created"', description: "orders", columns: [{ name: "amount", type: "DOUBLE" }] }],
      '"order.created"',
    );
    expect(prompt).toContain('TABLE "order.created"');
    expect(prompt).toContain("amount DOUBLE");
    expect(prompt).toMatch(/one SELECT/);
  });
});

describe("LLM configuration", () => {
  it("is none without a base URL or key, OpenAI with a key, Workers AI by name", () => {
    expect(readLlmConfig({}).provider).toBe("none");
    expect(readLlmConfig({ LLM_API_KEY: "sk-x" })).toMatchObject({
      provider: "openai",
      baseUrl: "https://api.openai.com/v1",
    });
    expect(readLlmConfig({ LLM_BASE_URL: "http://127.0.0.1:1/v1", LLM_MODEL: "m" })).toMatchObject({
      provider: "openai",
      model: "m",
    });
    expect(readLlmConfig({ LLM_PROVIDER: "workers-ai" }).provider).toBe("workers-ai");
  });
});

const hours = (values: number[]): Series["points"] =>
  values.map((value, i) => ({ at: new Date(Date.UTC(2026, 10, 1, i)).toISOString(), value }));

describe("insight statistics", () => {
  it("finds a planted spike with its expected range and severity, and nothing in plain noise", () => {
    const noise = Array.from({ length: 48 }, (_, i) => 100 + ((i * 7) % 11) - 5);
    expect(seriesAnomalies({ metric: "events", points: hours(noise) })).toEqual([]);
    const spiked = [...noise];
    spiked[30] = 400;
    const found = seriesAnomalies({ metric: "events", points: hours(spiked) });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ value: 400, at: hours(spiked)[30]?.at, severity: "high" });
    const [lo, hi] = found[0]?.expected_range ?? [0, 0];
    expect(lo).toBeLessThan(95);
    expect(hi).toBeGreaterThan(105);
    expect(hi).toBeLessThan(400);
  });

  it("finds a drop in a series that is flat otherwise", () => {
    const flat = Array.from({ length: 24 }, () => 50);
    flat[10] = 0;
    expect(seriesAnomalies({ metric: "events", points: hours(flat) })[0]).toMatchObject({ value: 0 });
  });

  it("measures a planted linear trend: direction, slope and change", () => {
    const up = Array.from({ length: 10 }, (_, i) => 100 + 10 * i);
    const t = seriesTrend({ metric: "events", points: hours(up) }, "hour");
    expect(t).toMatchObject({ direction: "up", slope_per_bucket: 10 });
    // Fitted 100 → 190: +90%.
    expect(t?.change_percent).toBeCloseTo(90, 6);
    const down = seriesTrend({ metric: "users", points: hours(up.reverse()) }, "hour");
    expect(down?.direction).toBe("down");
    const flat = seriesTrend({ metric: "x", points: hours([5, 5, 5, 5]) }, "hour");
    expect(flat?.direction).toBe("flat");
  });

  it("sees a daily cycle in hourly buckets", () => {
    const daily = Array.from({ length: 72 }, (_, i) => 100 + 50 * Math.sin((2 * Math.PI * i) / 24));
    expect(seriesTrend({ metric: "events", points: hours(daily) }, "hour")?.seasonal_lag).toBe(24);
  });

  it("templated words always give at least one recommendation and name the findings", () => {
    expect(recommendations("orders", [], []).length).toBeGreaterThanOrEqual(1);
    const trend = seriesTrend({ metric: "events per hour", points: hours([10, 20, 30, 40]) }, "hour");
    if (!trend) throw new Error("no trend");
    expect(summaryText("orders", [], [trend])).toContain("events per hour up");
  });
});
