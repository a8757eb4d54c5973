// The web app from the same Worker: the API's routes come first (wrangler.toml sets run_worker_first);
// any other GET is a static asset of web/dist, and a path of the app itself (/, /dashboards/…, /s/{token})
// gets index.html so a reload or a shared link opens the right page.
import type { Context } from "hono";
import type { AppEnv } from "./context";
import { notFound } from "./not-found";

/** Paths that are never the web app: the API and the operational endpoints answer their own 404s. */
const NOT_APP = /^\/(v1|api|\.well-known|health|ready|metrics|openapi\.json|docs|iceberg)(\/|$)/;
/** A request for a file (has an extension) that is missing stays a 404. */
const FILE = /\/[^/]+\.[A-Za-z0-9]+$/;

export async function serveWebApp(c: Context<AppEnv>): Promise<Response> {
  const method = c.req.method;
  const assets = (c.env as { ASSETS?: Fetcher }).ASSETS;
  if ((method !== "GET" && method !== "HEAD") || !assets || NOT_APP.test(c.req.path)) return notFound(c);
  const asset = await assets.fetch(c.req.raw);
  if (asset.status !== 404 || FILE.test(c.req.path)) return withHeaders(asset, c.req.path);
  const index = await assets.fetch(new Request(new URL("/index.html", c.req.url), { method }));
  if (!index.ok) return notFound(c);
  return withHeaders(index, "/index.html");
}

function withHeaders(res: Response, path: string): Response {
  const out = new Response(res.body, res);
  // The page is small and changes with each deploy; the bundle is re-fetched when the page says so.
  if (path.endsWith(".html") || path === "/") out.headers.set("Cache-Control", "no-cache");
  out.headers.set("X-Content-Type-Options", "nosniff");
  // A shared page's URL holds its token: never send it on as a Referer.
  out.headers.set("Referrer-Policy", "no-referrer");
  if (path.endsWith(".html") || !FILE.test(path))
    out.headers.set(
      "Content-Security-Policy",
      "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self' ws: wss:; frame-ancestors 'none'",
    );
  return out;
}
