CREATE TABLE `live_alert_events` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`alert_id` text NOT NULL,
	`metric` text NOT NULL,
	`status` text NOT NULL,
	`window_size` text NOT NULL,
	`window_start` integer NOT NULL,
	`value` real,
	`expected` real,
	`score` real,
	`reason` text NOT NULL,
	`fired_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`delivery` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`last_error` text,
	`delivered_at` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `live_alert_events_once` ON `live_alert_events` (`alert_id`,`window_size`,`window_start`,`status`);--> statement-breakpoint
CREATE INDEX `live_alert_events_project` ON `live_alert_events` (`project_id`,`fired_at`);--> statement-breakpoint
CREATE TABLE `live_alerts` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`name` text NOT NULL,
	`metric` text NOT NULL,
	`window` text NOT NULL,
	`value` text NOT NULL,
	`condition` text NOT NULL,
	`webhook_url` text,
	`webhook_secret` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `live_alerts_project_metric` ON `live_alerts` (`project_id`,`metric`);--> statement-breakpoint
CREATE TABLE `live_metrics` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`name` text NOT NULL,
	`definition` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `live_metrics_project_name` ON `live_metrics` (`project_id`,`name`);