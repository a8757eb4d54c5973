// Whether a new contract version still accepts every payload the previous one accepted ("backward")
// or not ("breaking"), with the reasons a producer or reader would care about.

export type Compatibility = "backward" | "breaking";

type Schema = Record<string, unknown>;

const isObject = (v: unknown): v is Schema => v !== null && typeof v === "object" && !Array.isArray(v);

/** The JSON types a schema admits at its top (`integer` is admitted by `number`); null = any. */
function typesOf(s: Schema): Set<string> | null {
  if (s.type === undefined) return null;
  return new Set(Array.isArray(s.type) ? (s.type as string[]) : [s.type as string]);
}

function admitsType(types: Set<string> | null, t: string): boolean {
  return types === null || types.has(t) || (t === "integer" && types.has("number"));
}

function describeTypes(types: Set<string> | null): string {
  return types === null ? "any" : [...types].join("|");
}

function compareNode(before: Schema, after: Schema, at: string, reasons: string[]): void {
  const oldTypes = typesOf(before);
  const newTypes = typesOf(after);
  const lost =
    oldTypes === null ? (newTypes === null ? [] : ["any"]) : [...oldTypes].filter((t) => !admitsType(newTypes, t));
  if (lost.length > 0)
    reasons.push(`${at || "/"}: type changed from ${describeTypes(oldTypes)} to ${describeTypes(newTypes)}`);

  const oldRequired = new Set((before.required as string[] | undefined) ?? []);
  for (const r of (after.required as string[] | undefined) ?? [])
    if (!oldRequired.has(r)) reasons.push(`${at}/${r}: became required`);

  const oldProps = isObject(before.properties) ? before.properties : {};
  const newProps = isObject(after.properties) ? after.properties : {};
  for (const [name, sub] of Object.entries(oldProps)) {
    const next = newProps[name];
    if (next === undefined) {
      // Removing a declared field breaks readers (its typed column disappears) even when it stays allowed.
      reasons.push(`${at}/${name}: was removed`);
    } else if (isObject(sub) && isObject(next)) compareNode(sub, next, `${at}/${name}`, reasons);
    else if (next === false && sub !== false) reasons.push(`${at}/${name}: is no longer allowed`);
  }
  if (after.additionalProperties === false && before.additionalProperties !== false)
    reasons.push(`${at || "/"}: additionalProperties became false`);
  if (isObject(before.items) && isObject(after.items)) compareNode(before.items, after.items, `${at}/items`, reasons);

  if (Array.isArray(after.enum)) {
    const allowed = new Set(after.enum.map((v) => JSON.stringify(v)));
    const dropped = Array.isArray(before.enum)
      ? before.enum.filter((v) => !allowed.has(JSON.stringify(v)))
      : ["(any value)"];
    if (dropped.length > 0)
      reasons.push(`${at || "/"}: enum no longer allows ${dropped.map((v) => JSON.stringify(v)).join(", ")}`);
  }
  if (after.const !== undefined && JSON.stringify(after.const) !== JSON.stringify(before.const))
    reasons.push(`${at || "/"}: const changed`);
  if (typeof after.pattern === "string" && after.pattern !== before.pattern)
    reasons.push(`${at || "/"}: pattern changed to ${after.pattern}`);
  if (after.format !== undefined && after.format !== before.format)
    reasons.push(`${at || "/"}: format changed to ${String(after.format)}`);
  tighter(before, after, at, reasons);
}

/** Raised lower bounds and lowered upper bounds. */
function tighter(before: Schema, after: Schema, at: string, reasons: string[]): void {
  const lower = ["minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties"];
  const upper = ["maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties"];
  for (const k of lower) {
    const a = after[k];
    const b = before[k];
    if (typeof a === "number" && (typeof b !== "number" || a > b)) reasons.push(`${at || "/"}: ${k} raised to ${a}`);
  }
  for (const k of upper) {
    const a = after[k];
    const b = before[k];
    if (typeof a === "number" && (typeof b !== "number" || a < b)) reasons.push(`${at || "/"}: ${k} lowered to ${a}`);
  }
  if (typeof after.multipleOf === "number" && after.multipleOf !== before.multipleOf)
    reasons.push(`${at || "/"}: multipleOf changed to ${after.multipleOf}`);
}

/**
 * Compares two versions' schemas of `data.payload`. Backward: every payload valid before is still
 * valid (fields added as optional, types widened, bounds relaxed). Breaking: a new required field, a
 * removed field, a narrowed or changed type, a tighter bound, a narrowed enum. The check is
 * conservative: combinators (`allOf`, `oneOf`, …) count as breaking when they change at all.
 */
export function compareSchemas(before: unknown, after: unknown): { compatibility: Compatibility; reasons: string[] } {
  const reasons: string[] = [];
  if (!isObject(before) || !isObject(after))
    return { compatibility: "breaking", reasons: ["/: the schema changed shape"] };
  compareNode(before, after, "", reasons);
  for (const k of [
    "allOf",
    "anyOf",
    "oneOf",
    "not",
    "if",
    "then",
    "else",
    "$defs",
    "patternProperties",
    "dependentRequired",
    "dependentSchemas",
  ]) {
    if (after[k] !== undefined && JSON.stringify(after[k]) !== JSON.stringify(before[k]))
      reasons.push(`/: ${k} changed (combinators are compared as a whole)`);
  }
  return { compatibility: reasons.length > 0 ? "breaking" : "backward", reasons };
}
