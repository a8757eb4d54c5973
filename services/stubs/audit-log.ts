// The AuditLog stub of a project; its type comes from the generated Env.

export function auditStub(env: Env, projectId: string) {
  return env.AUDIT_LOG.get(env.AUDIT_LOG.idFromName(`audit:${projectId}`));
}
