CREATE TABLE `rollup_hours` (
	`project_id` text NOT NULL,
	`hour_ms` integer NOT NULL,
	`built_snapshot` integer NOT NULL,
	`groups` integer NOT NULL,
	`events` integer NOT NULL,
	`built_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	PRIMARY KEY(`project_id`, `hour_ms`)
);
--> statement-breakpoint
CREATE TABLE `rollups` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`project_id` text NOT NULL,
	`hour_ms` integer NOT NULL,
	`event_type` text NOT NULL,
	`environment` text,
	`source` text,
	`country` text,
	`region` text,
	`count` integer NOT NULL,
	`users_hll` text NOT NULL,
	`sessions_hll` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `rollups_hour` ON `rollups` (`project_id`,`hour_ms`);