// Models on synthetic data with known coefficients and known separability; metrics checked against
// DuckDB (regr_slope / regr_intercept, and the metric formulas in SQL over the same predictions).
import { DuckDBInstance } from "@duckdb/node-api";
import { describe, expect, it } from "vitest";
import { fitRidge } from "../../shared/ml/linear";
import { predictWith } from "../../shared/ml/model";
import { splitIndices } from "../../shared/ml/split";
import { type TrainInput, type TrainOutput, trainModel } from "../../shared/ml/train";
import { mulberry32 } from "../seeded-random";

/** Standard normal noise from a seeded uniform source (Box–Muller). */
function gaussian(random: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(random() || 1e-12)) * Math.cos(2 * Math.PI * random());
}

/** Trains in one go (no pause asked for). */
function train(input: TrainInput): TrainOutput {
  const out = trainModel(input);
  if ("paused" in out) throw new Error("paused without being asked to");
  return out;
}

async function duckdb(sql: string): Promise<Record<string, number>> {
  const db = await DuckDBInstance.create(":memory:");
  const conn = await db.connect();
  const rows = await (await conn.runAndReadAll(sql)).getRowObjectsJS();
  conn.closeSync();
  return rows[0] as Record<string, number>;
}

describe("the seeded split", () => {
  it("is 80/20, covers every row once, and is the same for the same seed", () => {
    const a = splitIndices(1000, 7);
    expect(a.train).toHaveLength(800);
    expect(a.test).toHaveLength(200);
    expect(new Set([...a.train, ...a.test]).size).toBe(1000);
    expect(splitIndices(1000, 7)).toEqual(a);
    expect(splitIndices(1000, 8).test).not.toEqual(a.test);
  });
});

describe("linear regression", () => {
  it("with no penalty, one feature: the slope and intercept DuckDB's regr_slope/regr_intercept give", async () => {
    const random = mulberry32(1);
    const x = Array.from({ length: 200 }, () => random() * 10);
    const y = x.map((v) => 2.5 * v - 4 + (random() - 0.5));
    const [b0, b1] = fitRidge(
      x.map((v) => [v]),
      y,
      0,
    );
    const values = x.map((v, i) => `(${v}, ${y[i]})`).join(",");
    const ref = await duckdb(
      `SELECT regr_slope(y, x) AS slope, regr_intercept(y, x) AS intercept FROM (VALUES ${values}) t(x, y)`,
    );
    // Equal to 7 digits: the solver's 1e-9 floor penalty is all that separates them.
    expect(b1).toBeCloseTo(ref.slope as number, 7);
    expect(b0).toBeCloseTo(ref.intercept as number, 7);
  });

  it("recovers known coefficients (numeric and one-hot) and reports rmse, mae, r2 as DuckDB computes them", async () => {
    const random = mulberry32(2);
    const noise = gaussian(random);
    const channels = ["web", "app", "store"];
    const effect: Record<string, number> = { web: 0, app: 7, store: -3 };
    const rows = Array.from({ length: 2000 }, () => {
      const a = random() * 100;
      const b = random() * 5;
      const ch = channels[Math.floor(random() * 3)] as string;
      return { a, b, ch, y: 3 * a - 2 * b + (effect[ch] as number) + 10 + noise() };
    });
    const out = train({
      problem_type: "regression",
      features: ["a", "b", "channel"],
      rows: rows.map((r) => [r.a, r.b, r.ch]),
      target: rows.map((r) => r.y),
      regularization: 0,
      seed: 42,
    });
    expect(out.rows_trained).toBe(1600);
    expect(out.metrics.r2).toBeGreaterThan(0.999);
    // The noise's σ is 1: the held-out error is close to it.
    expect(out.metrics.rmse).toBeGreaterThan(0.85);
    expect(out.metrics.rmse).toBeLessThan(1.15);
    // Predictions move by the planted coefficients, within a few standard errors of the noise.
    const at = (a: number, b: number, channel: string) =>
      predictWith(out.model, { a, b, channel }).prediction as number;
    const near = (value: number, expected: number, tolerance: number) =>
      expect(Math.abs(value - expected)).toBeLessThan(tolerance);
    near(at(11, 1, "web") - at(10, 1, "web"), 3, 0.01);
    near(at(10, 2, "web") - at(10, 1, "web"), -2, 0.1);
    near(at(10, 1, "app") - at(10, 1, "web"), 7, 0.2);
    near(at(10, 1, "store") - at(10, 1, "web"), -3, 0.2);
    expect(predictWith(out.model, { a: 10, b: 1, channel: "web" }).confidence).toBeNull();

    // The metrics are those DuckDB computes over the held-out rows and the model's predictions.
    const { test } = splitIndices(2000, 42);
    const pairs = test
      .map((i) => {
        const r = rows[i] as (typeof rows)[number];
        return `(${r.y}, ${at(r.a, r.b, r.ch)})`;
      })
      .join(",");
    const ref = await duckdb(
      `SELECT sqrt(avg((y - p) ^ 2)) AS rmse, avg(abs(y - p)) AS mae,
              1 - sum((y - p) ^ 2) / sum((y - (SELECT avg(y) FROM t)) ^ 2) AS r2
       FROM (VALUES ${pairs}) t(y, p)`.replace("FROM t)", `FROM (VALUES ${pairs}) t2(y, p))`),
    );
    expect(out.metrics.rmse).toBeCloseTo(ref.rmse as number, 9);
    expect(out.metrics.mae).toBeCloseTo(ref.mae as number, 9);
    expect(out.metrics.r2).toBeCloseTo(ref.r2 as number, 9);
  });

  it("fails with the reason when the target is not numeric", () => {
    const rows = Array.from({ length: 20 }, (_, i) => [i]);
    expect(() =>
      trainModel({ problem_type: "regression", features: ["x"], rows, target: rows.map(() => "abc") }),
    ).toThrow(/not numeric/);
  });
});

