// Shared pieces of the pages: error boxes (the API's message and request id), data tables, status lines.
import { cellText } from "../../shared/charts/format";
import { ApiError } from "./api";
import { h } from "./dom";

export function errorBox(err: unknown): HTMLElement {
  if (err instanceof ApiError)
    return h(
      "div",
      { class: "error", role: "alert" },
      h("strong", null, err.code),
      ": ",
      err.message,
      err.requestId ? h("div", null, h("code", null, `request id ${err.requestId}`)) : null,
    );
  return h("div", { class: "error", role: "alert" }, String(err instanceof Error ? err.message : err));
}

export function dataTable(meta: { name: string; type?: string }[], rows: Record<string, unknown>[], caption?: string) {
  const numeric = (v: unknown) => typeof v === "number";
  return h(
    "div",
    { class: "scroll", tabindex: 0, role: "region", "aria-label": caption ?? "Results" },
    h(
      "table",
      { class: "data" },
      caption ? h("caption", { class: "muted", style: "text-align:left" }, caption) : null,
      h(
        "thead",
        null,
        h(
          "tr",
          null,
          meta.map((m) => h("th", { scope: "col" }, m.name)),
        ),
      ),
      h(
        "tbody",
        null,
        rows.map((r) =>
          h(
            "tr",
            null,
            meta.map((m) => h("td", { class: numeric(r[m.name]) ? "num" : "" }, cellText(r[m.name]))),
          ),
        ),
      ),
    ),
  );
}

export function status(): HTMLElement {
  return h("div", { class: "status", role: "status", "aria-live": "polite" });
}

export const prefersDark = () => window.matchMedia?.("(prefers-color-scheme: dark)").matches ?? false;
