DROP INDEX `rollups_hour`;--> statement-breakpoint
ALTER TABLE `rollups` ADD `level` text DEFAULT 'event_type,environment,source,country,region' NOT NULL;--> statement-breakpoint
CREATE INDEX `rollups_level_hour` ON `rollups` (`project_id`,`level`,`hour_ms`);--> statement-breakpoint
-- Hours rolled up before levels existed hold only the full cube: forget them so the next rollup rebuilds them at every level.
DELETE FROM `rollups`;--> statement-breakpoint
DELETE FROM `rollup_hours`;
