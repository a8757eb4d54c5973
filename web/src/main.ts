// Tarn's web app: the shell (navigation by permission), routes, and sign-in gating. `/s/{token}` needs no sign-in.
import { can, currentSession, signOut } from "./api";
import { h, mount } from "./dom";
import { askPage } from "./pages/ask";
import { dashboardPage, dashboardsPage, sharedPage } from "./pages/dashboards";
import { datasetsPage } from "./pages/datasets";
import { contractsPage, jobsPage, policiesPage, viewsPage } from "./pages/governance";
import { alertsPage, auditPage, keysPage, quarantinePage, usersPage } from "./pages/ops";
import { signInPage } from "./pages/signin";
import { sqlPage } from "./pages/sql";
import { uploadPage } from "./pages/upload";
import { navigate, runCleanup, setRenderer } from "./router";
import { errorBox } from "./ui";

const NAV: { path: string; label: string; permission: string }[] = [
  { path: "/", label: "Dashboards", permission: "read" },
  { path: "/sql", label: "SQL", permission: "query" },
  { path: "/ask", label: "Ask", permission: "query" },
  { path: "/datasets", label: "Datasets", permission: "read" },
  { path: "/upload", label: "Upload", permission: "write" },
  { path: "/views", label: "Views", permission: "read" },
  { path: "/alerts", label: "Alerts", permission: "read" },
  { path: "/quarantine", label: "Quarantine", permission: "manage" },
  { path: "/admin/contracts", label: "Contracts", permission: "manage" },
  { path: "/admin/policies", label: "Policies", permission: "manage" },
  { path: "/admin/jobs", label: "Jobs", permission: "manage" },
  { path: "/admin/keys", label: "Keys", permission: "manage" },
  { path: "/admin/users", label: "Users", permission: "manage" },
  { path: "/admin/audit", label: "Audit", permission: "manage" },
];

function shell(path: string): HTMLElement {
  const session = currentSession();
  const app = document.getElementById("app") as HTMLElement;
  const main = h("main", { id: "main", tabindex: -1 });
  const section = path === "/" || path.startsWith("/dashboards") ? "/" : path;
  mount(
    app,
    h(
      "header",
      { class: "top" },
      h(
        "a",
        { class: "brand", href: "/", "data-link": true },
        h("img", { src: "/favicon.svg", alt: "", width: 20, height: 20 }),
        "Tarn",
      ),
      session
        ? h(
            "nav",
            { "aria-label": "Main" },
            NAV.filter((n) => can(n.permission)).map((n) =>
              h(
                "a",
                { href: n.path, "data-link": true, "aria-current": section === n.path ? "page" : undefined },
                n.label,
              ),
            ),
          )
        : h("span", { style: "flex:1" }),
      session
        ? h(
            "span",
            { class: "who" },
            `${session.principal.email ?? session.principal.id} · ${session.principal.role ?? session.principal.scopes?.join(",")} · ${session.project.name} `,
            h(
              "button",
              {
                type: "button",
                onclick: () => {
                  signOut();
                  navigate("/");
                },
              },
              "Sign out",
            ),
          )
        : null,
    ),
    main,
  );
  return main;
}

async function route(): Promise<void> {
  runCleanup();
  for (const d of document.querySelectorAll("dialog")) d.remove();
  const url = new URL(location.href);
  const path = url.pathname.replace(/\/+$/, "") || "/";
  const main = shell(path);
  const shared = /^\/s\/([^/]+)$/.exec(path);
  try {
    if (shared?.[1]) return await sharedPage(main, shared[1]);
    if (!currentSession()) return signInPage(main, () => navigate(path === "/" ? "/" : path, true));
    const dash = /^\/dashboards\/([^/]+)$/.exec(path);
    if (dash?.[1]) {
      document.title = "Dashboard · Tarn";
      return await dashboardPage(main, dash[1], url.searchParams.get("edit") === "1");
    }
    const pages: Record<string, (m: HTMLElement) => Promise<void>> = {
      "/": dashboardsPage,
      "/sql": sqlPage,
      "/ask": askPage,
      "/datasets": datasetsPage,
      "/upload": uploadPage,
      "/views": viewsPage,
      "/admin/contracts": contractsPage,
      "/admin/policies": policiesPage,
      "/admin/jobs": jobsPage,
      "/alerts": alertsPage,
      "/quarantine": quarantinePage,
      "/admin/keys": keysPage,
      "/admin/users": usersPage,
      "/admin/audit": auditPage,
    };
    const page = pages[path];
    if (!page)
      return mount(
        main,
        h("h1", null, "Not found"),
        h("p", null, h("a", { href: "/", "data-link": true }, "Back to dashboards")),
      );
    document.title = `${NAV.find((n) => n.path === path)?.label ?? "Tarn"} · Tarn`;
    await page(main);
  } catch (err) {
    mount(main, errorBox(err));
    if (!currentSession()) signInPage(main, () => navigate(path, true));
  }
}

setRenderer(() => void route());
void route();
