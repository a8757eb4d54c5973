// Ridge regression: (XᵀX + λI)w = Xᵀy on standardized features, the intercept unpenalized, solved by ml-matrix.
import { Matrix, solve } from "ml-matrix";

/** Weights of a fitted model: the intercept first, then one per encoded feature. */
export function fitRidge(x: number[][], y: number[], lambda: number): number[] {
  const width = (x[0]?.length ?? 0) + 1;
  const design = new Matrix(x.map((row) => [1, ...row]));
  const gram = design.transpose().mmul(design);
  // λ scales with the row count so the penalty means the same for 100 rows and 100,000. A floor of
  // 1e-9 keeps the system solvable when one-hot columns and the intercept are collinear (λ = 0).
  const penalty = Math.max(lambda, 1e-9) * x.length;
  for (let j = 1; j < width; j++) gram.set(j, j, gram.get(j, j) + penalty);
  const rhs = design.transpose().mmul(Matrix.columnVector(y));
  return solve(gram, rhs).getColumn(0);
}

export function predictLinear(weights: number[], row: number[]): number {
  let v = weights[0] as number;
  row.forEach((x, j) => {
    v += (weights[j + 1] as number) * x;
  });
  return v;
}
