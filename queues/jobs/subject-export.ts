// The subject export job: every current event of one user, encrypted fields opened, as NDJSON in R2.
import { r2AsyncBuffer } from "../../services/lake-objects/r2-buffer";
import { listFiles } from "../../services/manifest/read";
import { queryDecrypt } from "../../services/privacy/masking";
import { getRequest, updateRequest } from "../../services/privacy/requests";
import { TarnError } from "../../shared/errors";
import type { LakeRow } from "../../shared/lake/lake-row";
import { readFooter } from "../../shared/parquet/footer";
import { readLakeRowGroups } from "../../shared/parquet/lake-file";
import { isCiphertext } from "../../shared/privacy/field-cipher";
import { mayHoldSubject } from "../../shared/privacy/locate";
import { exportKey, exportLine } from "../../shared/privacy/subject-export";

/** The payload with every sealed value opened (NULL where the key was destroyed). */
async function openPayload(payload: string | null, decrypt: ReturnType<typeof queryDecrypt>): Promise<string | null> {
  if (payload === null || !payload.includes("tenc1:")) return payload;
  const o = JSON.parse(payload) as Record<string, unknown>;
  const sealed = Object.values(o).filter(isCiphertext);
  const clear = await decrypt(sealed);
  for (const [k, v] of Object.entries(o)) if (isCiphertext(v)) o[k] = clear.get(v) ?? null;
  return JSON.stringify(o);
}

export async function runSubjectExport(
  env: Env,
  projectId: string,
  params: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const id = typeof params.request_id === "string" ? params.request_id : "";
  const request = await getRequest(env.DB, projectId, id, "export");
  if (!request)
    throw new TarnError("VALIDATION_ERROR", "an export job names its request; create one with POST /v1/privacy/export");
  if (request.status === "completed") return request.result ?? {};
  await updateRequest(env.DB, id, { status: "running" });
  const decrypt = queryDecrypt(env, projectId);
  const rows: LakeRow[] = [];
  let filesRead = 0;
  for (const file of await listFiles(env.DB, projectId)) {
    const buffer = r2AsyncBuffer(env.LAKE, file.key, file.bytes);
    if (!mayHoldSubject(await readFooter(buffer), request.subject)) continue;
    filesRead++;
    for await (const chunk of readLakeRowGroups(buffer))
      for (const row of chunk) if (row.user_id === request.subject) rows.push(row);
  }
  rows.sort((a, b) => a.ts - b.ts || (a.event_id < b.event_id ? -1 : 1));
  const lines: string[] = [];
  for (const row of rows) lines.push(exportLine({ ...row, payload: await openPayload(row.payload, decrypt) }));
  const body = lines.length ? `${lines.join("\n")}\n` : "";
  const key = exportKey(projectId, id);
  await env.LAKE.put(key, body, { httpMetadata: { contentType: "application/x-ndjson" } });
  const result = { rows: rows.length, bytes: new TextEncoder().encode(body).byteLength, files_read: filesRead };
  await updateRequest(env.DB, id, { status: "completed", completedAt: new Date().toISOString(), result });
  return result;
}
