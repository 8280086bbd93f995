-- A question's choices are part of what every node keeps of it (src/db/postgres/polls.ts): a change to
-- them notifies the same channel as a change to the question, at its commit.
CREATE TRIGGER choices_changed AFTER INSERT OR DELETE OR UPDATE OF choice_text ON choices
  FOR EACH STATEMENT EXECUTE FUNCTION polls_questions_changed();
