CREATE TABLE `choices` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`question_id` integer NOT NULL,
	`choice_text` text NOT NULL,
	FOREIGN KEY (`question_id`) REFERENCES `questions`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "choices_text_length" CHECK(length("choices"."choice_text") between 1 and 200)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `choices_question_id_id_idx` ON `choices` (`question_id`,`id`);--> statement-breakpoint
CREATE TABLE `questions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`question_text` text NOT NULL,
	`pub_date` integer NOT NULL,
	CONSTRAINT "questions_text_length" CHECK(length("questions"."question_text") between 1 and 200)
);
--> statement-breakpoint
CREATE INDEX `questions_pub_date_idx` ON `questions` (`pub_date`);--> statement-breakpoint
CREATE TABLE `users` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`sub` text NOT NULL,
	`username` text NOT NULL,
	`email` text DEFAULT '' NOT NULL,
	`first_name` text DEFAULT '' NOT NULL,
	`last_name` text DEFAULT '' NOT NULL,
	`role` text NOT NULL,
	`is_active` integer DEFAULT true NOT NULL,
	`last_login` integer,
	`date_joined` integer NOT NULL,
	CONSTRAINT "users_role_check" CHECK("users"."role" in ('user', 'staff', 'admin'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_sub_unique` ON `users` (`sub`);--> statement-breakpoint
CREATE TABLE `votes` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`user_id` integer NOT NULL,
	`question_id` integer NOT NULL,
	`choice_id` integer NOT NULL,
	`voted_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`question_id`) REFERENCES `questions`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`question_id`,`choice_id`) REFERENCES `choices`(`question_id`,`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `votes_user_question_idx` ON `votes` (`user_id`,`question_id`);--> statement-breakpoint
CREATE INDEX `votes_question_choice_idx` ON `votes` (`question_id`,`choice_id`);