// Client-side routes over the History API; links marked data-link navigate without a reload.
let cleanup: (() => void) | null = null;
let render: () => void = () => {};

export function setRenderer(fn: () => void): void {
  render = fn;
}

/** Work to stop when the page is left (sockets, timers). */
export function setCleanup(fn: () => void): void {
  cleanup = fn;
}

export function runCleanup(): void {
  cleanup?.();
  cleanup = null;
}

export function navigate(path: string, replace = false): void {
  if (replace) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
  render();
}

document.addEventListener("click", (e) => {
  const a = (e.target as Element | null)?.closest?.("a[data-link]") as HTMLAnchorElement | null;
  if (!a || e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
  e.preventDefault();
  navigate(a.getAttribute("href") ?? "/");
});
window.addEventListener("popstate", () => render());
