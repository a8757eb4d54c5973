// Uploads: pick a file, name the dataset, and watch it go: the bytes leaving the browser, then the job
// converting them (fed by the live `jobs` stream), until the dataset is there to open or the job says why not.
import { request, sendFile } from "../api";
import { h, mount } from "../dom";
import { type Job, openJobStream, watchJob } from "../jobs";
import { setCleanup } from "../router";
import { errorBox } from "../ui";
import { datasetHref } from "./datasets";

const FORMATS = ["csv", "json", "ndjson", "parquet"] as const;
const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/**
 * Files above this size go in parts (POST /v1/uploads/multipart): one request carries at most 100 MB on
 * Workers, and a failed part is re-sent alone. Parts are 16 MiB (the API's minimum is 5 MiB but the last).
 * Both can be lowered for a session (sessionStorage `tarn.upload.single-max-bytes`, `tarn.upload.part-bytes`),
 * which the browser test uses to send a small file in parts.
 */
const SINGLE_MAX_BYTES = 64 * 1024 * 1024;
const PART_BYTES = 16 * 1024 * 1024;
const MIN_PART_BYTES = 5 * 1024 * 1024;
const PART_TRIES = 3;

function setting(key: string, fallback: number, min = 1): number {
  const v = Number(sessionStorage.getItem(key));
  return Number.isFinite(v) && v >= min ? v : fallback;
}

interface Sent {
  job_id: string;
  dataset: string;
}

/** Sends the file in parts, each retried a few times, and joins them; a failure abandons the parts. */
async function sendInParts(
  file: File,
  start: { name: string; format: string; mode: string },
  onSent: (fraction: number) => void,
): Promise<Sent> {
  const partBytes = setting("tarn.upload.part-bytes", PART_BYTES, MIN_PART_BYTES);
  const { upload_id } = await request<{ upload_id: string }>("/v1/uploads/multipart", { json: start });
  const base = `/v1/uploads/multipart/${encodeURIComponent(upload_id)}`;
  try {
    const parts = Math.max(1, Math.ceil(file.size / partBytes));
    for (let n = 1; n <= parts; n++) {
      const from = (n - 1) * partBytes;
      const blob = file.slice(from, Math.min(file.size, from + partBytes));
      for (let attempt = 1; ; attempt++) {
        try {
          await sendFile(`${base}/parts/${n}`, blob, (x) => onSent((from + x * blob.size) / file.size), "PUT");
          break;
        } catch (err) {
          if (attempt >= PART_TRIES) throw err;
        }
      }
    }
    return await request<Sent>(`${base}/complete`, { method: "POST" });
  } catch (err) {
    await request(base, { method: "DELETE" }).catch(() => undefined);
    throw err;
  }
}

/** A dataset name from a file name: `Q3 sales-2024.csv` → `q3_sales_2024`. */
export function nameFromFile(file: string): string {
  const base = file
    .replace(/\.gz$/i, "")
    .replace(/\.[^.]*$/, "")
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, "_")
    .replace(/^_+|_+$/g, "");
  const named = /^[a-z_]/.test(base) ? base : `t_${base}`;
  return named.slice(0, 64) || "upload";
}

function formatFromFile(file: string): (typeof FORMATS)[number] | "" {
  const ext = file.toLowerCase().replace(/\.gz$/, "").split(".").pop() ?? "";
  if (ext === "tsv") return "csv";
  if (ext === "jsonl") return "ndjson";
  return (FORMATS as readonly string[]).includes(ext) ? (ext as (typeof FORMATS)[number]) : "";
}

