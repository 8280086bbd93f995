ALTER TABLE `sessions` ADD `provider_sid` text;--> statement-breakpoint
ALTER TABLE `sessions` ADD `refresh_token` text;--> statement-breakpoint
ALTER TABLE `sessions` ADD `renew_at` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `sessions` ADD `last_seen_at` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `sessions_provider_sid_idx` ON `sessions` (`provider_sid`);--> statement-breakpoint
-- Sessions open at upgrade count as seen when they started, so the idle timeout does not end them all at once.
UPDATE `sessions` SET `last_seen_at` = `created_at`;
