-- What SQLite's triggers keep (drizzle/0002, 0007), kept here by PostgreSQL's, in the same transaction as
-- the change: questions.choice_count and vote_count (the admin table shows and sorts by them), and
-- results_version, which moves whenever a question's results could read differently (live results ask
-- "still version N?" instead of recounting). A vote is one row insert plus one counter update.
CREATE FUNCTION polls_votes_counted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE questions SET vote_count = vote_count + 1, results_version = results_version + 1 WHERE id = NEW.question_id;
  ELSIF TG_OP = 'DELETE' THEN
    UPDATE questions SET vote_count = vote_count - 1, results_version = results_version + 1 WHERE id = OLD.question_id;
  ELSE
    UPDATE questions SET results_version = results_version + 1 WHERE id = NEW.question_id;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER votes_counted AFTER INSERT OR DELETE ON votes FOR EACH ROW EXECUTE FUNCTION polls_votes_counted();
--> statement-breakpoint
-- A changed vote keeps the count but moves the tally; voting again for the same choice moves nothing.
CREATE TRIGGER votes_moved AFTER UPDATE OF choice_id ON votes FOR EACH ROW
  WHEN (OLD.choice_id IS DISTINCT FROM NEW.choice_id) EXECUTE FUNCTION polls_votes_counted();
--> statement-breakpoint
CREATE FUNCTION polls_choices_counted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE questions SET choice_count = choice_count + 1, results_version = results_version + 1 WHERE id = NEW.question_id;
  ELSIF TG_OP = 'DELETE' THEN
    UPDATE questions SET choice_count = choice_count - 1, results_version = results_version + 1 WHERE id = OLD.question_id;
  ELSE
    UPDATE questions SET results_version = results_version + 1 WHERE id = NEW.question_id;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER choices_counted AFTER INSERT OR DELETE ON choices FOR EACH ROW EXECUTE FUNCTION polls_choices_counted();
--> statement-breakpoint
CREATE TRIGGER choices_renamed AFTER UPDATE OF choice_text ON choices FOR EACH ROW
  WHEN (OLD.choice_text IS DISTINCT FROM NEW.choice_text) EXECUTE FUNCTION polls_choices_counted();
--> statement-breakpoint
-- The visitors' poll list is kept by every node until the published questions change: a notification
-- at the commit of any change to them tells every listening node (src/db/postgres/data-version.ts).
-- Votes touch only the counters, so they notify nobody.
CREATE FUNCTION polls_questions_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('polls_questions_changed', '');
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER questions_changed AFTER INSERT OR DELETE OR UPDATE OF question_text, pub_date ON questions
  FOR EACH STATEMENT EXECUTE FUNCTION polls_questions_changed();
