CREATE TABLE `contracts` (
	`project_id` text NOT NULL,
	`event_type` text NOT NULL,
	`current_version` integer NOT NULL,
	`mode` text NOT NULL,
	`enforced_version` integer,
	`description` text,
	`owner` text,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	PRIMARY KEY(`project_id`, `event_type`)
);
--> statement-breakpoint
CREATE TABLE `contract_versions` (
	`project_id` text NOT NULL,
	`event_type` text NOT NULL,
	`version` integer NOT NULL,
	`schema` text NOT NULL,
	`mode` text NOT NULL,
	`compatibility` text NOT NULL,
	`reasons` text NOT NULL,
	`forced` integer DEFAULT 0 NOT NULL,
	`description` text,
	`owner` text,
	`checked` integer DEFAULT 0 NOT NULL,
	`rejected` integer DEFAULT 0 NOT NULL,
	`warned` integer DEFAULT 0 NOT NULL,
	`would_reject` integer DEFAULT 0 NOT NULL,
	`samples` text DEFAULT '[]' NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	PRIMARY KEY(`project_id`, `event_type`, `version`)
);
--> statement-breakpoint
CREATE TABLE `quarantine_entries` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`event_type` text,
	`event_id` text NOT NULL,
	`object_key` text NOT NULL,
	`line` integer NOT NULL,
	`code` text NOT NULL,
	`reason` text NOT NULL,
	`contract_version` integer,
	`request_id` text NOT NULL,
	`received_at` text NOT NULL,
	`replayed_at` text,
	`replay_outcome` text,
	`replay_error` text
);
--> statement-breakpoint
CREATE INDEX `quarantine_entries_time` ON `quarantine_entries` (`project_id`,`received_at`);--> statement-breakpoint
CREATE INDEX `quarantine_entries_type` ON `quarantine_entries` (`project_id`,`event_type`,`received_at`);--> statement-breakpoint
CREATE TABLE `glossary_terms` (
	`project_id` text NOT NULL,
	`term` text NOT NULL,
	`definition` text NOT NULL,
	`links` text NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	PRIMARY KEY(`project_id`, `term`)
);
--> statement-breakpoint
CREATE TABLE `lineage_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`project_id` text NOT NULL,
	`run_id` text NOT NULL,
	`job` text NOT NULL,
	`event_type` text NOT NULL,
	`event_time` text NOT NULL,
	`datasets` text NOT NULL,
	`body` text NOT NULL,
	`forwarded_at` text,
	`once_key` text
);
--> statement-breakpoint
CREATE INDEX `lineage_events_project` ON `lineage_events` (`project_id`,`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `lineage_events_once` ON `lineage_events` (`once_key`);--> statement-breakpoint
CREATE TABLE `lineage_hours` (
	`project_id` text NOT NULL,
	`dataset` text NOT NULL,
	`hour_ms` integer NOT NULL,
	`run_id` text NOT NULL,
	`rows` integer NOT NULL,
	`files` integer NOT NULL,
	`completed` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`project_id`, `dataset`, `hour_ms`)
);
--> statement-breakpoint
ALTER TABLE `dead_letters` ADD `redriven_at` text;
