// Writes to and reads from a project's audit log; appends go out after the response (waitUntil).
import type { AuditRecord } from "../../shared/access/audit-chain";
import { auditStub } from "../stubs/audit-log";

/** Appends off the response path; a failed append is logged with the record, never dropped silently. */
export function recordAudit(
  env: Env,
  waitUntil: (p: Promise<unknown>) => void,
  projectId: string,
  record: AuditRecord,
) {
  waitUntil(
    auditStub(env, projectId)
      .append([record])
      .catch((err) =>
        console.error(
          JSON.stringify({ level: "error", msg: "audit append failed", projectId, record, error: String(err) }),
        ),
      ),
  );
}

export { auditStub };
