// One payload against one compiled contract version: valid, or the first violation with its JSON path,
// keyword and the contract version, as the edge reports it.
import { type OutputUnit, type Schema, Validator } from "@cfworker/json-schema";

export interface Violation {
  /** JSON pointer into `data.payload` of the value at fault ("" is the payload itself). */
  path: string;
  keyword: string;
  message: string;
  contract_version: number;
}

/** Keywords that only report that something beneath them failed; the leaf error says what. */
const APPLICATORS = new Set([
  "properties",
  "patternProperties",
  "additionalProperties",
  "items",
  "prefixItems",
  "contains",
  "allOf",
  "$ref",
  "$dynamicRef",
  "$recursiveRef",
  "dependentSchemas",
  "unevaluatedProperties",
  "unevaluatedItems",
  "if",
  "then",
  "else",
  "propertyNames",
]);

const REQUIRED_MESSAGE = /required property "(.*)"/;

function pointer(unit: OutputUnit): string {
  let path = unit.instanceLocation.replace(/^#/, "");
  // A missing required property is reported at its parent; the user wants the property's own path.
  if (unit.keyword === "required") {
    const m = REQUIRED_MESSAGE.exec(unit.error);
    if (m) path += `/${(m[1] as string).replace(/~/g, "~0").replace(/\//g, "~1")}`;
  }
  return path;
}

/** A contract version compiled for the edge: immutable, so cached by (project, type, version). */
export class CompiledContract {
  private readonly validator: Validator;

  constructor(
    readonly version: number,
    schema: Schema,
  ) {
    // shortCircuit: stop at the first failure, which bounds the work per event.
    this.validator = new Validator(schema, "2020-12", true);
  }

  /** null when the payload is valid; otherwise the most specific violation. */
  check(payload: unknown): Violation | null {
    let result: ReturnType<Validator["validate"]>;
    try {
      result = this.validator.validate(payload === undefined ? null : payload);
    } catch (err) {
      // Schemas are checked when stored; a failure here (e.g. a reference cycle) still rejects, never crashes.
      return {
        path: "",
        keyword: "schema",
        message: `the contract could not be applied: ${String(err)}`,
        contract_version: this.version,
      };
    }
    if (result.valid) return null;
    const leaf = result.errors.find((e) => !APPLICATORS.has(e.keyword)) ?? result.errors[result.errors.length - 1];
    if (!leaf)
      return {
        path: "",
        keyword: "schema",
        message: "the payload does not match the contract",
        contract_version: this.version,
      };
    const path = pointer(leaf);
    return {
      path,
      keyword: leaf.keyword,
      message: `data.payload${path || ""} violates contract v${this.version} (${leaf.keyword}): ${leaf.error}`,
      contract_version: this.version,
    };
  }
}
