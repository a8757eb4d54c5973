// Field encryption: AES-256-GCM per value under a data key per (project, subject), data keys wrapped by a
// key-encryption key derived from MASTER_KEY. A sealed value is text, so Parquet files stay readable anywhere.
import { createHmac } from "node:crypto";

/** A sealed value: `tenc1:<key id>:<base64 of iv ‖ ciphertext ‖ tag>`. */
export const SEALED_PREFIX = "tenc1:";

/**
 * The public development master key (base64 of 32 bytes), used when MASTER_KEY is unset outside
 * production. Production refuses to serve with it or without a key.
 */
export const DEV_MASTER_KEY = "dGFybi1kZXZlbG9wbWVudC1tYXN0ZXIta2V5LTMyYiE=";

const te = new TextEncoder();
const td = new TextDecoder();

export function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export function fromBase64(text: string): Uint8Array {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

export function isCiphertext(v: unknown): v is string {
  return typeof v === "string" && v.startsWith(SEALED_PREFIX);
}

/** The id of the data key a sealed value was sealed with. */
export function keyIdOf(sealed: string): string {
  return sealed.slice(SEALED_PREFIX.length, sealed.indexOf(":", SEALED_PREFIX.length));
}

/** Why MASTER_KEY is unfit for production, or null. */
export function masterKeyProblem(secret: string | undefined): string | null {
  if (!secret?.trim()) return "MASTER_KEY is not set";
  if (secret.trim() === DEV_MASTER_KEY) return "MASTER_KEY is the public development key";
  try {
    if (fromBase64(secret.trim()).length !== 32) return "MASTER_KEY must be base64 of 32 random bytes";
  } catch {
    return "MASTER_KEY is not base64";
  }
  return null;
}

/** The master key's bytes: MASTER_KEY, or the development key when unset (production refuses that). */
export function masterKeyBytes(secret: string | undefined): Uint8Array {
  const bytes = fromBase64((secret?.trim() || DEV_MASTER_KEY).trim());
  if (bytes.length !== 32) throw new Error("MASTER_KEY must be base64 of 32 random bytes");
  return bytes;
}

/** The key-encryption key: a purpose-bound derivation of the master key (the master key itself never encrypts). */
export function keyEncryptionKey(master: Uint8Array): Promise<CryptoKey> {
  const raw = createHmac("sha256", master).update("tarn-kek-v1").digest();
  return crypto.subtle.importKey("raw", new Uint8Array(raw), "AES-GCM", false, ["encrypt", "decrypt"]);
}

async function seal(key: CryptoKey, clear: Uint8Array, aad: string): Promise<Uint8Array> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = new Uint8Array(
    await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: te.encode(aad) }, key, clear),
  );
  const out = new Uint8Array(12 + ct.length);
  out.set(iv);
  out.set(ct, 12);
  return out;
}

async function open(key: CryptoKey, sealed: Uint8Array, aad: string): Promise<Uint8Array> {
  return new Uint8Array(
    await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: sealed.subarray(0, 12), additionalData: te.encode(aad) },
      key,
      sealed.subarray(12),
    ),
  );
}

/** A fresh data key: its raw bytes (to wrap) and the key (to seal with). */
export async function newDataKey(): Promise<{ raw: Uint8Array; key: CryptoKey }> {
  const raw = crypto.getRandomValues(new Uint8Array(32));
  return { raw, key: await importDataKey(raw) };
}

function importDataKey(raw: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
}

/** The data key wrapped by the KEK, bound to its project and id (a wrapped key moved elsewhere fails to open). */
export async function wrapDataKey(kek: CryptoKey, raw: Uint8Array, projectId: string, keyId: string): Promise<string> {
  return toBase64(await seal(kek, raw, `${projectId}/${keyId}`));
}

export async function unwrapDataKey(kek: CryptoKey, wrapped: string, projectId: string, keyId: string) {
  return importDataKey(await open(kek, fromBase64(wrapped), `${projectId}/${keyId}`));
}

/** A JSON value sealed under a data key (its JSON text, so numbers and booleans come back as they were). */
export async function sealValue(key: CryptoKey, keyId: string, value: unknown): Promise<string> {
  const sealed = await seal(key, te.encode(JSON.stringify(value)), keyId);
  return `${SEALED_PREFIX}${keyId}:${toBase64(sealed)}`;
}

/** The JSON value of a sealed text. Throws when the text was altered or sealed under another key. */
export async function openValue(key: CryptoKey, sealed: string): Promise<unknown> {
  const body = sealed.slice(sealed.indexOf(":", SEALED_PREFIX.length) + 1);
  return JSON.parse(td.decode(await open(key, fromBase64(body), keyIdOf(sealed))));
}
