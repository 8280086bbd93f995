-- questions.results_version moves whenever a question's results could read differently, in the same
-- transaction as the change, so a live results view asks "still version N?" instead of recounting votes.
-- The vote and choice counters of 0002 are rebuilt to bump it in the same UPDATE (one write per vote).
DROP TRIGGER `votes_count_insert`;
--> statement-breakpoint
CREATE TRIGGER `votes_count_insert` AFTER INSERT ON `votes` BEGIN
  UPDATE `questions` SET `vote_count` = `vote_count` + 1, `results_version` = `results_version` + 1 WHERE `id` = NEW.`question_id`;
END;
--> statement-breakpoint
DROP TRIGGER `votes_count_delete`;
--> statement-breakpoint
CREATE TRIGGER `votes_count_delete` AFTER DELETE ON `votes` BEGIN
  UPDATE `questions` SET `vote_count` = `vote_count` - 1, `results_version` = `results_version` + 1 WHERE `id` = OLD.`question_id`;
END;
--> statement-breakpoint
-- A changed vote keeps the count but moves the tally; voting again for the same choice moves nothing.
CREATE TRIGGER `votes_results_update` AFTER UPDATE OF `choice_id` ON `votes` WHEN OLD.`choice_id` IS NOT NEW.`choice_id` BEGIN
  UPDATE `questions` SET `results_version` = `results_version` + 1 WHERE `id` = NEW.`question_id`;
END;
--> statement-breakpoint
DROP TRIGGER `choices_count_insert`;
--> statement-breakpoint
CREATE TRIGGER `choices_count_insert` AFTER INSERT ON `choices` BEGIN
  UPDATE `questions` SET `choice_count` = `choice_count` + 1, `results_version` = `results_version` + 1 WHERE `id` = NEW.`question_id`;
END;
--> statement-breakpoint
DROP TRIGGER `choices_count_delete`;
--> statement-breakpoint
CREATE TRIGGER `choices_count_delete` AFTER DELETE ON `choices` BEGIN
  UPDATE `questions` SET `choice_count` = `choice_count` - 1, `results_version` = `results_version` + 1 WHERE `id` = OLD.`question_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `choices_results_update` AFTER UPDATE OF `choice_text` ON `choices` WHEN OLD.`choice_text` IS NOT NEW.`choice_text` BEGIN
  UPDATE `questions` SET `results_version` = `results_version` + 1 WHERE `id` = NEW.`question_id`;
END;
