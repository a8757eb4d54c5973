// API key material: generation, hashing and constant-time comparison (Web Crypto only).

const KEY_PREFIX = "tk_";
const KEY_RANDOM_BYTES = 32;

function base64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function hex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

/** A new secret key: `tk_` + 32 random bytes, base64url (43 chars). Shown once, never stored. */
export function generateApiKey(): string {
  return KEY_PREFIX + base64url(crypto.getRandomValues(new Uint8Array(KEY_RANDOM_BYTES)));
}

/** True when the string has the shape of a Tarn API key (cheap check before hashing). */
export function looksLikeApiKey(token: string): boolean {
  return token.startsWith(KEY_PREFIX) && token.length >= 40 && token.length <= 256;
}

/** SHA-256 of the key, hex: the only form a key is stored in. */
export async function hashApiKey(key: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key));
  return hex(new Uint8Array(digest));
}

/** Digests of configured secrets (the second argument of constantTimeEqual), computed once per isolate. */
const secretDigests = new Map<string, Promise<ArrayBuffer>>();
const MAX_SECRET_DIGESTS = 16;

function sha256(s: string): Promise<ArrayBuffer> {
  return crypto.subtle.digest("SHA-256", new TextEncoder().encode(s));
}

/**
 * Constant-time equality of a presented string and a configured secret, by comparing their SHA-256
 * digests so neither length nor content leaks through timing. The secret's digest is kept per isolate
 * (secrets are a handful of vars), so a request hashes only what it presented.
 */
export async function constantTimeEqual(presented: string, secret: string): Promise<boolean> {
  let known = secretDigests.get(secret);
  if (!known) {
    if (secretDigests.size >= MAX_SECRET_DIGESTS) secretDigests.clear();
    known = sha256(secret);
    secretDigests.set(secret, known);
  }
  const [da, db] = await Promise.all([sha256(presented), known]);
  const x = new Uint8Array(da);
  const y = new Uint8Array(db);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}
