// Training on rows already read: encode, split 80/20 by seed, fit, score on the held-out 20%.
import { asNumber, encodeRow, learnEncodings, type RawValue } from "./encode";
import { fitRidge, predictLinear } from "./linear";
import { type FitCheckpoint, fitSoftmax } from "./logistic";
import { classificationMetrics, regressionMetrics } from "./metrics";
import { predictWith, type StoredModel } from "./model";
import { splitIndices } from "./split";

export interface TrainInput {
  problem_type: "regression" | "classification";
  features: string[];
  /** rows[i] = the features of row i, in `features` order. */
  rows: RawValue[][];
  target: RawValue[];
  regularization?: number;
  seed?: number;
  /** Checked between iterations of iterative fits: true pauses training (a time slice, the 30-minute limit). */
  shouldStop?: () => boolean;
  /** A paused fit of the same rows and settings to go on from. */
  resume?: FitCheckpoint;
}

/** Training paused by `shouldStop`: run again with `resume: checkpoint` on the same rows. */
export interface TrainPaused {
  paused: true;
  checkpoint: FitCheckpoint;
}

export interface TrainOutput {
  model: StoredModel;
  metrics: Record<string, number>;
  rows_trained: number;
  rows_tested: number;
  classes: string[] | null;
}

/** Why a dataset cannot train a model: the job fails with this message. */
export class TrainingError extends Error {
  override name = "TrainingError";
}

export function trainModel(input: TrainInput): TrainOutput | TrainPaused {
  // Rows without a target teach nothing.
  const keep = input.target.map((t, i) => (t === null || t === undefined || t === "" ? -1 : i)).filter((i) => i >= 0);
  if (keep.length < 10) throw new TrainingError(`only ${keep.length} rows have a target; at least 10 are needed`);
  const seed = input.seed ?? 42;
  const { train, test } = splitIndices(keep.length, seed);
  const trainRows = train.map((i) => input.rows[keep[i] as number] as RawValue[]);
  const encodings = learnEncodings(input.features, trainRows);
  const encode = (i: number) => encodeRow(encodings, input.rows[keep[i] as number] as RawValue[]);
  const xTrain = train.map(encode);
  const targetOf = (i: number) => input.target[keep[i] as number];

  if (input.problem_type === "regression") {
    const y = (idx: number[]) =>
      idx.map((i) => {
        const n = asNumber(targetOf(i));
        if (n === null) throw new TrainingError(`the target is not numeric (found ${JSON.stringify(targetOf(i))})`);
        return n;
      });
    const weights = fitRidge(xTrain, y(train), input.regularization ?? 1e-3);
    const model: StoredModel = {
      format: "tarn-model/1",
      problem_type: "regression",
      features: input.features,
      encodings,
      weights,
    };
    const predicted = test.map((i) => predictLinear(weights, encode(i)));
    return {
      model,
      metrics: regressionMetrics(y(test), predicted),
      rows_trained: train.length,
      rows_tested: test.length,
      classes: null,
    };
  }

  const classes = [...new Set(keep.map((i) => String(input.target[i])))].sort();
  if (classes.length < 2) throw new TrainingError("the target has one class only; classification needs two or more");
  if (classes.length > 100) throw new TrainingError(`the target has ${classes.length} classes; at most 100`);
  const index = new Map(classes.map((c, k) => [c, k]));
  const fit = fitSoftmax(
    xTrain,
    train.map((i) => index.get(String(targetOf(i))) as number),
    classes.length,
    { lambda: input.regularization ?? 1e-2, shouldStop: input.shouldStop, resume: input.resume },
  );
  if (!fit.done) return { paused: true, checkpoint: fit.checkpoint };
  const model: StoredModel = {
    format: "tarn-model/1",
    problem_type: "classification",
    features: input.features,
    encodings,
    classes,
    weights: fit.weights,
  };
  const byName = (i: number) =>
    Object.fromEntries(input.features.map((f, j) => [f, (input.rows[keep[i] as number] as RawValue[])[j]]));
  const predicted = test.map((i) => String(predictWith(model, byName(i)).prediction));
  return {
    model,
    metrics: classificationMetrics(
      test.map((i) => String(targetOf(i))),
      predicted,
      classes,
    ),
    rows_trained: train.length,
    rows_tested: test.length,
    classes,
  };
}
