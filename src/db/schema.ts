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
  pubDate: integer('pub_date', { mode: 'timestamp_ms' }).notNull()
}, (t) => [
  index('questions_pub_date_idx').on(t.pubDate),
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

export type User = typeof users.$inferSelect
export type Question = typeof questions.$inferSelect
export type Choice = typeof choices.$inferSelect
