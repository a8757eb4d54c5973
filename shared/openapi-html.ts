// Renders an OpenAPI document as a self-contained HTML reference page (no scripts, no CDN).

interface Operation {
  summary?: string;
  description?: string;
  tags?: string[];
  security?: unknown[];
  parameters?: { name: string; in: string; required?: boolean; description?: string; schema?: unknown }[];
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: unknown }> }>;
}

interface Doc {
  info?: { title?: string; version?: string; description?: string };
  paths?: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, unknown> };
}

const esc = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
const json = (v: unknown) => esc(JSON.stringify(v, null, 2));
const METHODS = ["get", "post", "put", "patch", "delete"];

function operationHtml(path: string, method: string, op: Operation): string {
  const id = `${method}-${path}`.replace(/[^A-Za-z0-9]+/g, "-");
  const params = (op.parameters ?? [])
    .map(
      (p) =>
        `<li><code>${esc(p.name)}</code> (${esc(p.in)}${p.required ? ", required" : ""}) <pre>${json(p.schema ?? {})}</pre></li>`,
    )
    .join("");
  const body = Object.entries(op.requestBody?.content ?? {})
    .map(([type, c]) => `<h4>Body <code>${esc(type)}</code></h4><pre>${json(c.schema ?? {})}</pre>`)
    .join("");
  const responses = Object.entries(op.responses ?? {})
    .map(([status, r]) => {
      const schemas = Object.entries(r.content ?? {})
        .map(
          ([type, c]) =>
            `<details><summary><code>${esc(type)}</code></summary><pre>${json(c.schema ?? {})}</pre></details>`,
        )
        .join("");
      return `<li><b>${esc(status)}</b> ${esc(r.description ?? "")}${schemas}</li>`;
    })
    .join("");
  return `<section id="${id}"><h3><span class="m ${method}">${method.toUpperCase()}</span> <code>${esc(path)}</code></h3>
<p>${esc(op.summary ?? "")}${op.security?.length ? ' <span class="auth">Bearer auth</span>' : ""}</p>
${op.description ? `<p>${esc(op.description)}</p>` : ""}${params ? `<h4>Parameters</h4><ul>${params}</ul>` : ""}${body}
<h4>Responses</h4><ul>${responses}</ul></section>`;
}

/** The whole page: a table of contents by tag, every operation, then the named schemas. */
export function renderApiReference(doc: Doc): string {
  const ops: { tag: string; path: string; method: string; op: Operation }[] = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (op) ops.push({ tag: op.tags?.[0] ?? "Other", path, method, op });
    }
  }
  const tags = [...new Set(ops.map((o) => o.tag))];
  const toc = tags
    .map(
      (t) =>
        `<li>${esc(t)}<ul>${ops
          .filter((o) => o.tag === t)
          .map(
            (o) =>
              `<li><a href="#${`${o.method}-${o.path}`.replace(/[^A-Za-z0-9]+/g, "-")}">${o.method.toUpperCase()} ${esc(o.path)}</a></li>`,
          )
          .join("")}</ul></li>`,
    )
    .join("");
  const sections = tags
    .map(
      (t) =>
        `<h2>${esc(t)}</h2>${ops
          .filter((o) => o.tag === t)
          .map((o) => operationHtml(o.path, o.method, o.op))
          .join("")}`,
    )
    .join("");
  const schemas = Object.entries(doc.components?.schemas ?? {})
    .map(
      ([name, s]) =>
        `<details id="schema-${esc(name)}"><summary><code>${esc(name)}</code></summary><pre>${json(s)}</pre></details>`,
    )
    .join("");
  const title = esc(doc.info?.title ?? "API");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title} API reference</title><style>
body{font:15px/1.5 system-ui,sans-serif;margin:0;display:flex;color:#1d232a}nav{width:280px;padding:1rem;background:#f4f6f8;height:100vh;overflow:auto;position:sticky;top:0;flex:none}
main{padding:1rem 2rem;max-width:960px;flex:1}nav ul{padding-left:1rem;margin:.2rem 0}nav a{color:#245;text-decoration:none;font-size:13px}
pre{background:#f6f8fa;padding:.6rem;overflow:auto;font-size:12px;border-radius:4px}section{border-top:1px solid #dde;padding:.4rem 0}
.m{display:inline-block;min-width:4.2em;text-align:center;border-radius:3px;color:#fff;font-size:12px;padding:1px 4px}
.get{background:#2b7}.post{background:#27c}.put{background:#c80}.patch{background:#a5c}.delete{background:#c33}.auth{font-size:12px;color:#666;border:1px solid #ccd;border-radius:3px;padding:0 4px}
</style></head><body><nav><b>${title} ${esc(doc.info?.version ?? "")}</b><p><a href="/openapi.json">openapi.json</a></p><ul>${toc}</ul></nav>
<main><h1>${title} API reference</h1><p>${esc(doc.info?.description ?? "")}</p>${sections}<h2>Schemas</h2>${schemas}</main></body></html>`;
}
