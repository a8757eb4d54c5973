// Writes to a project's audit log: after the response (waitUntil) by default, before it with AUDIT_SYNC=true.
import type { AuditRecord } from "../../shared/access/audit-chain";
import { readAccessConfig } from "../../shared/access/config";
import { auditStub } from "../stubs/audit-log";

/**
 * Appends one record. The returned promise settles at once unless AUDIT_SYNC=true, when it settles after
 * the entry is stored. A failed append is logged with the record, never dropped silently.
 */
export function recordAudit(
  env: Env,
  waitUntil: (p: Promise<unknown>) => void,
  projectId: string,
  record: AuditRecord,
): Promise<void> {
  const append = auditStub(env, projectId)
    .append([record])
    .then(
      () => undefined,
      (err) =>
        console.error(
          JSON.stringify({ level: "error", msg: "audit append failed", projectId, record, error: String(err) }),
        ),
    );
  if (readAccessConfig(env).auditSync) return append;
  waitUntil(append);
  return Promise.resolve();
}

export { auditStub };
