// Logistic regression, binary and multiclass alike as softmax over K classes (K = 2 is the binary
// logistic model with redundant parameters), L2-penalized, fitted by full-batch gradient descent
// with a step that halves whenever the loss rises. Standardized inputs keep it well conditioned.

export interface SoftmaxModel {
  /** weights[k] = [intercept, w1, …] of class k. */
  weights: number[][];
}

export function softmax(scores: number[]): number[] {
  const max = Math.max(...scores);
  const e = scores.map((s) => Math.exp(s - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

function scoresOf(weights: number[][], row: number[]): number[] {
  return weights.map((w) => {
    let s = w[0] as number;
    row.forEach((x, j) => {
      s += (w[j + 1] as number) * x;
    });
    return s;
  });
}

export function predictProba(model: SoftmaxModel, row: number[]): number[] {
  return softmax(scoresOf(model.weights, row));
}

export interface FitOptions {
  lambda: number;
  maxIterations?: number;
  /** Called between iterations; returning true pauses the fit (a time slice or the deadline). */
  shouldStop?: () => boolean;
  /** Where an earlier slice paused: the fit goes on from there, exactly as if it had not paused. */
  resume?: FitCheckpoint;
}

/** A paused fit: its weights, step size and iteration count (plain JSON, kept in R2 between jobs). */
export interface FitCheckpoint {
  weights: number[][];
  step: number;
  iteration: number;
}

export interface FitResult extends SoftmaxModel {
  /** False when `shouldStop` paused it: `checkpoint` continues it. */
  done: boolean;
  checkpoint: FitCheckpoint;
}

/** `labels[i]` is the class index of row i. */
export function fitSoftmax(x: number[][], labels: number[], classes: number, options: FitOptions): FitResult {
  const n = x.length;
  const width = (x[0]?.length ?? 0) + 1;
  let weights = options.resume?.weights ?? Array.from({ length: classes }, () => new Array<number>(width).fill(0));
  let step = options.resume?.step ?? 1;
  let it = options.resume?.iteration ?? 0;
  const lossAndGradient = (w: number[][]) => {
    const grad = Array.from({ length: classes }, () => new Array<number>(width).fill(0));
    let loss = 0;
    x.forEach((row, i) => {
      const p = softmax(scoresOf(w, row));
      const y = labels[i] as number;
      loss -= Math.log(Math.max(1e-15, p[y] as number));
      for (let k = 0; k < classes; k++) {
        const g = (p[k] as number) - (k === y ? 1 : 0);
        const gk = grad[k] as number[];
        gk[0] = (gk[0] as number) + g;
        row.forEach((v, j) => {
          gk[j + 1] = (gk[j + 1] as number) + g * v;
        });
      }
    });
    loss /= n;
    for (let k = 0; k < classes; k++)
      for (let j = 0; j < width; j++) {
        const wk = (w[k] as number[])[j] as number;
        const gk = grad[k] as number[];
        gk[j] = (gk[j] as number) / n + (j > 0 ? options.lambda * wk : 0);
        if (j > 0) loss += (options.lambda / 2) * wk * wk;
      }
    return { loss, grad };
  };
  let current = lossAndGradient(weights);
  const pause = () => ({ weights, done: false, checkpoint: { weights, step, iteration: it } });
  const finish = () => ({ weights, done: true, checkpoint: { weights, step, iteration: it } });
  for (; it < (options.maxIterations ?? 300); it++) {
    if (options.shouldStop?.()) return pause();
    const next = weights.map((w, k) => w.map((v, j) => v - step * ((current.grad[k] as number[])[j] as number)));
    const trial = lossAndGradient(next);
    if (trial.loss > current.loss) {
      step /= 2;
      if (step < 1e-6) return finish();
      continue;
    }
    const improvement = current.loss - trial.loss;
    weights = next;
    current = trial;
    step *= 1.1;
    if (improvement < 1e-9) return finish();
  }
  return finish();
}
