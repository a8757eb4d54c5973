// Shapes of the dashboard routes (API.md, "Dashboards").
import { z } from "zod";
import { VisualizationSchema } from "../dashboards/spec";

export const DashboardIdParam = z.object({ id: z.string().min(1).max(64) });
export const ShareParam = z.object({ id: z.string().min(1).max(64), token: z.string().min(1).max(128) });
export const SharedTokenParam = z.object({ token: z.string().min(1).max(128) });
export const ExportFileParam = z.object({ file: z.string().min(1).max(128) });

export const DashboardSchema = z
  .object({
    dashboard_id: z.string(),
    name: z.string(),
    visualizations: z.array(VisualizationSchema),
    created_at: z.string(),
    updated_at: z.string(),
    shared: z.boolean(),
  })
  .meta({ id: "Dashboard" });

export const DashboardList = z.object({ dashboards: z.array(DashboardSchema) }).meta({ id: "DashboardList" });

export const TileDataSchema = z
  .object({
    id: z.string(),
    meta: z.array(z.object({ name: z.string(), type: z.string() })),
    data: z.array(z.record(z.string(), z.unknown())),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
    source: z.string().optional(),
  })
  .meta({ id: "TileData" });

export const DashboardData = z
  .object({ visualizations: z.array(TileDataSchema), elapsed: z.number() })
  .meta({ id: "DashboardData" });

export const ShareCreated = z
  .object({ id: z.string(), share_token: z.string(), url: z.string(), created_at: z.string() })
  .meta({ id: "ShareCreated" });

export const ShareList = z
  .object({ shares: z.array(z.object({ id: z.string(), created_at: z.string(), created_by: z.string() })) })
  .meta({ id: "ShareList" });

export const SharedDashboard = z
  .object({
    dashboard: DashboardSchema.omit({ shared: true }),
    visualizations: z.array(TileDataSchema),
  })
  .meta({ id: "SharedDashboard" });

export const EXPORT_FORMATS = ["png", "pdf"] as const;

export const ExportBody = z
  .object({
    format: z.enum(EXPORT_FORMATS),
    /** Page width in CSS pixels (the grid scales to it); default 1200. */
    width: z.number().int().min(400).max(2400).optional(),
    theme: z.enum(["light", "dark"]).optional(),
  })
  .meta({ id: "ExportBody" });

export const ExportCreated = z
  .object({
    download_url: z.string(),
    expires_at: z.string(),
    format: z.enum(EXPORT_FORMATS),
    bytes: z.number().int(),
    width: z.number().int(),
    height: z.number().int(),
  })
  .meta({ id: "ExportCreated" });
