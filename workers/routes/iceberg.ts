// A read-only Iceberg REST catalog over the project's datasets (API.md, "Iceberg"), plus the objects it points at.
import { createRoute, z } from "@hono/zod-openapi";
import { readMetadata, syncIcebergProject, tablePrefix, warehouseUrl } from "../../services/iceberg/sync";
import { datasetHeads } from "../../services/manifest/history";
import { isProjectFile } from "../../services/manifest/read";
import { TarnError } from "../../shared/errors";
import { projectOf, requirePermission } from "../middleware/auth";
import { bearer, errorResponses, router } from "../openapi";

/** The one namespace: a query key's project is the catalog, its datasets the tables. */
export const ICEBERG_NAMESPACE = "lake";

const tags = ["Iceberg"];
// Iceberg points readers at the lake's files themselves (unmasked), so it needs `query`, as file downloads do.
const middleware = [requirePermission("query")];
const json = (schema: z.ZodType) => ({ "application/json": { schema } });
const NamespaceParam = z.object({ namespace: z.string() });
const TableParam = z.object({ namespace: z.string(), table: z.string().min(1).max(128) });

function checkNamespace(ns: string): void {
  // Clients send multi-level namespaces joined by 0x1F; Tarn has one level.
  if (ns !== ICEBERG_NAMESPACE)
    throw new TarnError("NOT_FOUND", `no namespace ${ns.slice(0, 64)}; the only one is ${ICEBERG_NAMESPACE}`);
}

export const icebergRoutes = router();

icebergRoutes.openapi(
  createRoute({
    method: "get",
    path: "/iceberg/v1/config",
    tags,
    summary: "Iceberg REST catalog configuration",
    security: bearer,
    middleware,
    responses: {
      200: {
        description: "Defaults and overrides",
        content: json(
          z.object({ defaults: z.record(z.string(), z.string()), overrides: z.record(z.string(), z.string()) }),
        ),
      },
      ...errorResponses(401, 403),
    },
  }),
  (c) => c.json({ defaults: {}, overrides: {} }, 200),
);

icebergRoutes.openapi(
  createRoute({
    method: "get",
    path: "/iceberg/v1/namespaces",
    tags,
    summary: "List namespaces (one: lake)",
    security: bearer,
    middleware,
    responses: {
      200: { description: "Namespaces", content: json(z.object({ namespaces: z.array(z.array(z.string())) })) },
      ...errorResponses(401, 403),
    },
  }),
  (c) => c.json({ namespaces: [[ICEBERG_NAMESPACE]] }, 200),
);

icebergRoutes.openapi(
  createRoute({
    method: "get",
    path: "/iceberg/v1/namespaces/{namespace}",
    tags,
    summary: "Load a namespace",
    security: bearer,
    middleware,
    request: { params: NamespaceParam },
    responses: {
      200: {
        description: "The namespace",
        content: json(z.object({ namespace: z.array(z.string()), properties: z.record(z.string(), z.string()) })),
      },
      ...errorResponses(401, 403, 404),
    },
  }),
  (c) => {
    checkNamespace(c.req.valid("param").namespace);
    const { projectId } = projectOf(c.get("principal"));
    return c.json({ namespace: [ICEBERG_NAMESPACE], properties: { "tarn.project": projectId } }, 200);
  },
);

icebergRoutes.openapi(
  createRoute({
    method: "get",
    path: "/iceberg/v1/namespaces/{namespace}/tables",
    tags,
    summary: "List tables (one per dataset)",
    security: bearer,
    middleware,
    request: { params: NamespaceParam },
    responses: {
      200: {
        description: "Table identifiers",
        content: json(
          z.object({ identifiers: z.array(z.object({ namespace: z.array(z.string()), name: z.string() })) }),
        ),
      },
      ...errorResponses(401, 403, 404),
    },
  }),
  async (c) => {
    checkNamespace(c.req.valid("param").namespace);
    const { projectId } = projectOf(c.get("principal"));
    const heads = await datasetHeads(c.env.DB, projectId);
    return c.json(
      {
        identifiers: heads
          .map((h) => ({ namespace: [ICEBERG_NAMESPACE], name: h.dataset }))
          .sort((a, b) => (a.name < b.name ? -1 : 1)),
      },
      200,
    );
  },
);

