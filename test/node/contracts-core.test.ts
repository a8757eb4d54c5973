// The pure contract core: unsafe patterns, schema checks, compatibility, verdicts, lineage shapes.
import { readFileSync } from "node:fs";
import path from "node:path";
import { Validator } from "@cfworker/json-schema";
import { describe, expect, it } from "vitest";
import { compareSchemas } from "../../shared/contracts/compatibility";
import { contractFields, datasetClassification } from "../../shared/contracts/fields";
import { unsafePattern } from "../../shared/contracts/redos";
import { schemaProblems } from "../../shared/contracts/schema-check";
import { CompiledContract } from "../../shared/contracts/verdict";
import { lineageGraph, runEvent } from "../../shared/lineage/run-event";

describe("unsafePattern", () => {
  it.each([
    "^(a+)+$",
    "(a*)*",
    "^(\\w+\\s?)*$",
    "(a|aa)*",
    "(x|xy)+z",
    "((ab)*c)*",
    "(.*a){2,}",
    "(\\d+)\\1",
    "(?<x>a)\\k<x>",
  ])("refuses %s", (p) => {
    expect(unsafePattern(p)).not.toBeNull();
  });

  it.each([
    "^[a-z0-9_-]{3,32}$",
    "^\\d{4}-\\d{2}-\\d{2}$",
    "^(GET|PUT|DELETE)+$",
    "^(?:foo|bar)$",
    "^[A-Z]{2}(\\d{2})?$",
    "^[a-z][a-z ]*$",
    "a{2}b*",
    "([(+)])*",
  ])("allows %s", (p) => {
    expect(unsafePattern(p)).toBeNull();
  });

  it("refuses invalid and overlong patterns", () => {
    expect(unsafePattern("([")).toMatch(/not a valid regular expression/);
    expect(unsafePattern("a".repeat(600))).toMatch(/longer than 512/);
  });
});

describe("schemaProblems", () => {
  it("accepts a contract with annotations, local refs and anchors", () => {
    expect(
      schemaProblems({
        $schema: "https://json-schema.org/draft/2020-12/schema",
        type: "object",
        $defs: { money: { $anchor: "money", type: "number", minimum: 0 } },
        properties: {
          total: { $ref: "#/$defs/money", description: "Total", "x-classification": "internal" },
          tax: { $ref: "#money" },
          email: { type: "string", format: "email", "x-pii": true, "x-mask": "partial", "x-encrypt": true },
          tags: { type: "array", items: { type: "string" }, uniqueItems: true, maxItems: 20 },
        },
        required: ["total"],
      }),
    ).toEqual([]);
  });

  it("names every problem with its place", () => {
    const problems = schemaProblems({
      $schema: "http://json-schema.org/draft-07/schema#",
      type: "object",
      properties: {
        a: { type: "number", minimum: "0" },
        b: { "x-classification": "secret", "x-pii": "yes" },
        c: { anyOf: Array.from({ length: 17 }, () => ({ type: "string" })) },
        d: { $ref: "other.json#/x" },
        e: { properties: { f: { $id: "https://x" } } },
      },
      required: ["a", "a"],
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/\$schema must be/),
        "/properties/a/minimum: must be a number",
        expect.stringMatching(/^\/properties\/b\/x-classification: must be one of/),
        "/properties/b/x-pii: must be a boolean",
        expect.stringMatching(/^\/properties\/c\/anyOf: at most 16 branches/),
        expect.stringMatching(/^\/properties\/d\/\$ref: remote references are not allowed/),
        "/properties/e/properties/f/$id: $id is only allowed at the root",
        "/required: must be an array of distinct property names",
      ]),
    );
  });

  it("bounds nesting depth", () => {
    let s: Record<string, unknown> = { type: "string" };
    for (let i = 0; i < 40; i++) s = { type: "object", properties: { x: s } };
    expect(schemaProblems(s).join()).toMatch(/deeper than 32/);
  });
});

