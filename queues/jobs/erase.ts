// The erasure job: after the subject's keys are destroyed (at request time), rewrite every lake file that
// holds the subject's rows without them, one atomic manifest change per dataset, delete every replaced
// object at once (older snapshots that listed one answer GONE), purge the quarantine, rebuild rollups,
// audit, and finish with a receipt. Idempotent and resumable: each step finds what is left to do.
import { recordAudit } from "../../services/access/audit";
import { purgeSubject } from "../../services/ingest/quarantine";
import { createJob } from "../../services/jobs/create-job";
import { putLakeFile } from "../../services/lake-objects/put-file";
import { r2AsyncBuffer } from "../../services/lake-objects/r2-buffer";
import { deleteObjectsNow } from "../../services/manifest/gc";
import { type NewFile, publish } from "../../services/manifest/publish";
import { filesNotCollected, type ManifestFile } from "../../services/manifest/read";
import { exportsOf, getRequest, type PrivacyRequest, updateRequest } from "../../services/privacy/requests";
import { unionTypedColumns } from "../../shared/contracts/typed-columns";
import { TarnError } from "../../shared/errors";
import type { LakeRow } from "../../shared/lake/lake-row";
import { readFooter } from "../../shared/parquet/footer";
import { readLakeRowGroups } from "../../shared/parquet/lake-file";
import { mayHoldSubject, receiptHash } from "../../shared/privacy/locate";
import { exportKey } from "../../shared/privacy/subject-export";

/** Test seams for crash injection; production passes none. */
export interface EraseHooks {
  /** Runs after the keys are destroyed and before any file is read. */
  beforeRewrite?: () => void | Promise<void>;
  /** Runs after the rewritten files are in R2 and before they are published. */
  afterWrite?: () => void | Promise<void>;
}

export interface EraseResult {
  files_checked: number;
  files_read: number;
  files_rewritten: number;
  objects_deleted: number;
  rows_removed: number;
  quarantine_purged: number;
}

/** A rewritten object's key: beside the original, named for the erasure and the attempt (a retry never overwrites). */
function erasedKey(key: string, requestId: string, attempt: number): string {
  return key.replace(/\.parquet$/, `-e${requestId.slice(-12)}${attempt}.parquet`);
}

/** The rows of a file, and how many of them are the subject's (rows received after the request are kept). */
async function splitRows(lake: R2Bucket, file: ManifestFile, isSubject: (r: LakeRow) => boolean) {
  const kept: LakeRow[] = [];
  let removed = 0;
  for await (const chunk of readLakeRowGroups(r2AsyncBuffer(lake, file.key, file.bytes)))
    for (const row of chunk) {
      if (isSubject(row)) removed++;
      else kept.push(row);
    }
  return { kept, removed };
}

function actorOfRequest(request: PrivacyRequest): { type: "key" | "user"; id: string } {
  const [type, ...id] = request.actor.split(":");
  return { type: type === "user" ? "user" : "key", id: id.join(":") };
}

