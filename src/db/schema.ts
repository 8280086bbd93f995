import { sql } from 'drizzle-orm'
import { sqliteTable, integer, text, index, uniqueIndex, foreignKey, check } from 'drizzle-orm/sqlite-core'

export const ROLES = ['user', 'staff', 'admin'] as const
export type Role = typeof ROLES[number]

export const users = sqliteTable('users', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  // The provider's subject: the only stable identity; everything else is refreshed at each login.
  sub: text('sub').notNull().unique(),
  username: text('username').notNull(),
  email: text('email').notNull().default(''),
  firstName: text('first_name').notNull().default(''),
  lastName: text('last_name').notNull().default(''),
  role: text('role', { enum: ROLES }).notNull(),
  isActive: integer('is_active', { mode: 'boolean' }).notNull().default(true),
  lastLogin: integer('last_login', { mode: 'timestamp_ms' }),
  dateJoined: integer('date_joined', { mode: 'timestamp_ms' }).notNull()
}, (t) => [
  check('users_role_check', sql`${t.role} in ('user', 'staff', 'admin')`)
])

export const questions = sqliteTable('questions', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  questionText: text('question_text').notNull(),
  pubDate: integer('pub_date', { mode: 'timestamp_ms' }).notNull(),
  // Bumped by every edit: an admin's save names the version it started from, so a stale edit is refused.
  version: integer('version').notNull().default(1),
  // Kept equal to the rows by triggers (drizzle/0002_counters.sql), so the admin table can sort by them.
  choiceCount: integer('choice_count').notNull().default(0),
  voteCount: integer('vote_count').notNull().default(0),
  // Bumped by triggers (drizzle/0006) whenever the results could read differently: a vote cast, moved or
  // removed, a choice added, renamed or removed. Live results compare it instead of recounting the votes.
  resultsVersion: integer('results_version').notNull().default(0)
}, (t) => [
  index('questions_pub_date_idx').on(t.pubDate),
  // The admin table's sort orders, each with its tie-break (id) and the columns its search and date filter
  // test, so a page of a broad search is found by walking one index without reading the table's rows
  // (src/db/admin-questions.ts). The votes index moves with every vote: its width costs a vote about 1 µs
  // on a question being voted on, 5 µs when votes fall on questions at random (5.8 MB of index instead
  // of 1.1 MB at 100,000 questions); without it, search + sort by votes reads a row per match (+1–2 ms).
  index('questions_text_idx').on(t.questionText, t.id, t.pubDate),
  index('questions_pub_date_text_idx').on(t.pubDate, t.id, t.questionText),
  index('questions_choice_count_idx').on(t.choiceCount, t.id, t.pubDate, t.questionText),
  index('questions_vote_count_idx').on(t.voteCount, t.id, t.pubDate, t.questionText),
  check('questions_text_length', sql`length(${t.questionText}) between 1 and 200`)
])

export const choices = sqliteTable('choices', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  questionId: integer('question_id').notNull().references(() => questions.id, { onDelete: 'cascade' }),
  choiceText: text('choice_text').notNull()
}, (t) => [
  // Lets votes reference (choice, question) together, so a vote can never name another question's choice.
  uniqueIndex('choices_question_id_id_idx').on(t.questionId, t.id),
  check('choices_text_length', sql`length(${t.choiceText}) between 1 and 200`)
])

export const votes = sqliteTable('votes', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  userId: integer('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  questionId: integer('question_id').notNull().references(() => questions.id, { onDelete: 'cascade' }),
  choiceId: integer('choice_id').notNull(),
  votedAt: integer('voted_at', { mode: 'timestamp_ms' }).notNull()
}, (t) => [
  uniqueIndex('votes_user_question_idx').on(t.userId, t.questionId),
  // Serves the per-question tally and the composite foreign key's cascade.
  index('votes_question_choice_idx').on(t.questionId, t.choiceId),
  foreignKey({
    columns: [t.questionId, t.choiceId],
    foreignColumns: [choices.questionId, choices.id],
    name: 'votes_choice_of_question_fk'
  }).onDelete('cascade')
])

/**
 * Server-side record of each sign-in. The cookie carries only the random id, so a session can be
 * ended from here (logout, deactivation, roles removed) even while its cookie is still held.
 */
export const sessions = sqliteTable('sessions', {
  id: text('id').primaryKey(),
  userId: integer('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  // Kept server-side (not in the cookie) for RP-initiated logout's id_token_hint.
  idToken: text('id_token').notNull(),
  createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
  // The provider's session id (the ID token's `sid`): back-channel logout names sessions by it.
  providerSid: text('provider_sid'),
  // Encrypted at rest (src/sign-in/token-box.ts); null when the provider gave none.
  refreshToken: text('refresh_token'),
  // When the sign-in must next be re-checked at the provider (OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS).
  renewAt: integer('renew_at', { mode: 'timestamp_ms' }).notNull().default(sql`0`),
  // For the idle timeout; written at most once a minute per session, not on every request.
  lastSeenAt: integer('last_seen_at', { mode: 'timestamp_ms' }).notNull().default(sql`0`),
  // When the provider last confirmed the sign-in (login or renewal). renew_at moves on each attempt, so
  // this is what bounds how long a provider outage lets a sign-in past its re-check change anything.
  checkedAt: integer('checked_at', { mode: 'timestamp_ms' }).notNull().default(sql`0`)
}, (t) => [
  index('sessions_user_idx').on(t.userId),
  index('sessions_expires_idx').on(t.expiresAt),
  index('sessions_provider_sid_idx').on(t.providerSid)
])

/**
 * Back-channel logout tokens already acted on (their `jti`), kept until the token expires: a replayed
 * token is refused by every process, since they all share this table.
 */
export const usedLogoutTokens = sqliteTable('used_logout_tokens', {
  jti: text('jti').primaryKey(),
  expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull()
}, (t) => [
  index('used_logout_tokens_expires_idx').on(t.expiresAt)
])

export const ADMIN_ACTIONS = ['add', 'change', 'delete'] as const
export type AdminAction = typeof ADMIN_ACTIONS[number]
export const ADMIN_OBJECT_TYPES = ['question', 'choice', 'user'] as const
export type AdminObjectType = typeof ADMIN_OBJECT_TYPES[number]

/** Django's LogEntry: who changed what in the admin console, and when. */
export const adminLog = sqliteTable('admin_log', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  actionTime: integer('action_time', { mode: 'timestamp_ms' }).notNull(),
  // The record outlives the account that made it (a deleted user's actions stay readable).
  userId: integer('user_id').references(() => users.id, { onDelete: 'set null' }),
  username: text('username').notNull(),
  objectType: text('object_type', { enum: ADMIN_OBJECT_TYPES }).notNull(),
  objectId: integer('object_id').notNull(),
  // The question a choice belongs to, so a question's history includes its choices.
  questionId: integer('question_id'),
  objectRepr: text('object_repr').notNull(),
  action: text('action', { enum: ADMIN_ACTIONS }).notNull(),
  changeMessage: text('change_message').notNull().default('')
}, (t) => [
  index('admin_log_action_time_idx').on(t.actionTime),
  index('admin_log_question_idx').on(t.questionId, t.actionTime)
])

export type User = typeof users.$inferSelect
export type Question = typeof questions.$inferSelect
export type Choice = typeof choices.$inferSelect
