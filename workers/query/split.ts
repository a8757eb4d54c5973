// QuerySplit: the entrypoint a coordinating /v1/query calls (through ctx.exports, a loopback
// service binding) to read part of a large scan in another invocation, with its own limits.
import { WorkerEntrypoint } from "cloudflare:workers";
import {
  type FanOut,
  type QueryCatalog,
  QueryError,
  type QueryErrorCode,
  runSplit,
  type SplitRequest,
  type SplitResult,
} from "../../shared/query";
import { footers } from "./footers";
import { r2AsyncBuffer } from "./r2-buffer";

export interface ProjectSplit extends SplitRequest {
  projectId: string;
}

/**
 * Errors travel as data (an Error subclass loses its code crossing RPC): a QueryError's code, or
 * INVALID_SPLIT for a request the coordinator should never send.
 */
export type SplitAnswer =
  | { ok: true; result: SplitResult }
  | { ok: false; code: QueryErrorCode | "INVALID_SPLIT"; message: string };

class InvalidSplit extends Error {}

/** A split's answer crosses one RPC call, whose serialized message Cloudflare caps at 32 MiB. */
const MAX_PARTIAL_BYTES = 24 * 1024 * 1024;

/** A catalog that opens only the split's files, and only inside the project's part of the lake. */
function splitCatalog(lake: R2Bucket, request: ProjectSplit): QueryCatalog {
  const prefix = `lake/${request.projectId}/`;
  const sizes = new Map<string, number>();
  for (const f of request.files) {
    if (!f.key.startsWith(prefix) || f.bytes === undefined) {
      throw new InvalidSplit(`split file ${f.key} is not a sized file of project ${request.projectId}`);
    }
    sizes.set(f.key, f.bytes);
  }
  return {
    listFiles: () => Promise.reject(new Error("a split reads only the files it is given")),
    async openFile(key) {
      const size = sizes.get(key);
      if (size === undefined) throw new Error(`file ${key} is not in this split`);
      return r2AsyncBuffer(lake, key, size);
    },
  };
}

export class QuerySplit extends WorkerEntrypoint<Env> {
  /** Run one split of a query and answer with its partial result. */
  async scan(request: ProjectSplit): Promise<SplitAnswer> {
    try {
      const result = await runSplit(request, splitCatalog(this.env.LAKE, request), {
        footerCache: footers,
        maxPartialBytes: MAX_PARTIAL_BYTES,
      });
      return { ok: true, result };
    } catch (err) {
      if (err instanceof QueryError) return { ok: false, code: err.code, message: err.message };
      if (err instanceof InvalidSplit) return { ok: false, code: "INVALID_SPLIT", message: err.message };
      throw err;
    }
  }
}

/** The split limits from configuration; a value that is not a positive number keeps the default. */
function positive(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return Number.isFinite(n) && n > 0 ? n : fallback;
}

/**
 * Fan-out for one project's query: splits run as QuerySplit invocations of this same Worker.
 * `exports` is the invocation's ctx.exports.
 */
export function projectFanOut(env: Env, exports: Cloudflare.Exports, projectId: string): FanOut {
  return {
    filesPerSplit: positive(env.QUERY_SPLIT_FILES, 64),
    rowsPerSplit: positive(env.QUERY_SPLIT_ROWS, 4_000_000),
    maxSplits: positive(env.QUERY_MAX_SPLITS, 24),
    concurrency: positive(env.QUERY_SPLIT_CONCURRENCY, 6),
    async run(request) {
      const answer = (await exports.QuerySplit.scan({ ...request, projectId })) as SplitAnswer;
      if (answer.ok) return answer.result;
      if (answer.code === "INVALID_SPLIT") throw new Error(answer.message);
      throw new QueryError(answer.code, answer.message);
    },
  };
}
