// A connection's URL sealed at rest: AES-256-GCM under a data key of its own, that key wrapped by the
// KEK derived from MASTER_KEY (as the privacy vault's keys are). Both are bound to the project and the
// connection id, so a sealed row copied to another connection or project does not open.
import { fromBase64, newDataKey, toBase64, unwrapDataKey, wrapDataKey } from "../privacy/field-cipher";

const te = new TextEncoder();
const td = new TextDecoder();

function aad(projectId: string, id: string): Uint8Array {
  return te.encode(`tarn-connection-v1:${projectId}/${id}`);
}

export async function sealSecret(
  kek: CryptoKey,
  projectId: string,
  id: string,
  clear: string,
): Promise<{ wrappedKey: string; secret: string }> {
  const { raw, key } = await newDataKey();
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = new Uint8Array(
    await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: aad(projectId, id) }, key, te.encode(clear)),
  );
  const sealed = new Uint8Array(12 + ct.length);
  sealed.set(iv);
  sealed.set(ct, 12);
  return { wrappedKey: await wrapDataKey(kek, raw, projectId, id), secret: toBase64(sealed) };
}

/** The clear text; throws when the row was altered, moved, or MASTER_KEY changed. */
export async function openSecret(
  kek: CryptoKey,
  projectId: string,
  id: string,
  sealed: { wrappedKey: string; secret: string },
): Promise<string> {
  const key = await unwrapDataKey(kek, sealed.wrappedKey, projectId, id);
  const bytes = fromBase64(sealed.secret);
  const clear = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: bytes.subarray(0, 12), additionalData: aad(projectId, id) },
    key,
    bytes.subarray(12),
  );
  return td.decode(clear);
}
