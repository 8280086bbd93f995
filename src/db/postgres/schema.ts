import { sql } from 'drizzle-orm'
import { pgTable, integer, text, boolean, timestamp, index, unique, uniqueIndex, foreignKey, check } from 'drizzle-orm/pg-core'
import { ADMIN_ACTIONS, ADMIN_OBJECT_TYPES, ROLES } from '../schema.ts'

// PostgreSQL's schema: the same tables, columns and constraints as src/db/schema.ts (SQLite), so both
// stores return the same rows; times are timestamptz to the millisecond, as JavaScript keeps them.
// The counters and results_version are kept by triggers (drizzle-postgres/0002), as on SQLite.
const instant = (name: string) => timestamp(name, { withTimezone: true, precision: 3, mode: 'date' })

export const users = pgTable('users', {
  id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
  sub: text('sub').notNull().unique(),
  username: text('username').notNull(),
  email: text('email').notNull().default(''),
  firstName: text('first_name').notNull().default(''),
  lastName: text('last_name').notNull().default(''),
  role: text('role', { enum: ROLES }).notNull(),
  isActive: boolean('is_active').notNull().default(true),
  lastLogin: instant('last_login'),
  dateJoined: instant('date_joined').notNull()
}, (t) => [
  check('users_role_check', sql`${t.role} in ('user', 'staff', 'admin')`)
])

export const questions = pgTable('questions', {
  id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
  questionText: text('question_text').notNull(),
  pubDate: instant('pub_date').notNull(),
  version: integer('version').notNull().default(1),
  choiceCount: integer('choice_count').notNull().default(0),
  voteCount: integer('vote_count').notNull().default(0),
  resultsVersion: integer('results_version').notNull().default(0)
}, (t) => [
  index('questions_pub_date_idx').on(t.pubDate, t.id),
  // The admin table's sort orders, each with its tie-break.
  index('questions_text_idx').on(t.questionText, t.id),
  index('questions_choice_count_idx').on(t.choiceCount, t.id),
  index('questions_vote_count_idx').on(t.voteCount, t.id),
  // The admin search from a trigram index (pg_trgm, drizzle-postgres/0000) on search_text, the text
  // lowered: a generated column (drizzle-postgres/0008) kept out of this schema so that no row read here
  // carries it. ILIKE lowers every row it tests; LIKE on the stored lowered copy is the same test
  // (PostgreSQL's ILIKE is lower(text) LIKE lower(pattern)) without that work.
  index('questions_search_text_trgm_idx').using('gin', sql`search_text gin_trgm_ops`),
  // Searches of one or two characters, which trigrams cannot answer: the text's characters and pairs (drizzle-postgres/0004).
  index('questions_text_short_idx').using('gin', sql`polls_short_grams(${t.questionText})`),
  check('questions_text_length', sql`char_length(${t.questionText}) between 1 and 200`)
])

/**
 * How many questions were published on each UTC day (whole days since 1970), kept by a trigger on
 * `questions` (drizzle-postgres/0006) in the same transaction as each change. The admin table's totals
 * (all questions, or a date filter, whose bounds are midnights) are sums over a few hundred of these rows
 * instead of a count of every question, and a deep page sorted by date starts from its day.
 */
export const questionDays = pgTable('question_days', {
  day: integer('day').primaryKey(),
  questions: integer('questions').notNull()
}, (t) => [
  check('question_days_questions_check', sql`${t.questions} >= 0`)
])

export const choices = pgTable('choices', {
  id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
  questionId: integer('question_id').notNull().references(() => questions.id, { onDelete: 'cascade' }),
  choiceText: text('choice_text').notNull()
}, (t) => [
  // Lets votes reference (choice, question) together, so a vote can never name another question's choice.
  unique('choices_question_id_id_key').on(t.questionId, t.id),
  check('choices_text_length', sql`char_length(${t.choiceText}) between 1 and 200`)
])

export const votes = pgTable('votes', {
  id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
  userId: integer('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  questionId: integer('question_id').notNull().references(() => questions.id, { onDelete: 'cascade' }),
  choiceId: integer('choice_id').notNull(),
  votedAt: instant('voted_at').notNull()
}, (t) => [
  // One vote per user and question: the target of the vote's INSERT … ON CONFLICT.
  uniqueIndex('votes_user_question_idx').on(t.userId, t.questionId),
  index('votes_question_choice_idx').on(t.questionId, t.choiceId),
  foreignKey({
    columns: [t.questionId, t.choiceId],
    foreignColumns: [choices.questionId, choices.id],
    name: 'votes_choice_of_question_fk'
  }).onDelete('cascade')
])

export const sessions = pgTable('sessions', {
  id: text('id').primaryKey(),
  userId: integer('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  idToken: text('id_token').notNull(),
  createdAt: instant('created_at').notNull(),
  expiresAt: instant('expires_at').notNull(),
  providerSid: text('provider_sid'),
  refreshToken: text('refresh_token'),
  renewAt: instant('renew_at').notNull(),
  lastSeenAt: instant('last_seen_at').notNull(),
  // When the provider last confirmed the sign-in (login or renewal).
  checkedAt: instant('checked_at').notNull().default(sql`'epoch'`)
}, (t) => [
  index('sessions_user_idx').on(t.userId),
  index('sessions_expires_idx').on(t.expiresAt),
  index('sessions_provider_sid_idx').on(t.providerSid)
])

/** Back-channel logout tokens already acted on (their `jti`), kept until the token expires. */
export const usedLogoutTokens = pgTable('used_logout_tokens', {
  jti: text('jti').primaryKey(),
  expiresAt: instant('expires_at').notNull()
}, (t) => [
  index('used_logout_tokens_expires_idx').on(t.expiresAt)
])

export const adminLog = pgTable('admin_log', {
  id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
  actionTime: instant('action_time').notNull(),
  userId: integer('user_id').references(() => users.id, { onDelete: 'set null' }),
  username: text('username').notNull(),
  objectType: text('object_type', { enum: ADMIN_OBJECT_TYPES }).notNull(),
  objectId: integer('object_id').notNull(),
  questionId: integer('question_id'),
  objectRepr: text('object_repr').notNull(),
  action: text('action', { enum: ADMIN_ACTIONS }).notNull(),
  changeMessage: text('change_message').notNull().default('')
}, (t) => [
  index('admin_log_action_time_idx').on(t.actionTime, t.id),
  index('admin_log_question_idx').on(t.questionId, t.actionTime)
])
