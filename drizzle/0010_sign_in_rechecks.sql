CREATE TABLE `used_logout_tokens` (
	`jti` text PRIMARY KEY NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `used_logout_tokens_expires_idx` ON `used_logout_tokens` (`expires_at`);--> statement-breakpoint
ALTER TABLE `sessions` ADD `checked_at` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- Sessions open at upgrade count as confirmed when they started (the provider confirmed them then at least).
UPDATE `sessions` SET `checked_at` = `created_at`;
