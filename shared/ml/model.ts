// A trained model as stored in R2 (JSON) and how it predicts: the encoder, then the linear or softmax weights.
import { z } from "zod";
import { encodeRow, FeatureEncoding, type RawValue } from "./encode";
import { predictLinear } from "./linear";
import { predictProba } from "./logistic";

export const StoredModel = z.discriminatedUnion("problem_type", [
  z.object({
    format: z.literal("tarn-model/1"),
    problem_type: z.literal("regression"),
    features: z.array(z.string()),
    encodings: z.array(FeatureEncoding),
    weights: z.array(z.number()),
  }),
  z.object({
    format: z.literal("tarn-model/1"),
    problem_type: z.literal("classification"),
    features: z.array(z.string()),
    encodings: z.array(FeatureEncoding),
    classes: z.array(z.string()),
    weights: z.array(z.array(z.number())),
  }),
]);
export type StoredModel = z.infer<typeof StoredModel>;

export interface Prediction {
  prediction: number | string;
  /** The predicted class's probability; null for regression. */
  confidence: number | null;
  probabilities?: Record<string, number>;
}

/** Features by name; absent ones read as missing (numeric → the training mean, categorical → unseen). */
export function predictWith(model: StoredModel, features: Record<string, RawValue>): Prediction {
  const row = encodeRow(
    model.encodings,
    model.features.map((f) => features[f]),
  );
  if (model.problem_type === "regression") return { prediction: predictLinear(model.weights, row), confidence: null };
  const p = predictProba({ weights: model.weights }, row);
  let best = 0;
  p.forEach((v, k) => {
    if (v > (p[best] as number)) best = k;
  });
  return {
    prediction: model.classes[best] as string,
    confidence: p[best] as number,
    probabilities: Object.fromEntries(model.classes.map((c, k) => [c, p[k] as number])),
  };
}
