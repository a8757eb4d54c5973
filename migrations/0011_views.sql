CREATE TABLE `views` (
	`project_id` text NOT NULL,
	`name` text NOT NULL,
	`sql` text NOT NULL,
	`refresh` text NOT NULL,
	`mode` text NOT NULL,
	`time_column` text,
	`depends_on` text NOT NULL,
	`columns` text NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`built_snapshot` integer,
	`built_version` integer,
	`pending` text,
	`next_run_at` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	PRIMARY KEY(`project_id`, `name`)
);
--> statement-breakpoint
CREATE TABLE `view_runs` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`view` text NOT NULL,
	`job_id` text,
	`status` text NOT NULL,
	`mode` text NOT NULL,
	`input_snapshot` integer,
	`published_snapshot` integer,
	`buckets` integer,
	`rows` integer,
	`files` integer,
	`bytes` integer,
	`duration_ms` integer,
	`error` text,
	`started_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`finished_at` text
);
--> statement-breakpoint
CREATE INDEX `view_runs_view` ON `view_runs` (`project_id`,`view`,`started_at`);
