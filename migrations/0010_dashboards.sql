-- Dashboards (issue 17): a dashboard's tiles are one JSON column (checked by shared/dashboards/spec.ts);
-- share links keep only the SHA-256 of their token, so a database read cannot open a dashboard.
CREATE TABLE `dashboards` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`name` text NOT NULL,
	`visualizations` text NOT NULL,
	`created_by` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `dashboards_project` ON `dashboards` (`project_id`, `updated_at`);
--> statement-breakpoint
CREATE TABLE `dashboard_shares` (
	`id` text PRIMARY KEY NOT NULL,
	`token_hash` text NOT NULL,
	`project_id` text NOT NULL,
	`dashboard_id` text NOT NULL,
	`created_by` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`revoked_at` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `dashboard_shares_token` ON `dashboard_shares` (`token_hash`);
--> statement-breakpoint
CREATE INDEX `dashboard_shares_dashboard` ON `dashboard_shares` (`project_id`, `dashboard_id`);
