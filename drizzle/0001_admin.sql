CREATE TABLE `admin_log` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`action_time` integer NOT NULL,
	`user_id` integer,
	`username` text NOT NULL,
	`object_type` text NOT NULL,
	`object_id` integer NOT NULL,
	`question_id` integer,
	`object_repr` text NOT NULL,
	`action` text NOT NULL,
	`change_message` text DEFAULT '' NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `admin_log_action_time_idx` ON `admin_log` (`action_time`);--> statement-breakpoint
CREATE INDEX `admin_log_question_idx` ON `admin_log` (`question_id`,`action_time`);--> statement-breakpoint
ALTER TABLE `questions` ADD `version` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE `questions` ADD `choice_count` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `questions` ADD `vote_count` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `questions_text_idx` ON `questions` (`question_text`);--> statement-breakpoint
CREATE INDEX `questions_choice_count_idx` ON `questions` (`choice_count`);--> statement-breakpoint
CREATE INDEX `questions_vote_count_idx` ON `questions` (`vote_count`);