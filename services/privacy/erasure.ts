// Erasure requests: the subject's data keys are destroyed while the request is answered (every encrypted
// field of the subject reads NULL from then on, at every snapshot), then a job removes the rows themselves.
import { newId } from "../../shared/ids";
import { createJob } from "../jobs/create-job";
import { destroySubjectKeys } from "./key-vault";
import { insertRequest, updateRequest } from "./requests";

export async function requestErasure(
  env: Env,
  projectId: string,
  subject: string,
  actor: string,
): Promise<{ id: string; status: string; requested_at: string }> {
  const id = newId("er");
  const requestedAt = new Date().toISOString();
  await insertRequest(env.DB, {
    id,
    projectId,
    kind: "erasure",
    subject,
    status: "requested",
    actor,
    requestedAt,
  });
  const destroyed = await destroySubjectKeys(env.DB, projectId, subject);
  const keysDestroyedAt = new Date().toISOString();
  await updateRequest(env.DB, id, {
    status: "keys_destroyed",
    keysDestroyedAt,
    result: { keys_destroyed: destroyed },
  });
  try {
    await createJob(env, projectId, "erase", { request_id: id });
  } catch (err) {
    // The keys are gone already; the rewrite is retried by POSTing the same user again (a new request).
    await updateRequest(env.DB, id, { status: "failed", error: "the jobs queue refused the rewrite; request again" });
    throw err;
  }
  return { id, status: "keys_destroyed", requested_at: requestedAt };
}
