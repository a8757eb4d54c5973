CREATE TABLE `dataset_settings` (
	`project_id` text NOT NULL,
	`dataset` text NOT NULL,
	`retention_days` integer,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	PRIMARY KEY(`project_id`, `dataset`)
);
--> statement-breakpoint
CREATE TABLE `jobs` (
	`id` text PRIMARY KEY NOT NULL,
	`type` text NOT NULL,
	`project_id` text NOT NULL,
	`params` text NOT NULL,
	`status` text NOT NULL,
	`progress` integer DEFAULT 0 NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`error` text,
	`result` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`started_at` text,
	`finished_at` text
);
--> statement-breakpoint
CREATE INDEX `jobs_project` ON `jobs` (`project_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `dead_letters` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text,
	`queue` text NOT NULL,
	`message_id` text NOT NULL,
	`attempts` integer NOT NULL,
	`body` text NOT NULL,
	`events` integer,
	`received_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `dead_letters_project` ON `dead_letters` (`project_id`,`received_at`);--> statement-breakpoint
CREATE TABLE `ingest_commits` (
	`commit_id` text PRIMARY KEY NOT NULL,
	`events` integer NOT NULL,
	`committed_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL
);
--> statement-breakpoint
CREATE TABLE `lake_files` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`key` text NOT NULL,
	`project_id` text NOT NULL,
	`dataset` text NOT NULL,
	`layer` text NOT NULL,
	`dt` text NOT NULL,
	`hr` integer,
	`rows` integer NOT NULL,
	`bytes` integer NOT NULL,
	`min_ts` integer NOT NULL,
	`max_ts` integer NOT NULL,
	`columns` text NOT NULL,
	`schema_version` integer DEFAULT 1 NOT NULL,
	`added_snapshot` integer NOT NULL,
	`removed_snapshot` integer,
	`deleted_at` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `lake_files_current` ON `lake_files` (`project_id`,`removed_snapshot`,`dataset`,`min_ts`);--> statement-breakpoint
CREATE INDEX `lake_files_added` ON `lake_files` (`project_id`,`added_snapshot`);--> statement-breakpoint
CREATE INDEX `lake_files_key` ON `lake_files` (`key`);--> statement-breakpoint
CREATE TABLE `publish_guards` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`ok` integer NOT NULL,
	CONSTRAINT "publish_guards_ok" CHECK("publish_guards"."ok" = 1)
);
--> statement-breakpoint
CREATE TABLE `snapshots` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`project_id` text NOT NULL,
	`kind` text NOT NULL,
	`commit_id` text NOT NULL,
	`files_added` integer DEFAULT 0 NOT NULL,
	`files_removed` integer DEFAULT 0 NOT NULL,
	`rows_added` integer DEFAULT 0 NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `snapshots_commit_project` ON `snapshots` (`commit_id`,`project_id`);--> statement-breakpoint
CREATE INDEX `snapshots_project` ON `snapshots` (`project_id`,`id`);