// A model trains on an uploaded dataset (a table of its own) and predicts, in the platform, end to end.
import { describe, expect, it } from "vitest";
import { call, createProject } from "./helpers";
import { uploadAndConvert } from "./uploads-helpers";

interface Model {
  model_id: string;
  status: string;
  metrics: Record<string, number>;
  error?: string | null;
}

async function trained(token: string, id: string): Promise<Model> {
  const until = Date.now() + 25_000;
  for (;;) {
    const m = (await (await call(`/v1/ml/models/${id}`, { token })).json()) as Model;
    if (m.status !== "training") return m;
    if (Date.now() > until) throw new Error(`model ${id} still training`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("models on uploaded datasets", () => {
  it("learns price = 3·size + 20 (+ 15 for city) from an uploaded CSV and predicts it", async () => {
    const p = await createProject("ml-upload");
    const lines = ["size,city,price"];
    for (let i = 0; i < 300; i++) {
      const size = 10 + (i % 50);
      const city = i % 3 === 0 ? "amsterdam" : "utrecht";
      lines.push(`${size},${city},${3 * size + 20 + (city === "amsterdam" ? 15 : 0)}`);
    }
    const job = await uploadAndConvert(p.adminKey, "name=houses&format=csv", lines.join("\n"));
    expect(job.status).toBe("succeeded");

    const res = await call("/v1/ml/train", {
      method: "POST",
      token: p.adminKey,
      json: { dataset: "houses", target_column: "price", problem_type: "regression", features: ["size", "city"] },
    });
    expect(res.status).toBe(202);
    const { model_id } = (await res.json()) as { model_id: string };
    const model = await trained(p.adminKey, model_id);
    expect(model.status, model.error ?? "").toBe("ready");
    expect(model.metrics.r2).toBeGreaterThan(0.99);

    const predict = await call("/v1/ml/predict", {
      method: "POST",
      token: p.adminKey,
      json: { model_id, features: { size: 40, city: "amsterdam" } },
    });
    expect(predict.status).toBe(200);
    const { prediction } = (await predict.json()) as { prediction: number };
    expect(prediction).toBeGreaterThan(155 - 2);
    expect(prediction).toBeLessThan(155 + 2);
  });
});
