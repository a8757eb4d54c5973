CREATE TABLE `ml_models` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`dataset` text NOT NULL,
	`target_column` text NOT NULL,
	`problem_type` text NOT NULL,
	`features` text NOT NULL,
	`source_sql` text NOT NULL,
	`snapshot` integer,
	`version` integer NOT NULL,
	`params` text NOT NULL,
	`status` text NOT NULL,
	`metrics` text,
	`classes` text,
	`rows_trained` integer,
	`training_time_seconds` real,
	`object_key` text,
	`job_id` text NOT NULL,
	`error` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`finished_at` text
);
--> statement-breakpoint
CREATE INDEX `ml_models_project` ON `ml_models` (`project_id`,`created_at`);