export async function runErasure(
  env: Env,
  projectId: string,
  params: Record<string, unknown>,
  job: { id: string; attempt: number },
  hooks: EraseHooks = {},
): Promise<Record<string, unknown>> {
  const requestId = typeof params.request_id === "string" ? params.request_id : "";
  const request = await getRequest(env.DB, projectId, requestId, "erasure");
  if (!request)
    throw new TarnError("VALIDATION_ERROR", "an erase job names its request; create one with POST /v1/privacy/erasure");
  if (request.status === "completed") return request.result ?? {};
  await updateRequest(env.DB, request.id, { status: "rewriting" });
  await hooks.beforeRewrite?.();

  const subject = request.subject;
  const cutoff = Date.parse(request.requestedAt);
  const isSubject = (r: LakeRow) => r.user_id === subject && r.received_at <= cutoff;
  const result: EraseResult = {
    files_checked: 0,
    files_read: 0,
    files_rewritten: 0,
    objects_deleted: 0,
    rows_removed: request.rowsRemoved,
    quarantine_purged: 0,
  };

  // Every object that still exists, current or readable by an older snapshot; one entry per key.
  const rows = await filesNotCollected(env.DB, projectId);
  const byKey = new Map<string, ManifestFile[]>();
  for (const f of rows) byKey.set(f.key, [...(byKey.get(f.key) ?? []), f]);
  const holding: { file: ManifestFile; current: ManifestFile[] }[] = [];
  for (const [, list] of byKey) {
    const file = list[0] as ManifestFile;
    result.files_checked++;
    const footer = await readFooter(r2AsyncBuffer(env.LAKE, file.key, file.bytes));
    if (!mayHoldSubject(footer, subject)) continue;
    holding.push({ file, current: list.filter((f) => f.removedSnapshot === null) });
  }

  // Current files: rewritten without the subject's rows and published per dataset; then deleted.
  const byDataset = new Map<string, { remove: ManifestFile[]; add: NewFile[]; removed: number }>();
  const doomed: string[] = [];
  for (const { file, current } of holding) {
    result.files_read++;
    const { kept, removed } = await splitRows(env.LAKE, file, isSubject);
    if (removed === 0) continue;
    doomed.push(file.key);
    if (current.length === 0) continue;
    const change = byDataset.get(file.dataset) ?? { remove: [], add: [], removed: 0 };
    byDataset.set(file.dataset, change);
    change.remove.push(...current);
    change.removed += removed;
    if (kept.length > 0) {
      const typed = unionTypedColumns([file.columns]);
      const written = await putLakeFile(env.LAKE, erasedKey(file.key, request.id, job.attempt), kept, typed);
      change.add.push({
        ...written,
        dataset: file.dataset,
        layer: file.layer,
        dt: file.dt,
        hr: file.hr,
        columns: file.columns,
      });
    }
  }
  await hooks.afterWrite?.();
  for (const [dataset, change] of byDataset) {
    await publish(env.DB, {
      kind: "erase",
      projectId,
      commitId: `erase:${request.id}:${dataset}:${job.attempt}`,
      remove: change.remove.map((f) => f.id),
      add: change.add,
    });
    result.files_rewritten += change.remove.length;
    result.rows_removed += change.removed;
    // Progress survives a crash: a retry finds these files gone and counts on from here.
    await updateRequest(env.DB, request.id, {
      rowsRemoved: result.rows_removed,
      filesRewritten: request.filesRewritten + result.files_rewritten,
    });
  }
  // Time travel must not bring the rows back: every object that held them goes now, not after GC grace.
  await deleteObjectsNow(env, projectId, doomed);
  result.objects_deleted = new Set(doomed).size;
  result.quarantine_purged = await purgeSubject(env, projectId, subject, request.id);
  // Earlier subject exports hold the rows decrypted: they go too (their links then answer 404).
  const exports = await exportsOf(env.DB, projectId, subject);
  if (exports.length > 0) await env.LAKE.delete(exports.map((e) => exportKey(projectId, e.id)));
  // Rollups of the changed hours are stale from the erase snapshot on (never served); rebuild them now.
  if (byDataset.size > 0) await createJob(env, projectId, "rollup", {}).catch(() => undefined);

  const completedAt = new Date().toISOString();
  const fields = {
    request_id: request.id,
    project_id: projectId,
    user_id: subject,
    requested_at: request.requestedAt,
    keys_destroyed_at: request.keysDestroyedAt,
    completed_at: completedAt,
    rows_removed: result.rows_removed,
    files_rewritten: request.filesRewritten + result.files_rewritten,
    objects_deleted: result.objects_deleted,
    quarantine_purged: result.quarantine_purged,
  };
  const receipt = { ...fields, hash: await receiptHash(fields) };
  await updateRequest(env.DB, request.id, {
    status: "completed",
    completedAt,
    rowsRemoved: result.rows_removed,
    filesRewritten: fields.files_rewritten,
    result: receipt,
  });
  let appended: Promise<unknown> = Promise.resolve();
  await recordAudit(env, (p) => (appended = p), projectId, {
    at: completedAt,
    actor: actorOfRequest(request),
    action: "privacy.erasure.complete",
    target: `erasure/${request.id}`,
    outcome: "ok",
    status: 200,
    request_id: job.id,
    country: null,
    reason: `rows ${result.rows_removed}, files ${fields.files_rewritten}, receipt ${receipt.hash.slice(0, 16)}`,
  });
  await appended;
  return { ...result, receipt };
}
