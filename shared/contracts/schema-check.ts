// Checks a contract's JSON Schema before it is stored: shape of every keyword, local references
// only, safe patterns, bounded cost. What passes here can be validated at the edge in bounded time.
import { unsafePattern } from "./redos";

/** Largest schema text a contract may hold (bytes, UTF-8). */
export const MAX_SCHEMA_BYTES = 64 * 1024;
/** Deepest nesting of subschemas. */
export const MAX_SCHEMA_DEPTH = 32;
/** `uniqueItems` compares every pair of items: it needs a `maxItems` at most this. */
export const MAX_UNIQUE_ITEMS = 100;
/** Branches of one `anyOf`/`oneOf`: each may be tried on every value beneath it. */
export const MAX_BRANCHES = 16;

export const DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema";

const TYPES = new Set(["array", "boolean", "integer", "null", "number", "object", "string"]);
const SCHEMA_KEYWORDS = new Set([
  "items",
  "additionalProperties",
  "unevaluatedProperties",
  "unevaluatedItems",
  "contains",
  "not",
  "if",
  "then",
  "else",
  "propertyNames",
  "contentSchema",
]);
const SCHEMA_MAP_KEYWORDS = new Set(["properties", "patternProperties", "$defs", "dependentSchemas"]);
const SCHEMA_LIST_KEYWORDS = new Set(["prefixItems", "allOf", "anyOf", "oneOf"]);
const NUMBER_KEYWORDS = new Set(["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"]);
const COUNT_KEYWORDS = new Set([
  "minLength",
  "maxLength",
  "minItems",
  "maxItems",
  "minProperties",
  "maxProperties",
  "minContains",
  "maxContains",
]);
const STRING_KEYWORDS = new Set([
  "title",
  "description",
  "format",
  "$comment",
  "$anchor",
  "$dynamicAnchor",
  "contentEncoding",
  "contentMediaType",
]);
const FREE_KEYWORDS = new Set(["const", "default", "examples", "deprecated", "readOnly", "writeOnly", "$vocabulary"]);
const CLASSIFICATIONS = new Set(["public", "internal", "confidential", "restricted"]);
const MASKS = new Set(["redact", "hash", "partial"]);

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
const isCount = (v: unknown) => typeof v === "number" && Number.isInteger(v) && v >= 0;

/** Resolves a local JSON pointer (`#/a/b`) against the root schema. */
function resolvePointer(root: unknown, ref: string): boolean {
  if (ref === "#") return true;
  if (!ref.startsWith("#/")) return false;
  let node: unknown = root;
  for (const raw of ref.slice(2).split("/")) {
    const part = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
    if (Array.isArray(node)) node = node[Number(part)];
    else if (isObject(node)) node = node[part];
    else return false;
    if (node === undefined) return false;
  }
  return typeof node === "boolean" || isObject(node);
}

/**
 * Every problem with `schema` as a contract (empty when it is fine). Stricter than the
 * specification where that protects the edge: unknown keywords (other than `x-…` annotations)
 * are refused, since a misspelt keyword would silently check nothing.
 */
