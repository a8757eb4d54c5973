CREATE TABLE `privacy_columns` (
	`project_id` text NOT NULL,
	`dataset` text NOT NULL,
	`column` text NOT NULL,
	`classification` text,
	`pii` integer DEFAULT false NOT NULL,
	`mask` text,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	PRIMARY KEY(`project_id`, `dataset`, `column`)
);
--> statement-breakpoint
CREATE TABLE `privacy_keys` (
	`project_id` text NOT NULL,
	`key_id` text NOT NULL,
	`subject` text NOT NULL,
	`wrapped` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	PRIMARY KEY(`project_id`, `key_id`)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `privacy_keys_subject` ON `privacy_keys` (`project_id`,`subject`);
--> statement-breakpoint
CREATE TABLE `privacy_requests` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`kind` text NOT NULL,
	`subject` text NOT NULL,
	`status` text NOT NULL,
	`actor` text NOT NULL,
	`requested_at` text NOT NULL,
	`keys_destroyed_at` text,
	`completed_at` text,
	`rows_removed` integer DEFAULT 0 NOT NULL,
	`files_rewritten` integer DEFAULT 0 NOT NULL,
	`result` text,
	`error` text
);
