CREATE TABLE "question_days" (
	"day" integer PRIMARY KEY NOT NULL,
	"questions" integer NOT NULL,
	CONSTRAINT "question_days_questions_check" CHECK ("question_days"."questions" >= 0)
);
--> statement-breakpoint
CREATE INDEX "questions_text_short_idx" ON "questions" USING gin (polls_short_grams("question_text"));