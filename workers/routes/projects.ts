// POST /v1/projects: the super-admin creates a project and receives its first admin key.
import { createRoute } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { CreateProjectBody, ProjectCreated } from "../../shared/api/projects";
import { generateApiKey, hashApiKey } from "../../shared/api-keys";
import { apiKeys, projects } from "../../shared/db/schema";
import { TarnError } from "../../shared/errors";
import { newId } from "../../shared/ids";
import { requireSuperAdmin } from "../middleware/auth";
import { jsonBody } from "../middleware/json-body";
import { bearer, errorResponses, router } from "../openapi";

const createProject = createRoute({
  method: "post",
  path: "/v1/projects",
  tags: ["Projects and keys"],
  summary: "Create a project (super-admin)",
  security: bearer,
  middleware: [requireSuperAdmin(), jsonBody()] as const,
  request: { body: { required: true, content: { "application/json": { schema: CreateProjectBody } } } },
  responses: {
    201: {
      description: "Created; `admin_key` is shown once",
      content: { "application/json": { schema: ProjectCreated } },
    },
    ...errorResponses(400, 401, 403, 409, 415),
  },
});

export const projectRoutes = router().openapi(createProject, async (c) => {
  const { name } = c.req.valid("json");
  const db = drizzle(c.env.DB);
  const existing = await db.select({ id: projects.id }).from(projects).where(eq(projects.name, name)).get();
  if (existing)
    throw new TarnError("CONFLICT", `a project named ${name} already exists`, { details: { field: "name" } });

  const id = newId("prj");
  const key = generateApiKey();
  const createdAt = new Date().toISOString();
  try {
    await db.batch([
      db.insert(projects).values({ id, name, createdAt }),
      db.insert(apiKeys).values({
        id: newId("key"),
        projectId: id,
        name: "admin",
        keyHash: await hashApiKey(key),
        scopes: ["admin"],
        createdAt,
      }),
    ]);
  } catch (err) {
    // Two creators raced for the same name: the unique index decided.
    if (String(err).includes("UNIQUE"))
      throw new TarnError("CONFLICT", `a project named ${name} already exists`, { details: { field: "name" } });
    throw err;
  }
  return c.json({ id, name, created_at: createdAt, admin_key: key }, 201);
});
