-- Substring search over question text without scanning every row: an FTS5 index with the trigram
-- tokenizer (case-insensitive; serves LIKE '%text%' for 3 or more characters), kept in step with
-- `questions` by triggers in the same transaction as each change.
CREATE VIRTUAL TABLE `questions_fts` USING fts5(`question_text`, content='questions', content_rowid='id', tokenize='trigram');
--> statement-breakpoint
INSERT INTO `questions_fts`(`questions_fts`) VALUES ('rebuild');
--> statement-breakpoint
CREATE TRIGGER `questions_fts_insert` AFTER INSERT ON `questions` BEGIN
  INSERT INTO `questions_fts`(rowid, `question_text`) VALUES (NEW.`id`, NEW.`question_text`);
END;
--> statement-breakpoint
CREATE TRIGGER `questions_fts_delete` AFTER DELETE ON `questions` BEGIN
  INSERT INTO `questions_fts`(`questions_fts`, rowid, `question_text`) VALUES ('delete', OLD.`id`, OLD.`question_text`);
END;
--> statement-breakpoint
CREATE TRIGGER `questions_fts_update` AFTER UPDATE OF `question_text` ON `questions` BEGIN
  INSERT INTO `questions_fts`(`questions_fts`, rowid, `question_text`) VALUES ('delete', OLD.`id`, OLD.`question_text`);
  INSERT INTO `questions_fts`(rowid, `question_text`) VALUES (NEW.`id`, NEW.`question_text`);
END;
