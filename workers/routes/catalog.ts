// The data dictionary (/v1/catalog), the glossary (/v1/glossary) and lineage (/v1/lineage).
import { createRoute } from "@hono/zod-openapi";
import { and, asc, eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { listHeads, listVersions } from "../../services/contracts/store";
import { listLineage } from "../../services/lineage/record";
import { datasetSummaries, lastLanded, ownTables, typedColumnsByDataset } from "../../services/manifest/read";
import { canUnmask, classificationsOf, privacyPolicy } from "../../services/privacy/masking";
import { holds } from "../../shared/access/permissions";
import {
  CatalogList,
  GlossaryList,
  GlossaryTerm,
  GlossaryTermParam,
  LineageAnswer,
  LineageQuery,
  PutGlossaryBody,
} from "../../shared/api/contracts";
import { contractFields, datasetClassification } from "../../shared/contracts/fields";
import { glossaryTerms } from "../../shared/db/contracts";
import { LAKE_COLUMNS } from "../../shared/lake/lake-row";
import { datasetKindOf } from "../../shared/lake/partition";
import { lineageGraph } from "../../shared/lineage/run-event";
import { ALL_DATASETS, maskedForReader } from "../../shared/privacy/policy";
import { projectOf, requirePermission } from "../middleware/auth";
import { jsonBody } from "../middleware/json-body";
import { bearer, errorResponses, router } from "../openapi";

const tags = ["Catalog, glossary and lineage"];
const iso = (ms: number) => new Date(ms).toISOString();

/** What the envelope columns mean, for the dictionary. */
const ENVELOPE_DESCRIPTIONS: Record<string, string> = {
  event_id: "The event's id (the producer's eventId, or one assigned at the edge); the dedupe key",
  event_type: "The event type (the dataset)",
  ts: "Event time (UTC)",
  received_at: "When the edge received the event (UTC)",
  user_id: "The producer's userId",
  session_id: "The producer's sessionId",
  correlation_id: "The producer's correlationId",
  source: "The producer's eventSource",
  version: "The producer's version string",
  environment: "The producer's environment",
  region: "The producer's region",
  request_id: "The ingest request that carried the event",
  country: "Country of the ingest request (Cloudflare)",
  colo: "Cloudflare data centre that received the event",
  payload: "data.payload as JSON text",
  metadata: "data.metadata as JSON text",
};

const catalog = createRoute({
  method: "get",
  path: "/v1/catalog",
  tags,
  summary: "The data dictionary: every dataset with its contract, columns, classification and freshness (query)",
  security: bearer,
  middleware: [requirePermission("read")] as const,
  responses: {
    200: { description: "The catalog", content: { "application/json": { schema: CatalogList } } },
    ...errorResponses(401, 403),
  },
});

const putTerm = createRoute({
  method: "put",
  path: "/v1/glossary/{term}",
  tags,
  summary: "Define a glossary term and link it to datasets and columns (admin)",
  security: bearer,
  middleware: [requirePermission("write"), jsonBody()] as const,
  request: {
    params: GlossaryTermParam,
    body: { required: true, content: { "application/json": { schema: PutGlossaryBody } } },
  },
  responses: {
    200: { description: "The term", content: { "application/json": { schema: GlossaryTerm } } },
    ...errorResponses(400, 401, 403, 415),
  },
});

const listTerms = createRoute({
  method: "get",
  path: "/v1/glossary",
  tags,
  summary: "The glossary (query)",
  security: bearer,
  middleware: [requirePermission("read")] as const,
  responses: {
    200: { description: "The terms", content: { "application/json": { schema: GlossaryList } } },
    ...errorResponses(401, 403),
  },
});

const lineage = createRoute({
  method: "get",
  path: "/v1/lineage",
  tags,
  summary: "OpenLineage RunEvents (spec 2-0-2) of every lake change, and their graph (query)",
  description: "Oldest first; page with `after` = the previous page's `next_after`. `dataset` keeps events naming it.",
  security: bearer,
  middleware: [requirePermission("read")] as const,
  request: { query: LineageQuery },
  responses: {
    200: { description: "Events and graph", content: { "application/json": { schema: LineageAnswer } } },
    ...errorResponses(400, 401, 403),
  },
});

export const catalogRoutes = router()
  .openapi(catalog, async (c) => {
    const principal = projectOf(c.get("principal"));
    const { projectId } = principal;
    const db = c.env.DB;
    const [summaries, typed, own, landed, heads, terms, privacy, classified] = await Promise.all([
      datasetSummaries(db, projectId),
      typedColumnsByDataset(db, projectId),
      ownTables(db, projectId),
      lastLanded(db, projectId),
      listHeads(db, projectId),
      drizzle(db).select().from(glossaryTerms).where(eq(glossaryTerms.projectId, projectId)).all(),
      privacyPolicy(db, projectId, canUnmask(principal)),
      classificationsOf(db, projectId),
    ]);
    const headOf = new Map(heads.map((h) => [h.eventType, h]));
    // The audit table is listed to those who may read it (admins).
    const listed = summaries.filter((s) => own.get(s.name)?.layer !== "audit" || holds(principal, "manage"));
    const names = [...new Set([...listed.map((s) => s.name), ...heads.map((h) => h.eventType)])].sort();
    const datasets = await Promise.all(
      names.map(async (name) => {
        const s = summaries.find((x) => x.name === name);
        const head = headOf.get(name);
        const current = head
          ? (await listVersions(db, projectId, name)).find((v) => v.version === head.currentVersion)
          : undefined;
        const fields = current ? contractFields(JSON.parse(current.schema)) : [];
        const byColumn = new Map(fields.filter((f) => f.column).map((f) => [f.column as string, f]));
        const typedColumns = typed.get(name) ?? [];
        // Columns declared now but not yet in any file are listed too: they read NULL until data lands.
        for (const f of fields)
          if (f.column && !typedColumns.some((t) => t.name === f.column))
            typedColumns.push({ name: f.column, property: f.name, type: f.type as never });
        const ownTable = own.get(name);
        const columns = [
          ...(ownTable ? ownTable.columns : LAKE_COLUMNS).map((col) => {
            // PUT /v1/datasets/{name} classifies envelope columns (the dataset's own, else the project's `events`).
            const cls = classified.get(name)?.get(col.name) ?? classified.get(ALL_DATASETS)?.get(col.name);
            return {
              name: col.name as string,
              type: col.type as string,
              description: ownTable ? null : (ENVELOPE_DESCRIPTIONS[col.name] ?? null),
              classification: (cls?.classification ?? null) as string | null,
              pii: cls?.pii ?? false,
              masked_for_you: maskedForReader(privacy, name, col.name),
            };
          }),
          ...typedColumns.map((t) => {
            const f = byColumn.get(t.name);
            return {
              name: t.name,
              type: t.type as string,
              description: f?.description ?? null,
              classification: f?.classification ?? null,
              pii: f?.pii ?? false,
              masked_for_you: maskedForReader(privacy, name, t.name),
            };
          }),
        ];
        const glossary = terms
          .filter((t) => t.links.some((l) => l === name || columns.some((col) => l === `${name}.${col.name}`)))
          .map((t) => t.term)
          .sort();
        return {
          name,
          kind: datasetKindOf(ownTable?.layer),
          description: head?.description ?? null,
          owner: head?.owner ?? null,
          classification: datasetClassification(fields),
          contract_version: head?.currentVersion ?? null,
          contract_mode: head?.mode ?? null,
          rows: s?.rows ?? 0,
          files: s?.files ?? 0,
          first_event_at: s ? iso(s.minTs) : null,
          last_event_at: s ? iso(s.maxTs) : null,
          last_updated: landed.get(name) ?? null,
          columns,
          glossary,
        };
      }),
    );
    return c.json({ datasets }, 200);
  })
  .openapi(putTerm, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    const { term } = c.req.valid("param");
    const { definition, links } = c.req.valid("json");
    const updatedAt = new Date().toISOString();
    await drizzle(c.env.DB)
      .insert(glossaryTerms)
      .values({ projectId, term, definition, links, updatedAt })
      .onConflictDoUpdate({
        target: [glossaryTerms.projectId, glossaryTerms.term],
        set: { definition, links, updatedAt },
      })
      .run();
    return c.json({ term, definition, links, updated_at: updatedAt }, 200);
  })
  .openapi(listTerms, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    const rows = await drizzle(c.env.DB)
      .select()
      .from(glossaryTerms)
      .where(and(eq(glossaryTerms.projectId, projectId)))
      .orderBy(asc(glossaryTerms.term))
      .all();
    return c.json(
      { terms: rows.map((r) => ({ term: r.term, definition: r.definition, links: r.links, updated_at: r.updatedAt })) },
      200,
    );
  })
  .openapi(lineage, async (c) => {
    const { projectId } = projectOf(c.get("principal"));
    const q = c.req.valid("query");
    const rows = await listLineage(c.env.DB, projectId, { dataset: q.dataset, after: q.after, limit: q.limit });
    const events = rows.map((r) => r.event);
    return c.json(
      {
        events: events as unknown as Record<string, unknown>[],
        graph: lineageGraph(events),
        next_after: rows.length === q.limit ? (rows[rows.length - 1]?.id ?? null) : null,
      },
      200,
    );
  });
