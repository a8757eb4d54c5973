// Sign-in: a project user's email and password (a 24-hour token), or an API key.
import { signIn } from "../api";
import { h, mount } from "../dom";
import { errorBox, status } from "../ui";

export function signInPage(main: HTMLElement, onDone: () => void): void {
  const project = h("input", { id: "project", name: "project", required: true, autocomplete: "organization" });
  const email = h("input", { id: "email", name: "email", type: "email", required: true, autocomplete: "username" });
  const password = h("input", {
    id: "password",
    name: "password",
    type: "password",
    required: true,
    autocomplete: "current-password",
  });
  const apiKey = h("input", { id: "api-key", name: "api_key", type: "password", autocomplete: "off" });
  const msg = status();
  const busy = (form: HTMLFormElement, on: boolean) => {
    for (const b of form.querySelectorAll("button")) b.disabled = on;
  };
  const userForm = h(
    "form",
    {
      class: "card signin",
      "aria-labelledby": "signin-title",
      onsubmit: async (e: Event) => {
        e.preventDefault();
        busy(userForm, true);
        try {
          await signIn({ project: project.value.trim(), email: email.value.trim(), password: password.value });
          onDone();
        } catch (err) {
          mount(msg, errorBox(err));
          busy(userForm, false);
        }
      },
    },
    h("h1", { id: "signin-title" }, "Sign in to Tarn"),
    h("label", { for: "project" }, "Project (name or id)", project),
    h("label", { for: "email" }, "Email", email),
    h("label", { for: "password" }, "Password", password),
    h("button", { class: "primary", type: "submit" }, "Sign in"),
    msg,
  );
  const keyForm = h(
    "form",
    {
      class: "card signin",
      "aria-label": "Sign in with an API key",
      onsubmit: async (e: Event) => {
        e.preventDefault();
        try {
          await signIn({ apiKey: apiKey.value });
          onDone();
        } catch (err) {
          mount(msg, errorBox(err));
        }
      },
    },
    h(
      "details",
      null,
      h("summary", null, "Use an API key instead"),
      h("label", { for: "api-key" }, "API key (tk_…)", apiKey),
      h("button", { type: "submit" }, "Use key"),
    ),
  );
  mount(main, userForm, keyForm);
  project.focus();
}
