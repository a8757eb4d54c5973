// Opaque, URL-safe identifiers with a type prefix (`prj_…`, `key_…`).

/** A new id: prefix, underscore, 20 lowercase hex characters (80 random bits). */
export function newId(prefix: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(10));
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return `${prefix}_${s}`;
}
