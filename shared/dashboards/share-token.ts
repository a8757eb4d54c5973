// Share tokens: 256 random bits, URL-safe, recognisable by prefix; stored only as their SHA-256.
import { toBase64Url } from "../access/base64url";

export const SHARE_TOKEN_PREFIX = "dsh_";

export function newShareToken(): string {
  return SHARE_TOKEN_PREFIX + toBase64Url(crypto.getRandomValues(new Uint8Array(32)));
}

/** A token's look: a wrong shape is answered 404 without touching the database. */
export function looksLikeShareToken(token: string): boolean {
  return /^dsh_[A-Za-z0-9_-]{43}$/.test(token);
}

export async function shareTokenHash(token: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token)));
  let hex = "";
  for (const b of digest) hex += b.toString(16).padStart(2, "0");
  return hex;
}
