// Password hashes: PBKDF2-SHA256 through WebCrypto, parameters and salt kept in the stored string.
import { fromBase64Url, toBase64Url } from "./base64url";

/** Cloudflare Workers refuse PBKDF2 above this many iterations in production (`wrangler dev` does not). */
export const PBKDF2_MAX_ITERATIONS = 100_000;
export const PASSWORD_MIN_LENGTH = 12;
const SALT_BYTES = 16;
const HASH_BITS = 256;
const PREFIX = "pbkdf2-sha256";

export class PasswordHashError extends Error {
  readonly code = "ITERATIONS_ABOVE_CAP" as const;
}

/** Fails the way production Workers do, so a raised default is caught by tests, not by users. */
function checkIterations(iterations: number): void {
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > PBKDF2_MAX_ITERATIONS)
    throw new PasswordHashError(
      `PBKDF2 iterations must be 1…${PBKDF2_MAX_ITERATIONS} (the Workers cap); got ${iterations}`,
    );
}

async function derive(password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  checkIterations(iterations);
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(password), "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt: salt as BufferSource, iterations },
    key,
    HASH_BITS,
  );
  return new Uint8Array(bits);
}

/**
 * `pbkdf2-sha256$<iterations>$<salt>$<hash>` (base64url), so the iteration count can be raised later
 * while old hashes still verify.
 */
export async function hashPassword(password: string, iterations = PBKDF2_MAX_ITERATIONS): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
  const hash = await derive(password, salt, iterations);
  return `${PREFIX}$${iterations}$${toBase64Url(salt)}$${toBase64Url(hash)}`;
}

/** True when `password` matches `stored`; false for a wrong password or a string this code cannot read. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [prefix, iter, salt, hash] = stored.split("$");
  if (prefix !== PREFIX || !iter || !salt || !hash) return false;
  const expected = fromBase64Url(hash);
  const actual = await derive(password, fromBase64Url(salt), Number(iter));
  if (actual.length !== expected.length) return false;
  let diff = 0;
  for (let i = 0; i < actual.length; i++) diff |= (actual[i] ?? 0) ^ (expected[i] ?? 0);
  return diff === 0;
}

/** A hash of a random password: verifying against it costs what a real check costs (no user-enumeration timing). */
export const randomPasswordHash = (): Promise<string> =>
  hashPassword(toBase64Url(crypto.getRandomValues(new Uint8Array(16))));
