// How /v1/query runs splits: as QuerySplit invocations of this same Worker (split.ts), through the
// invocation's ctx.exports. Kept apart from split.ts, which needs the runtime's cloudflare:workers.
import { readConfig } from "../../shared/config";
import type { PrivacyPolicy } from "../../shared/privacy/policy";
import {
  type FanOut,
  FinalSplitError,
  QueryError,
  type QueryErrorCode,
  type SplitRequest,
  type SplitResult,
} from "../../shared/query";

export interface ProjectSplit extends SplitRequest {
  projectId: string;
  /** The asking principal sees clear values; otherwise the split masks as the coordinator does. */
  unmask?: boolean;
  /** The coordinator's privacy policy (so splits need not read it again); read by the split when absent. */
  policy?: PrivacyPolicy;
}

/**
 * Errors travel as data (an Error subclass loses its code crossing RPC): a QueryError's code, or
 * INVALID_SPLIT for a request the coordinator should never send.
 */
export type SplitAnswer =
  | { ok: true; result: SplitResult }
  | { ok: false; code: QueryErrorCode | "INVALID_SPLIT"; message: string };

/**
 * Fan-out for one project's query: splits run as QuerySplit invocations of this same Worker.
 * `exports` is the invocation's ctx.exports.
 */
export function projectFanOut(
  env: Env,
  exports: Cloudflare.Exports,
  projectId: string,
  unmask = false,
  policy?: PrivacyPolicy,
): FanOut {
  const config = readConfig(env);
  return {
    filesPerSplit: config.querySplitFiles,
    rowsPerSplit: config.querySplitRows,
    maxSplits: config.queryMaxSplits,
    concurrency: config.querySplitConcurrency,
    async run(request) {
      const answer = (await exports.QuerySplit.scan({ ...request, projectId, unmask, policy })) as SplitAnswer;
      if (answer.ok) return answer.result;
      if (answer.code === "INVALID_SPLIT") throw new FinalSplitError(answer.message);
      throw new QueryError(answer.code, answer.message);
    },
  };
}
