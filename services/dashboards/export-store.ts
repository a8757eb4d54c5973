// Exported files in R2 under `exports/`: an unguessable name is the download URL's only secret, and
// each file carries its expiry (a download after it deletes the file).
import { toBase64Url } from "../../shared/access/base64url";

export const EXPORT_TTL_MS = 60 * 60 * 1000;
const EXPORT_PREFIX = "exports/";
const CONTENT_TYPES = { png: "image/png", pdf: "application/pdf" } as const;
export type ExportFormat = keyof typeof CONTENT_TYPES;

export async function storeExport(
  env: Env,
  projectId: string,
  dashboard: { id: string; name: string },
  format: ExportFormat,
  body: Uint8Array,
): Promise<{ file: string; expiresAt: string }> {
  const file = `${toBase64Url(crypto.getRandomValues(new Uint8Array(24)))}.${format}`;
  const expiresAt = new Date(Date.now() + EXPORT_TTL_MS).toISOString();
  const safeName = dashboard.name.replace(/[^\w .-]/g, "_").slice(0, 80) || "dashboard";
  await env.LAKE.put(EXPORT_PREFIX + file, body, {
    httpMetadata: {
      contentType: CONTENT_TYPES[format],
      contentDisposition: `inline; filename="${safeName}.${format}"`,
    },
    customMetadata: { project: projectId, dashboard: dashboard.id, expires_at: expiresAt },
  });
  return { file, expiresAt };
}

/** The stored export `file` while it has not expired (an expired one is deleted), else null. */
export async function readExport(env: Env, file: string): Promise<R2ObjectBody | null> {
  if (!/^[A-Za-z0-9_-]{32}\.(png|pdf)$/.test(file)) return null;
  const object = await env.LAKE.get(EXPORT_PREFIX + file);
  if (!object) return null;
  const expires = Date.parse(object.customMetadata?.expires_at ?? "");
  if (!(expires > Date.now())) {
    await env.LAKE.delete(EXPORT_PREFIX + file);
    return null;
  }
  return object;
}
