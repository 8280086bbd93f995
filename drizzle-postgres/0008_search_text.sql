-- The question text lowered, kept by PostgreSQL itself: the admin search tests each match with LIKE on
-- it instead of ILIKE on the text, which lowers every row it tests (src/db/postgres/schema.ts).
ALTER TABLE "questions" ADD COLUMN "search_text" text GENERATED ALWAYS AS (lower("question_text")) STORED;--> statement-breakpoint
DROP INDEX "questions_text_trgm_idx";--> statement-breakpoint
CREATE INDEX "questions_search_text_trgm_idx" ON "questions" USING gin (search_text gin_trgm_ops);
