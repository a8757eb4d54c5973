// Operations pages: the quarantine with replay, alerts, and for admins keys, users and the audit log.
import { request } from "../api";
import { h, mount } from "../dom";
import { dataTable, errorBox, status } from "../ui";

interface QuarantineEntry {
  id: string;
  code: string;
  reason: string;
  event_type?: string | null;
  event_id?: string;
  raw: string;
  received_at?: string;
}

export async function quarantinePage(main: HTMLElement): Promise<void> {
  const msg = status();
  const body = h("div");
  const load = async () => {
    const { events } = await request<{ events: QuarantineEntry[] }>("/v1/quarantine?limit=200");
    const boxes = new Map<string, HTMLInputElement>();
    const replay = async (ids: string[]) => {
      try {
        const r = await request<{ accepted: number; rejected: number; already_replayed: number }>(
          "/v1/quarantine/replay",
          { json: { ids } },
        );
        mount(
          msg,
          h(
            "span",
            { class: "ok" },
            `Replayed: ${r.accepted} accepted, ${r.rejected} still rejected, ${r.already_replayed} already landed.`,
          ),
        );
        await load();
      } catch (err) {
        mount(msg, errorBox(err));
      }
    };
    mount(
      body,
      events.length === 0
        ? h("div", { class: "empty" }, "The quarantine is empty: every event passed.")
        : [
            h(
              "div",
              { class: "row" },
              h(
                "button",
                {
                  class: "primary",
                  type: "button",
                  onclick: () => replay([...boxes].filter(([, b]) => b.checked).map(([id]) => id)),
                },
                "Replay selected",
              ),
              h(
                "button",
                { type: "button", onclick: () => replay(events.map((e) => e.id).slice(0, 1000)) },
                "Replay all shown",
              ),
            ),
            h(
              "div",
              { class: "scroll" },
              h(
                "table",
                { class: "data" },
                h(
                  "thead",
                  null,
                  h(
                    "tr",
                    null,
                    ["", "Event type", "Code", "Reason", "Raw"].map((c) => h("th", { scope: "col" }, c)),
                  ),
                ),
                h(
                  "tbody",
                  null,
                  events.map((e) => {
                    const box = h("input", { type: "checkbox", "aria-label": `Select ${e.event_id ?? e.id}` });
                    boxes.set(e.id, box);
                    return h(
                      "tr",
                      null,
                      h("td", null, box),
                      h("td", null, e.event_type ?? "—"),
                      h("td", null, e.code),
                      h("td", null, e.reason),
                      h("td", null, h("code", null, e.raw.slice(0, 120))),
                    );
                  }),
                ),
              ),
            ),
          ],
    );
  };
  mount(
    main,
    h("h1", null, "Quarantine"),
    h(
      "p",
      { class: "muted" },
      "Rejected events with their reasons. Replay checks them against today's contracts; accepted ones land once.",
    ),
    msg,
    body,
  );
  await load();
}

export async function alertsPage(main: HTMLElement): Promise<void> {
  const { alerts } = await request<{
    alerts: {
      id: string;
      name: string;
      metric: string;
      window: string;
      value: string;
      condition: unknown;
      webhook_url: string | null;
    }[];
  }>("/v1/alerts");
  mount(
    main,
    h("h1", null, "Alerts"),
    alerts.length === 0
      ? h("div", { class: "empty" }, "No alerts. Create them with POST /v1/alerts (see the API reference).")
      : dataTable(
          [
            { name: "name" },
            { name: "metric" },
            { name: "window" },
            { name: "value" },
            { name: "condition" },
            { name: "webhook" },
          ],
          alerts.map((a) => ({ ...a, condition: JSON.stringify(a.condition), webhook: a.webhook_url ?? "—" })),
          "Alerts",
        ),
  );
}

