// Shapes of the AI routes (README, "Analytics with AI"): questions, insights, models and predictions.
import { z } from "zod";

const Meta = z.array(z.object({ name: z.string(), type: z.string() }));

export const NaturalBody = z
  .strictObject({
    question: z.string().trim().min(1, "must not be empty").max(2000, "must be at most 2,000 characters"),
    /** The dataset (event type) the question is about; absent: any table of the project. */
    dataset: z.string().min(1).max(200).optional(),
  })
  .meta({ id: "NaturalQuestion" });

export const NaturalAnswer = z
  .object({
    sql: z.string(),
    meta: Meta,
    data: z.array(z.record(z.string(), z.unknown())),
    rows: z.number().int(),
    statistics: z.record(z.string(), z.unknown()),
    explanation: z.string().nullable(),
    model: z.string(),
    cached: z.boolean(),
    degraded: z.boolean(),
  })
  .meta({ id: "NaturalAnswer" });

export const InsightsBody = z
  .strictObject({
    dataset: z.string().min(1).max(200),
    from: z.iso.datetime({ offset: true, error: "must be an ISO-8601 date-time" }).optional(),
    to: z.iso.datetime({ offset: true, error: "must be an ISO-8601 date-time" }).optional(),
  })
  .meta({ id: "InsightsRequest" });

export const InsightsAnswer = z
  .object({
    anomalies: z.array(
      z.object({
        column: z.string(),
        value: z.number(),
        expected_range: z.tuple([z.number(), z.number()]),
        severity: z.enum(["low", "medium", "high"]),
        at: z.string(),
        score: z.number(),
        explanation: z.string(),
      }),
    ),
    trends: z.array(
      z.object({
        metric: z.string(),
        direction: z.enum(["up", "down", "flat"]),
        change_percent: z.number(),
        slope_per_bucket: z.number(),
        period: z.string(),
        explanation: z.string(),
      }),
    ),
    correlations: z.array(z.object({ a: z.string(), b: z.string(), r: z.number() })),
    recommendations: z.array(z.string()),
    summary: z.string(),
    bucket: z.enum(["hour", "day"]),
    generated_in_ms: z.number(),
    model: z.string().nullable(),
    degraded: z.boolean(),
  })
  .meta({ id: "Insights" });

export const TrainBody = z
  .strictObject({
    dataset: z.string().min(1).max(200),
    target_column: z.string().min(1).max(200),
    problem_type: z.enum(["classification", "regression"]),
    features: z.array(z.string().min(1).max(200)).min(1).max(50),
    /** L2 penalty (default 1e-3 for regression, 1e-2 for classification). */
    regularization: z.number().min(0).max(1e6).optional(),
    /** Seed of the 80/20 split (default 42). */
    seed: z.number().int().optional(),
    /** Most rows read for training (default and cap 100,000). */
    max_rows: z.number().int().min(10).max(100_000).optional(),
  })
  .meta({ id: "TrainRequest" });

export const TrainAccepted = z.object({ job_id: z.string(), model_id: z.string() }).meta({ id: "TrainAccepted" });

export const ModelView = z
  .object({
    model_id: z.string(),
    status: z.enum(["training", "ready", "failed"]),
    /** 1, 2, … per (dataset, target, problem type). */
    version: z.number().int(),
    dataset: z.string(),
    target_column: z.string(),
    problem_type: z.enum(["classification", "regression"]),
    features: z.array(z.string()),
    metrics: z.record(z.string(), z.number()).nullable(),
    training_time_seconds: z.number().nullable(),
    rows_trained: z.number().int().nullable(),
    classes: z.array(z.string()).nullable(),
    /** Lineage: the SQL the rows were read with, and the lake snapshot it read. */
    source_sql: z.string(),
    snapshot: z.number().int().nullable(),
    job_id: z.string(),
    error: z.string().nullable(),
    created_at: z.string(),
  })
  .meta({ id: "Model" });

export const ModelList = z.object({ models: z.array(ModelView) }).meta({ id: "ModelList" });
export const ModelParam = z.object({ id: z.string().min(1).max(100) });

export const PredictBody = z
  .strictObject({
    model_id: z.string().min(1).max(100),
    features: z.record(z.string(), z.union([z.number(), z.string(), z.boolean(), z.null()])),
  })
  .meta({ id: "PredictRequest" });

export const PredictAnswer = z
  .object({
    prediction: z.union([z.number(), z.string()]),
    confidence: z.number().nullable(),
    probabilities: z.record(z.string(), z.number()).optional(),
  })
  .meta({ id: "Prediction" });