describe("logistic regression", () => {
  it("separates two linearly separable classes perfectly and is confident far from the boundary", () => {
    const random = mulberry32(3);
    const rows = Array.from({ length: 600 }, () => [random() * 10 - 5, random() * 10 - 5]);
    // Class by the side of x + y = 0, with a margin so the classes are separable.
    const kept = rows.filter(([x, y]) => Math.abs((x as number) + (y as number)) > 0.5);
    const out = train({
      problem_type: "classification",
      features: ["x", "y"],
      rows: kept,
      target: kept.map(([x, y]) => ((x as number) + (y as number) > 0 ? "yes" : "no")),
      seed: 1,
    });
    expect(out.classes).toEqual(["no", "yes"]);
    expect(out.metrics).toMatchObject({ accuracy: 1, precision: 1, recall: 1, f1: 1 });
    const far = predictWith(out.model, { x: 4, y: 4 });
    expect(far.prediction).toBe("yes");
    expect(far.confidence).toBeGreaterThan(0.95);
    expect(predictWith(out.model, { x: -4, y: -3 }).prediction).toBe("no");
  });

  it("multiclass: three categories told apart by a categorical and a numeric feature", () => {
    const random = mulberry32(4);
    const tiers = ["gold", "silver", "bronze"];
    const rows = Array.from({ length: 900 }, () => {
      const plan = ["pro", "team", "free"][Math.floor(random() * 3)] as string;
      const spend = random() * 100;
      return { plan, spend, tier: plan === "pro" ? "gold" : spend > 50 ? "silver" : "bronze" };
    });
    const out = train({
      problem_type: "classification",
      features: ["plan", "spend"],
      rows: rows.map((r) => [r.plan, r.spend]),
      target: rows.map((r) => r.tier),
      seed: 9,
    });
    expect(out.classes).toEqual([...tiers].sort());
    expect(out.metrics.accuracy).toBeGreaterThan(0.9);
    expect(out.metrics.f1).toBeGreaterThan(0.85);
    const p = predictWith(out.model, { plan: "pro", spend: 10 });
    expect(p.prediction).toBe("gold");
    const probs = Object.values(p.probabilities ?? {});
    expect(probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
  });

  it("paused every few iterations and resumed from a JSON checkpoint, ends with exactly the one-go model", () => {
    const random = mulberry32(5);
    const rows = Array.from({ length: 300 }, () => [
      random() * 10,
      ["a", "b", "c"][Math.floor(random() * 3)] as string,
    ]);
    const input: TrainInput = {
      problem_type: "classification",
      features: ["x", "k"],
      rows,
      target: rows.map(([x, k]) => ((x as number) > 6 ? "high" : k === "a" ? "mid" : "low")),
      seed: 3,
    };
    const whole = train(input);
    let slices = 0;
    let resume: TrainInput["resume"];
    for (;;) {
      let calls = 0;
      const out = trainModel({ ...input, resume, shouldStop: () => ++calls > 7 });
      slices++;
      if (!("paused" in out)) {
        expect(out.model).toEqual(whole.model);
        expect(out.metrics).toEqual(whole.metrics);
        break;
      }
      resume = JSON.parse(JSON.stringify(out.checkpoint));
      if (slices > 500) throw new Error("never finished");
    }
    expect(slices).toBeGreaterThan(3);
  });

  it("needs two classes", () => {
    const rows = Array.from({ length: 20 }, (_, i) => [i]);
    expect(() =>
      trainModel({ problem_type: "classification", features: ["x"], rows, target: rows.map(() => "a") }),
    ).toThrow(/one class/);
  });
});
