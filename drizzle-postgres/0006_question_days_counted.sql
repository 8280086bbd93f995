-- question_days (0005) kept by PostgreSQL in the same transaction as each change to questions, as the
-- other counters are (0002): one row per UTC day, created by the first question of that day. A day left
-- with no questions keeps its row at 0 (deleting it would race with an insert of the same day).
CREATE FUNCTION polls_day(t timestamptz) RETURNS integer LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT floor(extract(epoch FROM t) / 86400)::integer
$$;
--> statement-breakpoint
CREATE FUNCTION polls_question_days_counted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('DELETE', 'UPDATE') THEN
    UPDATE question_days SET questions = questions - 1 WHERE day = polls_day(OLD.pub_date);
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    INSERT INTO question_days (day, questions) VALUES (polls_day(NEW.pub_date), 1)
      ON CONFLICT (day) DO UPDATE SET questions = question_days.questions + 1;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER questions_days_counted AFTER INSERT OR DELETE ON questions FOR EACH ROW EXECUTE FUNCTION polls_question_days_counted();
--> statement-breakpoint
CREATE TRIGGER questions_days_moved AFTER UPDATE OF pub_date ON questions FOR EACH ROW
  WHEN (polls_day(OLD.pub_date) <> polls_day(NEW.pub_date)) EXECUTE FUNCTION polls_question_days_counted();
--> statement-breakpoint
CREATE FUNCTION polls_question_days_emptied() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM question_days;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER questions_days_truncated AFTER TRUNCATE ON questions FOR EACH STATEMENT EXECUTE FUNCTION polls_question_days_emptied();
--> statement-breakpoint
INSERT INTO question_days (day, questions) SELECT polls_day(pub_date), count(*)::integer FROM questions GROUP BY 1;
