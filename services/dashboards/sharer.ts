// Who shared a link, as they are now: a shared dashboard never shows rows its sharer could not see.
import { and, eq, isNull } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { apiKeys } from "../../shared/db/schema";
import type { ProjectPrincipal } from "../../shared/principal";
import type { Scope } from "../../shared/scopes";
import { userById } from "../access/user-store";

/**
 * The principal that made a share (`created_by`: a user id or an API key id), or null when it is gone
 * (a deleted or disabled user, a revoked key): its links then stop answering.
 */
export async function sharerPrincipal(
  db: D1Database,
  projectId: string,
  createdBy: string,
): Promise<ProjectPrincipal | null> {
  const user = await userById(db, projectId, createdBy);
  if (user) {
    if (user.disabled) return null;
    return {
      kind: "user",
      projectId,
      userId: user.id,
      email: user.email,
      role: user.role,
      tier: user.tier,
      attributes: user.attributes,
    };
  }
  const key = await drizzle(db)
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.id, createdBy), eq(apiKeys.projectId, projectId), isNull(apiKeys.revokedAt)))
    .get();
  if (!key) return null;
  return { kind: "key", projectId, keyId: key.id, scopes: key.scopes as Scope[], tier: key.tier };
}