export async function keysPage(main: HTMLElement): Promise<void> {
  const msg = status();
  const list = h("div");
  const load = async () => {
    const { keys } = await request<{
      keys: { id: string; name: string; scopes: string[]; created_at: string; last_used_at: string | null }[];
    }>("/v1/keys");
    mount(
      list,
      h(
        "table",
        { class: "data" },
        h(
          "thead",
          null,
          h(
            "tr",
            null,
            ["Name", "Scopes", "Created", "Last used", ""].map((c) => h("th", { scope: "col" }, c)),
          ),
        ),
        h(
          "tbody",
          null,
          keys.map((k) =>
            h(
              "tr",
              null,
              h("td", null, k.name),
              h("td", null, k.scopes.join(", ")),
              h("td", null, new Date(k.created_at).toLocaleString()),
              h("td", null, k.last_used_at ? new Date(k.last_used_at).toLocaleString() : "never"),
              h(
                "td",
                null,
                h(
                  "button",
                  {
                    class: "danger",
                    type: "button",
                    "aria-label": `Revoke key ${k.name}`,
                    onclick: async () => {
                      if (!confirm(`Revoke the key “${k.name}”? It stops working at once.`)) return;
                      await request(`/v1/keys/${k.id}`, { method: "DELETE" }).catch((err) => mount(msg, errorBox(err)));
                      await load();
                    },
                  },
                  "Revoke",
                ),
              ),
            ),
          ),
        ),
      ),
    );
  };
  const name = h("input", { id: "key-name", required: true });
  const scope = h(
    "select",
    { id: "key-scope" },
    ["ingest", "query", "admin"].map((s) => h("option", { value: s }, s)),
  );
  mount(
    main,
    h("h1", null, "API keys"),
    h(
      "form",
      {
        class: "row card",
        "aria-label": "New API key",
        onsubmit: async (e: Event) => {
          e.preventDefault();
          try {
            const made = await request<{ key: string }>("/v1/keys", {
              json: { name: name.value, scopes: [scope.value] },
            });
            mount(
              msg,
              h(
                "label",
                null,
                "New key (shown once)",
                h("input", { readonly: true, value: made.key, class: "share-url" }),
              ),
            );
            await load();
          } catch (err) {
            mount(msg, errorBox(err));
          }
        },
      },
      h("label", { for: "key-name" }, "Name", name),
      h("div", { class: "field" }, h("label", { for: "key-scope" }, "Scope"), scope),
      h("button", { class: "primary", type: "submit" }, "Create key"),
    ),
    msg,
    list,
  );
  await load();
}

export async function usersPage(main: HTMLElement): Promise<void> {
  const msg = status();
  const list = h("div");
  const load = async () => {
    const { users } = await request<{ users: Record<string, unknown>[] }>("/v1/users");
    mount(
      list,
      dataTable(
        [{ name: "email" }, { name: "role" }, { name: "tier" }, { name: "disabled" }, { name: "created_at" }],
        users,
        "Users",
      ),
    );
  };
  const email = h("input", { id: "user-email", type: "email", required: true });
  const password = h("input", { id: "user-password", type: "password", required: true, minlength: 12 });
  const role = h(
    "select",
    { id: "user-role" },
    ["viewer", "analyst", "admin"].map((r) => h("option", { value: r }, r)),
  );
  mount(
    main,
    h("h1", null, "Users"),
    h(
      "form",
      {
        class: "row card",
        "aria-label": "New user",
        onsubmit: async (e: Event) => {
          e.preventDefault();
          try {
            await request("/v1/users", { json: { email: email.value, password: password.value, role: role.value } });
            mount(msg, h("span", { class: "ok" }, `Created ${email.value}.`));
            await load();
          } catch (err) {
            mount(msg, errorBox(err));
          }
        },
      },
      h("label", { for: "user-email" }, "Email", email),
      h("label", { for: "user-password" }, "Password (12+ characters)", password),
      h("div", { class: "field" }, h("label", { for: "user-role" }, "Role"), role),
      h("button", { class: "primary", type: "submit" }, "Add user"),
    ),
    msg,
    list,
  );
  await load();
}

export async function auditPage(main: HTMLElement): Promise<void> {
  const [{ entries }, verdict] = await Promise.all([
    request<{
      entries: {
        seq: number;
        at: string;
        actor: { type: string; id: string };
        action: string;
        target: string;
        outcome: string;
      }[];
    }>("/v1/audit?limit=500"),
    request<{ valid: boolean; entries: number }>("/v1/audit/verify"),
  ]);
  mount(
    main,
    h("h1", null, "Audit log"),
    h(
      "p",
      { class: verdict.valid ? "ok" : "error" },
      verdict.valid
        ? `Hash chain verified: ${verdict.entries} entries intact.`
        : "The hash chain does not verify: an entry was altered.",
    ),
    dataTable(
      [{ name: "seq" }, { name: "at" }, { name: "actor" }, { name: "action" }, { name: "target" }, { name: "outcome" }],
      entries
        .slice()
        .reverse()
        .map((e) => ({ ...e, actor: `${e.actor.type} ${e.actor.id}` })),
      "Audit entries, newest first",
    ),
  );
}
