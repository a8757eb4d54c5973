CREATE TABLE `row_policies` (
	`project_id` text NOT NULL,
	`name` text NOT NULL,
	`dataset` text NOT NULL,
	`roles` text DEFAULT '[]' NOT NULL,
	`users` text DEFAULT '[]' NOT NULL,
	`keys` text DEFAULT '[]' NOT NULL,
	`filter` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	PRIMARY KEY(`project_id`, `name`)
);
--> statement-breakpoint
ALTER TABLE `users` ADD `attributes` text DEFAULT '{}' NOT NULL;
