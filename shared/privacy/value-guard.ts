// The engine's ValueGuard for one principal: decrypts encrypted fields, then masks what the principal
// may not see, as values leave the files, so every later step (WHERE, JOIN, GROUP BY, output) sees masks.
import type { ValueGuard } from "../query/catalog";
import type { Vec } from "../query/vector";
import { isCiphertext } from "./field-cipher";
import { type MaskKind, maskerOf, textOf } from "./masks";
import { columnGuarded, datasetPrivacy, type PrivacyPolicy } from "./policy";

/** Clear values of ciphertexts, all at once; a ciphertext whose key is destroyed maps to null. */
export type Decrypt = (ciphertexts: string[]) => Promise<Map<string, unknown>>;

/** Each value of a vector (dictionaries by their entries), rewritten by `f`, as strings or NULL. */
function mapStrings(v: Vec, f: (value: unknown) => unknown): Vec {
  switch (v.kind) {
    case "dict":
      return { ...v, dict: mapStrings(v.dict, f) };
    case "const":
      return { kind: "const", n: v.n, value: f(v.value) };
    case "str":
    case "obj":
      return { kind: v.kind, n: v.n, values: v.values.map((x) => f(x ?? null)) as never };
    case "num":
      // Numbers, booleans and times have no masked form of their type: masked, they read NULL.
      return { kind: "const", n: v.n, value: null };
  }
}

function collect(v: Vec, out: unknown[]): void {
  if (v.kind === "dict") collect(v.dict, out);
  else if (v.kind === "const") out.push(v.value);
  else if (v.kind === "str" || v.kind === "obj") for (const x of v.values) out.push(x);
}

function parseObject(text: unknown): Record<string, unknown> | null {
  if (typeof text !== "string") return null;
  try {
    const o = JSON.parse(text) as unknown;
    return o && typeof o === "object" && !Array.isArray(o) ? (o as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * A guard applying `policy`: `hmacKey` is the project's masking key (hash masks), `decrypt` opens
 * encrypted fields (keys cached by its owner for the query).
 */
export function privacyGuard(policy: PrivacyPolicy, hmacKey: Uint8Array, decrypt: Decrypt): ValueGuard {
  const maskers = new Map<MaskKind, (value: unknown) => unknown>();
  const masker = (kind: MaskKind) => {
    const known = maskers.get(kind);
    if (known) return known;
    const m = maskerOf(kind, hmacKey);
    maskers.set(kind, m);
    return m;
  };
  return {
    guards: (dataset, column) => columnGuarded(policy, dataset, column),
    async rewrite(dataset, column, values) {
      const d = datasetPrivacy(policy, dataset);
      const raw: unknown[] = [];
      collect(values, raw);
      if (column === "payload") {
        const parsed = new Map<string, Record<string, unknown> | null>();
        const sealed: string[] = [];
        for (const text of raw) {
          if (typeof text !== "string" || parsed.has(text)) continue;
          const o = parseObject(text);
          parsed.set(text, o);
          if (o) for (const f of d.encryptedFields) if (isCiphertext(o[f])) sealed.push(o[f] as string);
        }
        const clear = sealed.length ? await decrypt(sealed) : new Map<string, unknown>();
        return mapStrings(values, (text) => {
          const o = typeof text === "string" ? parsed.get(text) : null;
          if (!o) return text;
          const out = { ...o };
          for (const f of d.encryptedFields) if (isCiphertext(out[f])) out[f] = clear.get(out[f] as string) ?? null;
          if (!policy.unmask)
            for (const [f, kind] of d.fields) if (f in out && out[f] !== null) out[f] = masker(kind)(out[f]);
          return JSON.stringify(out);
        });
      }
      const mask = !policy.unmask ? d.columns.get(column) : undefined;
      const finish = mask ? masker(mask) : (x: unknown) => x;
      if (!d.encryptedColumns.has(column)) return mapStrings(values, finish);
      const sealed = raw.filter(isCiphertext);
      const clear = sealed.length ? await decrypt(sealed) : new Map<string, unknown>();
      return mapStrings(values, (x) => {
        if (!isCiphertext(x)) return finish(x);
        const v = clear.get(x);
        return v === null || v === undefined ? null : finish(textOf(v));
      });
    },
  };
}
