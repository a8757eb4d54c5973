// Trained models for SQL's predict('<model_id>', …): the ids the query names, loaded before it runs.
import { predictWith, type StoredModel } from "../../shared/ml/model";
import type { SqlModel } from "../../shared/query";
import { loadModel } from "../ai/models";

const PREDICT = /\bpredict\s*\(\s*'((?:[^']|'')*)'/gi;

function asSqlModel(model: StoredModel): SqlModel {
  return {
    type: model.problem_type === "regression" ? "DOUBLE" : "VARCHAR",
    features: model.features,
    predict: (values) =>
      predictWith(
        model,
        Object.fromEntries(
          model.features.map((f, i) => {
            const v = values[i];
            const raw = typeof v === "bigint" ? Number(v) : v instanceof Date ? v.getTime() : v;
            return [f, raw as number | string | boolean | null];
          }),
        ),
      ).prediction,
  };
}

/** The models `sql` calls (404 for an unknown id, 409 while one trains), or undefined when it calls none. */
export async function sqlModels(
  env: Pick<Env, "DB" | "LAKE">,
  projectId: string,
  sql: string,
): Promise<Record<string, SqlModel> | undefined> {
  const ids = [...new Set([...sql.matchAll(PREDICT)].map((m) => (m[1] as string).replace(/''/g, "'")))];
  if (ids.length === 0) return undefined;
  const loaded = await Promise.all(
    ids.map(async (id) => [id, asSqlModel(await loadModel(env, projectId, id))] as const),
  );
  return Object.fromEntries(loaded);
}
