// Model metrics as API.md names them: regression rmse, mae, r2; classification accuracy, precision, recall, f1.

export function regressionMetrics(actual: number[], predicted: number[]) {
  const n = actual.length;
  const mean = actual.reduce((a, b) => a + b, 0) / n;
  let se = 0;
  let ae = 0;
  let tot = 0;
  actual.forEach((y, i) => {
    const e = y - (predicted[i] as number);
    se += e * e;
    ae += Math.abs(e);
    tot += (y - mean) ** 2;
  });
  return { rmse: Math.sqrt(se / n), mae: ae / n, r2: tot > 0 ? 1 - se / tot : 0 };
}

/**
 * Binary: precision, recall and f1 of the positive class (the last of the sorted classes, e.g.
 * "1" or "true"). Multiclass: their macro averages over the classes.
 */
export function classificationMetrics(actual: string[], predicted: string[], classes: string[]) {
  const n = actual.length;
  const correct = actual.filter((a, i) => a === predicted[i]).length;
  const per = classes.map((c) => {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    actual.forEach((a, i) => {
      const p = predicted[i];
      if (p === c && a === c) tp++;
      else if (p === c) fp++;
      else if (a === c) fn++;
    });
    const precision = tp + fp > 0 ? tp / (tp + fp) : 0;
    const recall = tp + fn > 0 ? tp / (tp + fn) : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    return { precision, recall, f1 };
  });
  const pick = classes.length === 2 ? [per[1] as (typeof per)[number]] : per;
  const avg = (k: "precision" | "recall" | "f1") => pick.reduce((s, p) => s + p[k], 0) / pick.length;
  return { accuracy: n > 0 ? correct / n : 0, precision: avg("precision"), recall: avg("recall"), f1: avg("f1") };
}
