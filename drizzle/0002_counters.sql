-- Per-question counts kept by the database itself, in the same transaction as the change that moves
-- them, so the admin table can show and sort by them without counting a million votes per page.
UPDATE `questions` SET
  `choice_count` = (SELECT count(*) FROM `choices` WHERE `choices`.`question_id` = `questions`.`id`),
  `vote_count` = (SELECT count(*) FROM `votes` WHERE `votes`.`question_id` = `questions`.`id`);
--> statement-breakpoint
CREATE TRIGGER `choices_count_insert` AFTER INSERT ON `choices` BEGIN
  UPDATE `questions` SET `choice_count` = `choice_count` + 1 WHERE `id` = NEW.`question_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `choices_count_delete` AFTER DELETE ON `choices` BEGIN
  UPDATE `questions` SET `choice_count` = `choice_count` - 1 WHERE `id` = OLD.`question_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `votes_count_insert` AFTER INSERT ON `votes` BEGIN
  UPDATE `questions` SET `vote_count` = `vote_count` + 1 WHERE `id` = NEW.`question_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `votes_count_delete` AFTER DELETE ON `votes` BEGIN
  UPDATE `questions` SET `vote_count` = `vote_count` - 1 WHERE `id` = OLD.`question_id`;
END;
