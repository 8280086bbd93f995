-- The admin table's search, rebuilt so that a search combined with a date filter is counted inside the
-- index, and so that searches of one or two characters are indexed too (0004 scanned every row for them).
--
-- Each question is indexed under the key  day * 2^32 + id,  where day = whole UTC days since 1970 of
-- pub_date (floored, so dates before 1970 work). The key orders the index by day, so "matches published
-- between these two midnights" is a rowid range the search answers itself, without reading one row of
-- `questions` per match; the question's id is the key's low 32 bits (key & 4294967295). Ids of 2^32 and
-- above cannot be keyed and are refused.
--
-- Two contentless FTS5 tables (they store only the index; contentless_delete lets a row go by its key):
--  - questions_search: the text, trigram tokenizer (case-insensitive substring of 3+ characters), as 0004;
--  - questions_search_short: the text with char(1) before, between and after its characters, "·a·b·c·",
--    under the same tokenizer. Its trigrams are "·a·" (each character) and "a·b" (each pair of adjacent
--    characters), so a 1- or 2-character search is a single token. Searches never contain char(1) (control
--    characters are stripped from them), so they match only real characters. Positions are not needed for
--    one token: detail=none keeps it small.
-- The view questions_search_rows is the one definition of what is indexed under which key; the triggers
-- keep both tables in step with `questions` in the same transaction as each change, and a bulk load
-- (src/db/bulk-seed.ts) fills them from the view.
DROP TRIGGER `questions_fts_insert`;
--> statement-breakpoint
DROP TRIGGER `questions_fts_delete`;
--> statement-breakpoint
DROP TRIGGER `questions_fts_update`;
--> statement-breakpoint
DROP TABLE `questions_fts`;
--> statement-breakpoint
CREATE VIRTUAL TABLE `questions_search` USING fts5(`question_text`, content='', contentless_delete=1, tokenize='trigram');
--> statement-breakpoint
CREATE VIRTUAL TABLE `questions_search_short` USING fts5(`chars`, content='', contentless_delete=1, detail=none, tokenize='trigram');
--> statement-breakpoint
CREATE VIEW `questions_search_rows` AS SELECT
  `id`,
  ((`pub_date` - ((`pub_date` % 86400000) + 86400000) % 86400000) / 86400000) * 4294967296 + `id` AS `key`,
  `question_text`,
  (WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < length(`question_text`))
    SELECT char(1) || group_concat(substr(`question_text`, i, 1), char(1) ORDER BY i) || char(1) FROM c) AS `chars`
FROM `questions`;
--> statement-breakpoint
-- In key order: FTS5 writes out what it has gathered whenever a key arrives below the last one.
INSERT INTO `questions_search`(rowid, `question_text`) SELECT `key`, `question_text` FROM `questions_search_rows` ORDER BY `key`;
--> statement-breakpoint
INSERT INTO `questions_search_short`(rowid, `chars`) SELECT `key`, `chars` FROM `questions_search_rows` ORDER BY `key`;
--> statement-breakpoint
CREATE TRIGGER `questions_search_insert` AFTER INSERT ON `questions` BEGIN
  SELECT RAISE(ABORT, 'question ids of 2^32 and above cannot be indexed for search') WHERE NEW.`id` >= 4294967296;
  INSERT INTO `questions_search`(rowid, `question_text`) SELECT `key`, `question_text` FROM `questions_search_rows` WHERE `id` = NEW.`id`;
  INSERT INTO `questions_search_short`(rowid, `chars`) SELECT `key`, `chars` FROM `questions_search_rows` WHERE `id` = NEW.`id`;
END;
--> statement-breakpoint
-- Before the change, while the row still has the values it was indexed under (these only touch the
-- search tables, never the row being changed).
CREATE TRIGGER `questions_search_delete` BEFORE DELETE ON `questions` BEGIN
  DELETE FROM `questions_search` WHERE rowid = (SELECT `key` FROM `questions_search_rows` WHERE `id` = OLD.`id`);
  DELETE FROM `questions_search_short` WHERE rowid = (SELECT `key` FROM `questions_search_rows` WHERE `id` = OLD.`id`);
END;
--> statement-breakpoint
CREATE TRIGGER `questions_search_update_old` BEFORE UPDATE OF `id`, `question_text`, `pub_date` ON `questions`
  WHEN OLD.`id` IS NOT NEW.`id` OR OLD.`question_text` IS NOT NEW.`question_text` OR OLD.`pub_date` IS NOT NEW.`pub_date` BEGIN
  DELETE FROM `questions_search` WHERE rowid = (SELECT `key` FROM `questions_search_rows` WHERE `id` = OLD.`id`);
  DELETE FROM `questions_search_short` WHERE rowid = (SELECT `key` FROM `questions_search_rows` WHERE `id` = OLD.`id`);
END;
--> statement-breakpoint
CREATE TRIGGER `questions_search_update_new` AFTER UPDATE OF `id`, `question_text`, `pub_date` ON `questions`
  WHEN OLD.`id` IS NOT NEW.`id` OR OLD.`question_text` IS NOT NEW.`question_text` OR OLD.`pub_date` IS NOT NEW.`pub_date` BEGIN
  SELECT RAISE(ABORT, 'question ids of 2^32 and above cannot be indexed for search') WHERE NEW.`id` >= 4294967296;
  INSERT INTO `questions_search`(rowid, `question_text`) SELECT `key`, `question_text` FROM `questions_search_rows` WHERE `id` = NEW.`id`;
  INSERT INTO `questions_search_short`(rowid, `chars`) SELECT `key`, `chars` FROM `questions_search_rows` WHERE `id` = NEW.`id`;
END;
