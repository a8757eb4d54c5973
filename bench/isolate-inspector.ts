// A DevTools session with the worker isolate of a `wrangler dev`, and summaries of its CPU profiles by
// source module (esbuild's `// path/file.ts` markers in the bundle) and by function. Used by
// bench/isolate-profile.ts (landing) and bench/query-http.bench.ts (queries, TARN_BENCH_PROFILE=1).
import WebSocket from "ws";

export interface CallFrame {
  functionName: string;
  scriptId: string;
  url: string;
  lineNumber: number;
}
export interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
export interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export /** A DevTools protocol session over the inspector's WebSocket. */
async function inspect(port: number) {
  // wrangler's inspector proxy serves the worker (the one target) at /ws. Node's built-in WebSocket
  // fails its handshake with that proxy; the `ws` client does not.
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { maxPayload: 1 << 30 });
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  let id = 0;
  const pending = new Map<number, (result: unknown) => void>();
  ws.on("message", (data) => {
    const msg = JSON.parse(String(data)) as { id?: number; result?: unknown };
    if (msg.id !== undefined) pending.get(msg.id)?.(msg.result);
  });
  return {
    post<T>(method: string, params: object = {}): Promise<T> {
      const n = ++id;
      ws.send(JSON.stringify({ id: n, method, params }));
      return new Promise((resolve) => pending.set(n, resolve as (r: unknown) => void));
    },
    close: () => ws.close(),
  };
}

export /** Maps a (script, line) to the source module esbuild's markers name. */
function moduleIndex(sources: Map<string, string>) {
  const markers = new Map<string, { line: number; module: string }[]>();
  for (const [scriptId, text] of sources) {
    const list: { line: number; module: string }[] = [];
    text.split("\n").forEach((line, n) => {
      const m = /^\/\/ ((?:node_modules\/)?[\w@./-]+\.[cm]?[jt]s)$/.exec(line);
      if (m?.[1]) list.push({ line: n, module: m[1] });
    });
    markers.set(scriptId, list);
  }
  return (frame: CallFrame): string | undefined => {
    const list = markers.get(frame.scriptId);
    if (!list || list.length === 0) return undefined;
    let lo = 0;
    let hi = list.length - 1;
    if ((list[0] as { line: number }).line > frame.lineNumber) return undefined;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((list[mid] as { line: number }).line <= frame.lineNumber) lo = mid;
      else hi = mid - 1;
    }
    return (list[lo] as { module: string }).module.replace(/^node_modules\//, "");
  };
}

export function summarise(profile: Profile, moduleOf: (f: CallFrame) => string | undefined): string[] {
  const parent = new Map<number, ProfileNode>();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n);
  const named = (n: ProfileNode) => n.callFrame.functionName || "(anonymous)";
  const byModule = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let all = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    all += dt;
    let node = byId.get(id) as ProfileNode;
    let label = named(node);
    let module = moduleOf(node.callFrame);
    if (!module && !label.startsWith("(")) {
      // A native frame: charge it to the nearest caller with a source module.
      let up = parent.get(node.id);
      while (up && !moduleOf(up.callFrame)) up = parent.get(up.id);
      if (up) {
        label = `${label} ← ${named(up)}`;
        module = moduleOf(up.callFrame);
        node = up;
      }
    }
    const key = module ?? label;
    byModule.set(key, (byModule.get(key) ?? 0) + dt);
    const fn = `${label} (${module ?? "runtime"})`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + dt);
  });
  const pct = (v: number) => `${((100 * v) / all).toFixed(1).padStart(5)} %`;
  const top = (m: Map<string, number>, n: number) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, v]) => `${pct(v)}  ${k}`);
  return [
    `# ${profile.samples.length} samples over ${(all / 1e6).toFixed(1)} s`,
    "## self time by module",
    ...top(byModule, 30),
    "## self time by function",
    ...top(byFunction, 30),
  ];
}

/** Profiles `work` in the isolate behind `inspectorPort` and returns the summary lines. */
export async function profiled(inspectorPort: number, work: () => Promise<void>): Promise<string[]> {
  const devtools = await inspect(inspectorPort);
  await devtools.post("Debugger.enable");
  await devtools.post("Profiler.enable");
  await devtools.post("Profiler.setSamplingInterval", { interval: 1000 });
  await devtools.post("Profiler.start");
  await work();
  const { profile } = await devtools.post<{ profile: Profile }>("Profiler.stop");
  const moduleOf = moduleIndex(await scriptSources(devtools, profile));
  devtools.close();
  return summarise(profile, moduleOf);
}

/** The sources of the scripts a profile sampled (for moduleIndex). */
export async function scriptSources(
  devtools: Awaited<ReturnType<typeof inspect>>,
  profile: Profile,
): Promise<Map<string, string>> {
  const sources = new Map<string, string>();
  for (const scriptId of new Set(profile.nodes.map((n) => n.callFrame.scriptId))) {
    if (scriptId === "0") continue;
    const r = await devtools.post<{ scriptSource?: string }>("Debugger.getScriptSource", { scriptId });
    if (r?.scriptSource) sources.set(scriptId, r.scriptSource);
  }
  return sources;
}
