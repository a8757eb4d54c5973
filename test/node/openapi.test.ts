import { Validator } from "@seriousme/openapi-schema-validator";
import { describe, expect, it } from "vitest";
import { createApp, OPENAPI_INFO } from "../../workers/app";

describe("the OpenAPI document", () => {
  it("is valid OpenAPI 3 according to the official JSON schema", async () => {
    const doc = createApp().getOpenAPIDocument(OPENAPI_INFO);
    const result = await new Validator().validate(doc as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it("documents the error envelope on every authenticated operation", () => {
    const doc = createApp().getOpenAPIDocument(OPENAPI_INFO) as unknown as {
      paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, unknown> }>>;
    };
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        if (op.security?.length) expect(Object.keys(op.responses), `${method} ${path}`).toContain("401");
      }
    }
  });
});
