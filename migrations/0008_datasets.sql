CREATE TABLE `uploads` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`dataset` text NOT NULL,
	`format` text NOT NULL,
	`mode` text NOT NULL,
	`source_key` text NOT NULL,
	`r2_upload_id` text,
	`status` text NOT NULL,
	`bytes` integer DEFAULT 0 NOT NULL,
	`job_id` text,
	`checkpoint` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `uploads_project` ON `uploads` (`project_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `upload_parts` (
	`upload_id` text NOT NULL,
	`part` integer NOT NULL,
	`etag` text NOT NULL,
	`bytes` integer NOT NULL,
	PRIMARY KEY(`upload_id`, `part`)
);
--> statement-breakpoint
CREATE TABLE `dataset_profiles` (
	`project_id` text NOT NULL,
	`dataset` text NOT NULL,
	`snapshot` integer NOT NULL,
	`profile` text NOT NULL,
	`generated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	PRIMARY KEY(`project_id`, `dataset`)
);
--> statement-breakpoint
CREATE TABLE `dataset_expectations` (
	`project_id` text NOT NULL,
	`dataset` text NOT NULL,
	`expectations` text NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	PRIMARY KEY(`project_id`, `dataset`)
);
--> statement-breakpoint
CREATE TABLE `expectation_runs` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`dataset` text NOT NULL,
	`snapshot` integer NOT NULL,
	`trigger` text NOT NULL,
	`score` real NOT NULL,
	`results` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `expectation_runs_dataset` ON `expectation_runs` (`project_id`,`dataset`,`created_at`);