export async function uploadPage(main: HTMLElement): Promise<void> {
  let watch: { stop: () => void } | null = null;
  // Subscribed before any upload starts, so even a job that finishes at once is seen on the stream.
  const stream = openJobStream();
  setCleanup(() => {
    watch?.stop();
    stream.close();
  });
  const file = h("input", {
    id: "upload-file",
    type: "file",
    required: true,
    accept: ".csv,.tsv,.json,.ndjson,.jsonl,.parquet,.gz",
  });
  const name = h("input", {
    id: "upload-name",
    required: true,
    pattern: NAME.source,
    "aria-describedby": "upload-name-help",
  });
  const format = h(
    "select",
    { id: "upload-format", required: true },
    FORMATS.map((f) => h("option", { value: f }, f)),
  );
  const mode = h(
    "select",
    { id: "upload-mode" },
    h("option", { value: "replace" }, "replace the dataset"),
    h("option", { value: "append" }, "append to it"),
  );
  const submit = h("button", { class: "primary", type: "submit" }, "Upload");
  const bar = h("progress", { id: "upload-progress", max: 100, value: 0, "aria-labelledby": "upload-stage" });
  const stage = h("span", { id: "upload-stage" }, "");
  const outcome = h("div", { role: "status", "aria-live": "polite" });
  const progress = h("div", { class: "card upload-progress", hidden: true }, h("div", null, stage), bar, outcome);

  const picked = () => {
    const f = file.files?.[0];
    if (!f) return;
    if (!name.value) name.value = nameFromFile(f.name);
    const guessed = formatFromFile(f.name);
    if (guessed) format.value = guessed;
  };
  file.addEventListener("change", picked);

  const show = (label: string, value: number) => {
    stage.textContent = label;
    bar.value = value;
  };

  mount(
    main,
    h("h1", null, "Upload a file"),
    h(
      "p",
      { class: "muted" },
      "CSV, JSON, NDJSON or Parquet (gzip allowed) becomes a dataset you can query with SQL. Column types are inferred; the dataset is profiled when it lands.",
    ),
    h(
      "form",
      {
        class: "card upload-form",
        "aria-label": "Upload a file",
        // A file dropped anywhere on the form is the file picked (the picker stays the keyboard way).
        ondragover: (e: DragEvent) => {
          if (e.dataTransfer?.types.includes("Files")) e.preventDefault();
        },
        ondrop: (e: DragEvent) => {
          const dropped = e.dataTransfer?.files;
          if (!dropped?.length) return;
          e.preventDefault();
          file.files = dropped;
          picked();
        },
        onsubmit: async (e: Event) => {
          e.preventDefault();
          const f = file.files?.[0];
          if (!f) return;
          if (!NAME.test(name.value)) {
            mount(
              outcome,
              h(
                "div",
                { class: "error", role: "alert" },
                "The dataset name must start with a letter or _ and hold only letters, digits and _ (at most 64).",
              ),
            );
            progress.hidden = false;
            return;
          }
          watch?.stop();
          submit.disabled = true;
          progress.hidden = false;
          mount(outcome);
          // The bar: the first 30% is the file leaving the browser, the rest the job's own progress.
          show(`Sending ${f.name}…`, 0);
          try {
            await stream.ready;
            const start = { name: name.value, format: format.value, mode: mode.value };
            const onSent = (x: number) => show(`Sending ${f.name}: ${Math.round(x * 100)}%`, Math.round(x * 30));
            const sent =
              f.size > setting("tarn.upload.single-max-bytes", SINGLE_MAX_BYTES)
                ? await sendInParts(f, start, onSent)
                : await sendFile<Sent>(`/v1/uploads?${new URLSearchParams(start)}`, f, onSent);
            show("Queued for conversion…", 30);
            const w = watchJob(
              sent.job_id,
              (job: Job) => {
                if (job.status === "queued") show("Queued for conversion…", 30);
                else if (job.status === "running")
                  show(`Converting to Parquet: ${job.progress}%`, 30 + Math.round(job.progress * 0.7));
              },
              stream,
            );
            watch = w;
            const done = await w.done;
            if (done.status === "succeeded") {
              show("Done", 100);
              const rows = Number(done.result?.rows ?? 0);
              const score = done.result?.quality_score;
              mount(
                outcome,
                h(
                  "p",
                  { class: "ok" },
                  `Done: ${rows.toLocaleString()} rows in “${sent.dataset}”`,
                  typeof score === "number" ? `, quality score ${Math.round(score * 100)}%` : "",
                  ". ",
                ),
                h(
                  "a",
                  { class: "button primary", href: datasetHref(sent.dataset), "data-link": true },
                  "Open the dataset",
                ),
              );
            } else {
              show("Failed", bar.value);
              mount(
                outcome,
                h(
                  "div",
                  { class: "error", role: "alert" },
                  h("strong", null, "The upload failed"),
                  `: ${done.error ?? "no reason given"}. Nothing was published.`,
                ),
              );
            }
          } catch (err) {
            show("Failed", bar.value);
            mount(outcome, errorBox(err));
          } finally {
            submit.disabled = false;
          }
        },
      },
      h("label", { for: "upload-file" }, "File (or drop it here)", file),
      h(
        "div",
        { class: "row" },
        h("label", { for: "upload-name" }, "Dataset name", name),
        h("div", { class: "field" }, h("label", { for: "upload-format" }, "Format"), format),
        h("div", { class: "field" }, h("label", { for: "upload-mode" }, "If it exists"), mode),
        submit,
      ),
      h(
        "p",
        { id: "upload-name-help", class: "muted" },
        "Letters, digits and _; not an event type's name. It becomes the SQL table.",
      ),
    ),
    progress,
  );
}