describe("compareSchemas", () => {
  const base = {
    type: "object",
    required: ["id"],
    properties: { id: { type: "string" }, n: { type: "integer", maximum: 10 }, kind: { enum: ["a", "b"] } },
  };

  it("calls additions, widenings and relaxations backward", () => {
    const next = {
      type: "object",
      required: ["id"],
      properties: {
        id: { type: ["string", "null"] },
        n: { type: "number", maximum: 100 },
        kind: { enum: ["a", "b", "c"] },
        extra: { type: "boolean" },
      },
    };
    expect(compareSchemas(base, next)).toEqual({ compatibility: "backward", reasons: [] });
  });

  it("calls narrowing, removals, new requirements and tighter bounds breaking, with reasons", () => {
    const next = {
      type: "object",
      required: ["id", "n"],
      additionalProperties: false,
      properties: { id: { type: "integer" }, n: { type: "integer", maximum: 5 } },
    };
    expect(compareSchemas(base, next)).toEqual({
      compatibility: "breaking",
      reasons: [
        "/n: became required",
        "/id: type changed from string to integer",
        "/n: maximum lowered to 5",
        "/kind: was removed",
        "/: additionalProperties became false",
      ],
    });
  });
});

describe("CompiledContract", () => {
  const c = new CompiledContract(3, {
    type: "object",
    required: ["a~b", "x"],
    properties: { x: { type: "object", properties: { y: { type: "array", items: { type: "integer" } } } } },
  });

  it("names the deepest failing value and its keyword", () => {
    expect(c.check({ "a~b": 1, x: { y: [1, "two"] } })).toMatchObject({
      path: "/x/y/1",
      keyword: "type",
      contract_version: 3,
    });
  });

  it("points a missing required property at its own (escaped) path", () => {
    expect(c.check({ x: {} })).toMatchObject({ path: "/a~0b", keyword: "required" });
  });

  it("accepts a valid payload", () => {
    expect(c.check({ "a~b": 0, x: { y: [1, 2] } })).toBeNull();
  });
});

describe("fields and lineage shapes", () => {
  it("reads annotations and classifies a dataset by its most sensitive field", () => {
    const fields = contractFields({
      type: "object",
      required: ["a"],
      properties: {
        a: { type: "integer", "x-classification": "internal" },
        b: { type: "string", "x-classification": "restricted", "x-pii": true },
        c: { type: "object" },
      },
    });
    expect(fields.map((f) => [f.name, f.column, f.type, f.required, f.pii])).toEqual([
      ["a", "a", "BIGINT", true, false],
      ["b", "b", "VARCHAR", false, true],
      ["c", null, "JSON", false, false],
    ]);
    expect(datasetClassification(fields)).toBe("restricted");
  });

  it("builds RunEvents valid against the official OpenLineage 2-0-2 schema, and their graph", () => {
    const schema = JSON.parse(
      readFileSync(path.join(import.meta.dirname, "../fixtures/openlineage/OpenLineage.json"), "utf8"),
    );
    const validator = new Validator(schema, "2020-12", false);
    const run = {
      projectId: "prj_1",
      runId: crypto.randomUUID(),
      job: "compaction",
      processing: "BATCH" as const,
      inputs: ["a.b"],
      outputs: [{ name: "a.b", rows: 10, files: 1, bytes: 100 }],
    };
    const events = (["START", "COMPLETE", "FAIL"] as const).map((s) => runEvent(run, s, new Date()));
    for (const e of events) expect(validator.validate(e).errors).toEqual([]);
    expect(validator.validate({ ...events[0], run: { runId: "not-a-uuid" } }).valid).toBe(false);
    expect(lineageGraph(events)).toEqual({
      nodes: [
        { id: "job:compaction", kind: "job", name: "compaction" },
        { id: "dataset:a.b", kind: "dataset", name: "a.b" },
      ],
      edges: [
        { from: "dataset:a.b", to: "job:compaction" },
        { from: "job:compaction", to: "dataset:a.b" },
      ],
    });
  });
});
