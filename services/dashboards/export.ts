// Dashboard exports: the page SVG (shared/charts) → PNG with resvg (WASM, compiled at deploy and imported
// as a module) → optionally one PDF page with pdf-lib; export-store.ts keeps the file. Routes import this
// module lazily, so only an export loads the WASM.
import { initWasm, Resvg } from "@resvg/resvg-wasm";
import resvgWasm from "@resvg/resvg-wasm/index_bg.wasm";
import { PDFDocument } from "pdf-lib";
import { fromBase64 } from "../../shared/base64";
import { dashboardSvg } from "../../shared/charts/dashboard-svg";
import { DARK, LIGHT } from "../../shared/charts/theme";
import type { TileData, Visualization } from "../../shared/dashboards/spec";
import { type ExportFormat, storeExport } from "./export-store";
import { LIBERATION_SANS_BOLD, LIBERATION_SANS_REGULAR } from "./fonts/liberation-sans";

let ready: Promise<void> | null = null;
let fonts: Uint8Array[] | null = null;

/** Compiles nothing at run time: the module was compiled at deploy; this instantiates it once per isolate. */
function resvgReady(): Promise<void> {
  ready ??= initWasm(resvgWasm).catch((err) => {
    ready = null;
    throw err;
  });
  return ready;
}

function fontBuffers(): Uint8Array[] {
  fonts ??= [fromBase64(LIBERATION_SANS_REGULAR), fromBase64(LIBERATION_SANS_BOLD)];
  return fonts;
}

export async function svgToPng(svg: string): Promise<Uint8Array> {
  await resvgReady();
  const resvg = new Resvg(svg, {
    font: { fontBuffers: fontBuffers(), loadSystemFonts: false, defaultFontFamily: "Liberation Sans" },
    background: "white",
  });
  try {
    const rendered = resvg.render();
    try {
      return rendered.asPng();
    } finally {
      rendered.free();
    }
  } finally {
    resvg.free();
  }
}

/** One PDF page the size of the PNG (at 96 dpi, in points), the image filling it. */
export async function pngToPdf(png: Uint8Array, width: number, height: number, title: string): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  doc.setTitle(title);
  doc.setProducer("Tarn");
  doc.setCreationDate(new Date());
  const image = await doc.embedPng(png);
  const page = doc.addPage([width * 0.75, height * 0.75]);
  page.drawImage(image, { x: 0, y: 0, width: width * 0.75, height: height * 0.75 });
  // Without object streams: older readers and simple parsers see every object.
  return doc.save({ useObjectStreams: false });
}

export interface ExportResult {
  file: string;
  bytes: number;
  width: number;
  height: number;
  expiresAt: string;
}

/** Renders, stores and names an export of the dashboard's current data. */
export async function exportDashboard(
  env: Env,
  projectId: string,
  dashboard: { id: string; name: string; visualizations: Visualization[] },
  tiles: TileData[],
  options: { format: ExportFormat; width: number; theme: "light" | "dark" },
): Promise<ExportResult> {
  const page = dashboardSvg(dashboard.name, dashboard.visualizations, tiles, {
    width: options.width,
    theme: options.theme === "dark" ? DARK : LIGHT,
    fontFamily: "Liberation Sans",
  });
  const png = await svgToPng(page.svg);
  const body = options.format === "png" ? png : await pngToPdf(png, page.width, page.height, dashboard.name);
  const { file, expiresAt } = await storeExport(env, projectId, dashboard, options.format, body);
  return { file, bytes: body.byteLength, width: page.width, height: page.height, expiresAt };
}
