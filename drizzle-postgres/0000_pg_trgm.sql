-- Trigram matching for the admin table's substring search (a GIN index on questions.question_text).
-- pg_trgm is a trusted extension: a database owner may create it; where the app's role may not, a
-- superuser runs this statement once beforehand and this one then finds it there.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
