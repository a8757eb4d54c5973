// QuerySplit: the entrypoint a coordinating /v1/query calls (through ctx.exports, a loopback
// service binding) to read part of a large scan in another invocation, with its own limits.
import { WorkerEntrypoint } from "cloudflare:workers";
import { queryFileBuffer } from "../services/lake-objects/query-bytes";
import { privacyUnder, queryPrivacy } from "../services/privacy/masking";
import type { ProjectSplit, SplitAnswer } from "../services/query/fan-out";
import { footers } from "../services/query/footers";
import { type QueryCatalog, QueryError, runSplit } from "../shared/query";

class InvalidSplit extends Error {}

/**
 * A split's answer crosses one RPC call, whose serialized message Cloudflare caps at 32 MiB; a
 * bigger one is read by the coordinator instead.
 */
const MAX_PARTIAL_BYTES = 24 * 1024 * 1024;

/** A catalog that opens only the split's files, and only inside the project's part of the lake. */
function splitCatalog(env: Env, request: ProjectSplit): QueryCatalog {
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
      return queryFileBuffer(env, key, size);
    },
  };
}

export class QuerySplit extends WorkerEntrypoint<Env> {
  /** Run one split of a query and answer with its partial result. */
  async scan(request: ProjectSplit): Promise<SplitAnswer> {
    try {
      const catalog = splitCatalog(this.env, request);
      // The split masks and decrypts exactly as its coordinator does.
      catalog.guard = (
        request.policy
          ? privacyUnder(this.env, request.projectId, request.policy)
          : await queryPrivacy(this.env, request.projectId, request.unmask === true)
      ).guard;
      const result = await runSplit(request, catalog, {
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
