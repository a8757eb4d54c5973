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

async function seal(key: CryptoKey, clear: Uint8Array, aad: string, fixedIv?: Uint8Array): Promise<Uint8Array> {
  const iv = fixedIv ?? crypto.getRandomValues(new Uint8Array(12));
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

/**
 * What seals under one data key: the AES key, and a second key (derived from the same bytes) that
 * makes each value's IV, so equal values of one subject seal to equal text (see sealValue).
 */
export interface SealingKey {
  key: CryptoKey;
  siv: Uint8Array;
}

export async function sealingKey(raw: Uint8Array): Promise<SealingKey> {
  const siv = new Uint8Array(createHmac("sha256", raw).update("tarn-siv-v1").digest());
  return { key: await importDataKey(raw), siv };
}

/** A fresh data key: its raw bytes (to wrap), the key to open with and the sealing key. */
export async function newDataKey(): Promise<{ raw: Uint8Array; key: CryptoKey; sealing: SealingKey }> {
  const raw = crypto.getRandomValues(new Uint8Array(32));
  const sealing = await sealingKey(raw);
  return { raw, key: sealing.key, sealing };
}

function importDataKey(raw: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
}

/** The data key wrapped by the KEK, bound to its project and id (a wrapped key moved elsewhere fails to open). */
export async function wrapDataKey(kek: CryptoKey, raw: Uint8Array, projectId: string, keyId: string): Promise<string> {
  return toBase64(await seal(kek, raw, `${projectId}/${keyId}`));
}

/** The raw bytes of a wrapped data key (to seal with: see sealingKey). */
export function unwrapDataKeyBytes(kek: CryptoKey, wrapped: string, projectId: string, keyId: string) {
  return open(kek, fromBase64(wrapped), `${projectId}/${keyId}`);
}

export async function unwrapDataKey(kek: CryptoKey, wrapped: string, projectId: string, keyId: string) {
  return importDataKey(await unwrapDataKeyBytes(kek, wrapped, projectId, keyId));
}

/**
 * A JSON value sealed under a data key (its JSON text, so numbers and booleans come back as they were).
 * The IV is a keyed hash of the value (a synthetic IV, as in SIV modes): a subject's equal values seal to
 * equal text, which Parquet's dictionaries compress and a reader opens once; distinct values get distinct
 * IVs, so an IV is never reused with another plaintext. Across subjects (other keys) equal values differ.
 */
export async function sealValue(k: SealingKey, keyId: string, value: unknown): Promise<string> {
  const clear = te.encode(JSON.stringify(value));
  const iv = new Uint8Array(createHmac("sha256", k.siv).update(keyId).update("\u0000").update(clear).digest()).slice(
    0,
    12,
  );
  const sealed = await seal(k.key, clear, keyId, iv);
  return `${SEALED_PREFIX}${keyId}:${toBase64(sealed)}`;
}

/** The JSON value of a sealed text. Throws when the text was altered or sealed under another key. */
export async function openValue(key: CryptoKey, sealed: string): Promise<unknown> {
  const body = sealed.slice(sealed.indexOf(":", SEALED_PREFIX.length) + 1);
  return JSON.parse(td.decode(await open(key, fromBase64(body), keyIdOf(sealed))));
}
