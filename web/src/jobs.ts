// Watching a job (an upload's conversion, a profile run): the live socket's `jobs` stream pushes each change
// as it happens, and a slow poll of GET /v1/jobs/{id} covers a socket that is down or a frame that was missed.
import { currentSession, request } from "./api";

export interface Job {
  id: string;
  type: string;
  status: "queued" | "running" | "succeeded" | "failed";
  progress: number;
  error: string | null;
  result: Record<string, unknown> | null;
  params: Record<string, unknown>;
  created_at: string;
  finished_at: string | null;
}

export const isFinished = (job: Job) => job.status === "succeeded" || job.status === "failed";

const POLL_MS = 1500;
const rank = (job: Job) => (job.status === "queued" ? 0 : job.status === "running" ? 1 : 2);

/**
 * The project's `jobs` stream on one socket, open before a job is made so none of its frames is missed
 * (a small file's job can finish within a second). Keeps each job's latest frame.
 */
export interface JobStream {
  latest: Map<string, Job>;
  listen: (fn: (job: Job) => void) => () => void;
  /** Resolves once the subscription is confirmed (or after 3 s, or at once without a session). */
  ready: Promise<void>;
  close: () => void;
}

export function openJobStream(): JobStream {
  const latest = new Map<string, Job>();
  const listeners = new Set<(job: Job) => void>();
  let ws: WebSocket | null = null;
  let closed = false;
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
    setTimeout(resolve, 3000);
  });
  const token = currentSession()?.token;
  if (token && typeof WebSocket !== "undefined") {
    const url = new URL("/v1/live", location.href);
    url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    url.searchParams.set("token", token);
    ws = new WebSocket(url);
    ws.onopen = () => ws?.send(JSON.stringify({ action: "subscribe", stream: "jobs" }));
    ws.onerror = () => markReady();
    ws.onclose = () => markReady();
    ws.onmessage = (ev) => {
      try {
        const frame = JSON.parse(String(ev.data)) as { type?: string; job?: Job };
        if (frame.type === "subscribed") markReady();
        if (frame.type === "job" && frame.job && !closed) {
          latest.set(frame.job.id, frame.job);
          for (const fn of listeners) fn(frame.job);
        }
      } catch {
        // Not a frame of ours.
      }
    };
  } else markReady();
  return {
    latest,
    ready,
    listen(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    close() {
      closed = true;
      ws?.close();
    },
  };
}

/**
 * Calls `onJob` with every newer state of the job until it finishes; `done` resolves with the last one.
 * Uses the given stream (else opens one of its own) and polls GET /v1/jobs/{id} as a fallback.
 */
export function watchJob(
  id: string,
  onJob: (job: Job) => void,
  shared?: JobStream,
): { done: Promise<Job>; stop: () => void } {
  let stopped = false;
  let timer = 0;
  let last: Job | null = null;
  let finish: (job: Job) => void = () => {};
  let fail: (err: unknown) => void = () => {};
  const done = new Promise<Job>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const stream = shared ?? openJobStream();
  let unlisten: () => void = () => {};
  const stop = () => {
    stopped = true;
    clearTimeout(timer);
    unlisten();
    if (!shared) stream.close();
  };
  // Frames and polls can arrive out of order: never step back from a finished state or to lower progress.
  const seen = (job: Job) => {
    if (stopped || job.id !== id) return;
    if (last && (rank(job) < rank(last) || (rank(job) === rank(last) && job.progress < last.progress))) return;
    if (last && isFinished(last)) return;
    last = job;
    onJob(job);
    if (isFinished(job)) {
      stop();
      finish(job);
    }
  };
  unlisten = stream.listen(seen);
  const already = stream.latest.get(id);
  if (already) seen(already);
  let failures = 0;
  const poll = async () => {
    if (stopped) return;
    try {
      seen(await request<Job>(`/v1/jobs/${encodeURIComponent(id)}`));
      failures = 0;
    } catch (err) {
      // A few failed polls in a row (the job is gone, the session ended) end the watch with the error.
      if (++failures >= 3) {
        stop();
        fail(err);
        return;
      }
    }
    if (!stopped) timer = window.setTimeout(poll, POLL_MS);
  };
  void poll();
  return { done, stop };
}