icebergRoutes.openapi(
  createRoute({
    method: "get",
    path: "/iceberg/v1/namespaces/{namespace}/tables/{table}",
    tags,
    summary: "Load a table: its current metadata (written after every manifest change)",
    security: bearer,
    middleware,
    request: { params: TableParam },
    responses: {
      200: {
        description: "LoadTableResult",
        content: json(
          z.object({
            "metadata-location": z.string(),
            metadata: z.record(z.string(), z.unknown()),
            config: z.record(z.string(), z.string()),
          }),
        ),
      },
      ...errorResponses(401, 403, 404),
    },
  }),
  async (c) => {
    const { namespace, table } = c.req.valid("param");
    checkNamespace(namespace);
    const { projectId } = projectOf(c.get("principal"));
    // A change published since the last consumer batch (a rollback) is written now, before answering.
    await syncIcebergProject(c.env, projectId, table);
    const metadata = await readMetadata(c.env.LAKE, projectId, table);
    if (!metadata) throw new TarnError("NOT_FOUND", `no table ${table.slice(0, 128)} in ${ICEBERG_NAMESPACE}`);
    const version = metadata["current-snapshot-id"] ?? 0;
    return c.json(
      {
        "metadata-location": warehouseUrl(c.env, `${tablePrefix(projectId, table)}/metadata/v${version}.metadata.json`),
        metadata: metadata as unknown as Record<string, unknown>,
        config: {},
      },
      200,
    );
  },
);

// The objects the metadata points at, for readers without the bucket's S3 credentials: the project's
// Iceberg metadata and the lake files its manifest knows, read-only.
icebergRoutes.openAPIRegistry.registerPath({
  method: "get",
  path: "/iceberg/v1/objects/{key}",
  tags,
  summary: "An Iceberg metadata object or a manifest-listed Parquet file of the project, by key",
  security: bearer,
  request: { params: z.object({ key: z.string() }) },
  responses: {
    200: { description: "The object's bytes", content: { "application/octet-stream": { schema: z.string() } } },
    ...errorResponses(401, 403, 404),
  },
});

icebergRoutes.get("/iceberg/v1/objects/:key{.+}", requirePermission("query"), async (c) => {
  const { projectId } = projectOf(c.get("principal"));
  const key = c.req.param("key");
  // Iceberg metadata of the project's tables, or a data file its manifest lists now or listed before
  // (time travel): nothing else under lake/, so no other table the project may keep there is exposed.
  const isMetadata = key.startsWith(`lake/${projectId}/iceberg/`) && !key.includes("/../");
  if (key.length > 1024 || !(isMetadata || (await isProjectFile(c.env.DB, projectId, key)))) {
    throw new TarnError("NOT_FOUND", "no such object in this project's lake");
  }
  const range = c.req.header("Range");
  const m = range ? /^bytes=(\d+)-(\d*)$/.exec(range) : null;
  const object = await c.env.LAKE.get(
    key,
    m ? { range: { offset: Number(m[1]), length: m[2] ? Number(m[2]) - Number(m[1]) + 1 : undefined } } : {},
  );
  if (!object) throw new TarnError("NOT_FOUND", "no such object in this project's lake");
  const headers: Record<string, string> = {
    "Content-Length": String(object.range && "length" in object.range ? object.range.length : object.size),
  };
  if (m && object.range && "offset" in object.range) {
    const start = object.range.offset ?? 0;
    const length = object.range.length ?? object.size - start;
    headers["Content-Range"] = `bytes ${start}-${start + length - 1}/${object.size}`;
    headers["Content-Length"] = String(length);
  }
  headers["Accept-Ranges"] = "bytes";
  return new Response(object.body, { status: m ? 206 : 200, headers });
});