export function schemaProblems(schema: unknown): string[] {
  const problems: string[] = [];
  if (!isObject(schema)) return ["the schema must be a JSON object"];
  if (schema.$schema !== undefined && schema.$schema !== DRAFT_2020_12 && schema.$schema !== `${DRAFT_2020_12}#`) {
    problems.push(`$schema must be ${DRAFT_2020_12} (JSON Schema 2020-12)`);
  }
  const anchors = new Set<string>();
  const refs: { at: string; ref: string }[] = [];

  const visit = (node: unknown, at: string, depth: number): void => {
    if (problems.length >= 20) return;
    if (typeof node === "boolean") return;
    if (!isObject(node)) {
      problems.push(`${at || "/"}: a subschema must be an object or a boolean`);
      return;
    }
    if (depth > MAX_SCHEMA_DEPTH) {
      problems.push(`${at}: subschemas nest deeper than ${MAX_SCHEMA_DEPTH} levels`);
      return;
    }
    for (const [k, v] of Object.entries(node)) {
      const here = `${at}/${k}`;
      if (k.startsWith("x-")) {
        if (k === "x-classification" && !CLASSIFICATIONS.has(v as string))
          problems.push(`${here}: must be one of ${[...CLASSIFICATIONS].join(", ")}`);
        if (k === "x-mask" && !MASKS.has(v as string))
          problems.push(`${here}: must be one of ${[...MASKS].join(", ")}`);
        if ((k === "x-pii" || k === "x-encrypt") && typeof v !== "boolean") problems.push(`${here}: must be a boolean`);
      } else if (k === "type") {
        const list = Array.isArray(v) ? v : [v];
        if (list.length === 0 || list.some((t) => !TYPES.has(t as string)) || new Set(list).size !== list.length)
          problems.push(`${here}: must be one of ${[...TYPES].join(", ")} or a list of distinct ones`);
      } else if (SCHEMA_KEYWORDS.has(k)) visit(v, here, depth + 1);
      else if (SCHEMA_MAP_KEYWORDS.has(k)) {
        if (!isObject(v)) problems.push(`${here}: must be an object of subschemas`);
        else
          for (const [name, sub] of Object.entries(v)) {
            if (k === "patternProperties") {
              const unsafe = unsafePattern(name);
              if (unsafe) problems.push(`${here}/${name}: ${unsafe}`);
            }
            visit(sub, `${here}/${name}`, depth + 1);
          }
      } else if (SCHEMA_LIST_KEYWORDS.has(k)) {
        if (!Array.isArray(v) || v.length === 0) problems.push(`${here}: must be a non-empty array of subschemas`);
        else if ((k === "anyOf" || k === "oneOf") && v.length > MAX_BRANCHES)
          problems.push(`${here}: at most ${MAX_BRANCHES} branches (each is tried on every value beneath it)`);
        else
          v.forEach((sub, i) => {
            visit(sub, `${here}/${i}`, depth + 1);
          });
      } else if (NUMBER_KEYWORDS.has(k)) {
        if (typeof v !== "number" || !Number.isFinite(v) || (k === "multipleOf" && v <= 0))
          problems.push(`${here}: must be a ${k === "multipleOf" ? "positive " : ""}number`);
      } else if (COUNT_KEYWORDS.has(k)) {
        if (!isCount(v)) problems.push(`${here}: must be a non-negative integer`);
      } else if (STRING_KEYWORDS.has(k)) {
        if (typeof v !== "string") problems.push(`${here}: must be a string`);
        else if (k === "$anchor" || k === "$dynamicAnchor") anchors.add(v);
      } else if (k === "pattern") {
        const unsafe = typeof v === "string" ? unsafePattern(v) : "pattern must be a string";
        if (unsafe) problems.push(`${here}: ${unsafe}`);
      } else if (k === "required") {
        if (!Array.isArray(v) || v.some((r) => typeof r !== "string") || new Set(v).size !== v.length)
          problems.push(`${here}: must be an array of distinct property names`);
      } else if (k === "enum") {
        if (!Array.isArray(v) || v.length === 0) problems.push(`${here}: must be a non-empty array`);
      } else if (k === "dependentRequired") {
        if (!isObject(v) || Object.values(v).some((l) => !Array.isArray(l) || l.some((r) => typeof r !== "string")))
          problems.push(`${here}: must map property names to arrays of property names`);
      } else if (k === "uniqueItems") {
        if (typeof v !== "boolean") problems.push(`${here}: must be a boolean`);
        else if (v && !(isCount(node.maxItems) && (node.maxItems as number) <= MAX_UNIQUE_ITEMS))
          problems.push(`${here}: uniqueItems needs maxItems of at most ${MAX_UNIQUE_ITEMS} (it compares every pair)`);
      } else if (k === "$ref" || k === "$dynamicRef") {
        if (typeof v !== "string") problems.push(`${here}: must be a string`);
        else if (!v.startsWith("#"))
          problems.push(`${here}: remote references are not allowed (${v.slice(0, 80)}); use "#/$defs/…"`);
        else refs.push({ at: here, ref: v });
      } else if (k === "$id") {
        if (at !== "") problems.push(`${here}: $id is only allowed at the root`);
        else if (typeof v !== "string") problems.push(`${here}: must be a string`);
      } else if (k === "$schema") {
        if (at !== "") problems.push(`${here}: $schema is only allowed at the root`);
      } else if (!FREE_KEYWORDS.has(k)) {
        problems.push(`${here}: unknown keyword "${k}" (annotations of your own must start with "x-")`);
      }
    }
  };
  visit(schema, "", 0);
  for (const { at, ref } of refs) {
    const ok = ref.startsWith("#/") || ref === "#" ? resolvePointer(schema, ref) : anchors.has(ref.slice(1));
    if (!ok) problems.push(`${at}: the reference ${ref} points nowhere in this schema`);
  }
  return problems;
}
