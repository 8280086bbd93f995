DROP INDEX `questions_text_idx`;--> statement-breakpoint
DROP INDEX `questions_choice_count_idx`;--> statement-breakpoint
DROP INDEX `questions_vote_count_idx`;--> statement-breakpoint
CREATE INDEX `questions_pub_date_text_idx` ON `questions` (`pub_date`,`id`,`question_text`);--> statement-breakpoint
CREATE INDEX `questions_text_idx` ON `questions` (`question_text`,`id`,`pub_date`);--> statement-breakpoint
CREATE INDEX `questions_choice_count_idx` ON `questions` (`choice_count`,`id`,`pub_date`,`question_text`);--> statement-breakpoint
CREATE INDEX `questions_vote_count_idx` ON `questions` (`vote_count`,`id`,`pub_date`,`question_text`);