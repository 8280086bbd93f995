// The one data seam: routes and plugins talk to a Store; each database has its own implementation
// (src/db/sqlite-store.ts, src/db/postgres/store.ts). Methods return Awaitable values: better-sqlite3
// answers synchronously, and its callers should not pay for a promise they do not need, while
// PostgreSQL answers with a promise. Callers `await` (or use whenReady on a hot callback path).
import type { Question, Role, User } from './schema.ts'

export type Awaitable<T> = T | Promise<T>

/** Runs `next` with the value now if it is one, or once the promise settles (errors to `fail`). */
export function whenReady<T> (value: Awaitable<T>, next: (value: T) => void, fail: (err: Error) => void): void {
  if (!(value instanceof Promise)) return next(value)
  value.then((settled) => {
    try { next(settled) } catch (err) { fail(err as Error) }
  }, fail)
}

export type DatabaseKind = 'sqlite' | 'postgres'

// ---- polls
export interface ChoiceTally { id: number, choiceText: string, votes: number }
export interface QuestionWithChoices extends Question { choices: Array<{ id: number, choiceText: string }> }
export type CastVoteResult =
  | { ok: true, choiceText: string }
  | { ok: false, reason: 'question-not-found' | 'choice-not-found' }
/** A vote waiting for its batch (both stores group-commit votes), and how its request hears the outcome. */
export interface PendingVote {
  userId: number
  questionId: number
  choiceId: number
  resolve: (result: CastVoteResult) => void
  reject: (err: unknown) => void
}

export interface PollStore {
  latestPublishedQuestions: (limit?: number, at?: number) => Awaitable<Question[]>
  /** A page of every published question, newest first (the archive). */
  publishedQuestionsPage: (page: number, perPage: number, at?: number) => Awaitable<Question[]>
  publishedCount: (at?: number) => Awaitable<number>
  /** The ids among `questionIds` that the user has voted on. */
  votedQuestionIds: (userId: number, questionIds: number[]) => Awaitable<Set<number>>
  publishedQuestion: (id: number, at?: number) => Awaitable<Question | undefined>
  /** Changes whenever the data may have changed, in this process or another. */
  dataVersion: () => Awaitable<string>
  /** When the next scheduled question comes out (Infinity if none): the published set changes then. */
  nextPublication: (at?: number) => Awaitable<number>
  publishedQuestionWithChoices: (id: number, at?: number) => Awaitable<QuestionWithChoices | undefined>
  tallyVotes: (id: number) => Awaitable<ChoiceTally[]>
  /** The published question's results version (moves with every vote and choice change), or undefined. */
  resultsVersion: (id: number, at?: number) => Awaitable<number | undefined>
  /** The tally and the version it belongs to, read together so the two always match. */
  versionedTally: (id: number) => Awaitable<{ version: number, results: ChoiceTally[] } | undefined>
  userVote: (userId: number, id: number) => Awaitable<number | undefined>
  /** Resolves once the vote is durably committed; one vote per user and question, moved on a revote. */
  castVote: (userId: number, id: number, choiceId: number) => Promise<CastVoteResult>
}

// ---- sessions
/** What every request needs of its session; the tokens are read only when they are used. */
export interface SessionUser {
  user: User
  hasRefreshToken: boolean
  renewAt: Date
  lastSeenAt: Date
  /** When the provider last confirmed the sign-in (login or renewal). */
  checkedAt: Date
}
export interface SessionTokens {
  idToken: string
  /** Sealed (src/sign-in/token-box.ts); null when the provider gave no refresh token. */
  refreshToken: string | null
}
export interface NewSession { userId: number, idToken: string, providerSid?: string, refreshToken?: string, lifetimeMs: number, renewAfterMs: number }

export interface SessionStore {
  /** A new random session id for this user; expired rows are swept on the way (bounded work per login). */
  startSession: (fields: NewSession, at?: number) => Awaitable<string>
  /** The signed-in user of a live session: one indexed lookup per request. */
  sessionUser: (id: string, at?: number) => Awaitable<SessionUser | undefined>
  sessionTokens: (id: string) => Awaitable<SessionTokens | undefined>
  /** Records activity for the idle timeout (callers write at most about once a minute). */
  touchSession: (id: string, at?: number) => Awaitable<void>
  /** Claims a due renewal: true for exactly one caller across requests, processes and nodes. */
  claimRenewal: (id: string, retryAfterMs: number, at?: number) => Awaitable<boolean>
  recordRenewal: (id: string, fields: { idToken: string, refreshToken: string | null, renewAfterMs: number }, at?: number) => Awaitable<void>
  /** A refresh token no key opens any more: gone, and the session due now, so every request re-checks by redirect. */
  dropRefreshToken: (id: string, at?: number) => Awaitable<void>
  endSession: (id: string) => Awaitable<void>
  /** Signs the user out everywhere (roles removed at the provider, account deactivated). */
  endUserSessions: (userId: number) => Awaitable<number>
  /**
   * Back-channel logout: the sessions of one provider session (`sid`), or of one subject (`sub`), or both;
   * only those started by `startedBy` (a logout token says nothing about sign-ins after it).
   */
  endProviderSessions: (claims: { sid?: string, sub?: string, startedBy: Date }) => Awaitable<number>
  /** Remembers a logout token's jti until `expiresAt`: true the first time, false for a replay, on every node. */
  useLogoutToken: (jti: string, expiresAt: Date, at?: number) => Awaitable<boolean>
}

// ---- users
export interface ProfileFromProvider { sub: string, username: string, email: string, firstName: string, lastName: string, role: Role }

export interface UserStore {
  userById: (id: number) => Awaitable<User | undefined>
  userBySub: (sub: string) => Awaitable<User | undefined>
  /** Profile and role from a background renewal: like a login, but lastLogin stays. */
  refreshProfile: (profile: ProfileFromProvider) => Awaitable<User | undefined>
  /** Creates the account on first login and refreshes profile and role at every login. */
  recordLogin: (profile: ProfileFromProvider, at?: Date) => Awaitable<User>
}

// ---- admin
export const DATE_FILTERS = ['any', 'today', '7d', 'month', 'year'] as const
export type DateFilter = typeof DATE_FILTERS[number]
export const SORT_KEYS = ['text', 'pub_date', 'choices', 'votes'] as const
export type SortKey = typeof SORT_KEYS[number]
export const PER_PAGE = 50
export const USERS_PER_PAGE = 50

export interface QuestionListQuery { search: string, date: DateFilter, sort: SortKey, descending: boolean, page: number }
export interface QuestionPage { rows: Question[], total: number, page: number, pages: number }
export interface DateRange { from: Date, until: Date }
export interface QuestionInput { questionText: string, pubDate: Date }
export type UpdateResult = { ok: true, question: Question, changed: string[] } | { ok: false, reason: 'not-found' } | { ok: false, reason: 'conflict', current: Question }
export interface DeletionSummary { id: number, questionText: string, choiceCount: number, voteCount: number }
export interface AdminChoice { id: number, questionId: number, choiceText: string, votes: number }
export interface UserListQuery { search: string, role: Role | 'any', page: number }
export type Actor = Pick<User, 'id' | 'username'>
export interface LogEntry {
  id: number
  actionTime: Date
  userId: number | null
  username: string
  objectType: 'question' | 'choice' | 'user'
  objectId: number
  questionId: number | null
  objectRepr: string
  action: 'add' | 'change' | 'delete'
  changeMessage: string
}
export interface Counts { questions: number, choices: number, votes: number, users: number }

/** Django's date hierarchy filter: from the start of the period up to the end of today (UTC). */
export function dateFilterRange (filter: DateFilter, now = new Date()): DateRange | undefined {
  if (filter === 'any') return undefined
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate())
  const until = new Date(today + 24 * 60 * 60 * 1000)
  if (filter === 'today') return { from: new Date(today), until }
  if (filter === '7d') return { from: new Date(today - 7 * 24 * 60 * 60 * 1000), until }
  if (filter === 'month') return { from: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)), until }
  return { from: new Date(Date.UTC(now.getUTCFullYear(), 0, 1)), until }
}

/** What an edit changes, in the admin history's words (the same on every database). */
export function changedFields (current: QuestionInput, input: QuestionInput): string[] {
  const changed: string[] = []
  if (current.questionText !== input.questionText) changed.push('question text')
  if (current.pubDate.getTime() !== input.pubDate.getTime()) changed.push('date published')
  return changed
}

/** A new session's row: every time starts at `at`, the same on every database. */
export function newSessionRow (id: string, fields: NewSession, at: number) {
  return {
    id,
    userId: fields.userId,
    idToken: fields.idToken,
    providerSid: fields.providerSid ?? null,
    refreshToken: fields.refreshToken ?? null,
    createdAt: new Date(at),
    expiresAt: new Date(at + fields.lifetimeMs),
    renewAt: new Date(at + fields.renewAfterMs),
    lastSeenAt: new Date(at),
    checkedAt: new Date(at)
  }
}

/** The change message of a deletion, the same words on every database. */
export const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`

export interface AdminStore {
  questions: {
    questionById: (id: number) => Awaitable<Question | undefined>
    listQuestions: (query: QuestionListQuery, now?: Date) => Awaitable<QuestionPage>
    /** Question and choices in one transaction with its log entry; empty choice texts are skipped. */
    createQuestion: (actor: Actor, input: QuestionInput & { choices: string[] }) => Awaitable<Question>
    /** Refuses (conflict) when the question changed since `expectedVersion` was read. */
    updateQuestion: (actor: Actor, id: number, expectedVersion: number, input: QuestionInput) => Awaitable<UpdateResult>
    deletionSummary: (ids: number[]) => Awaitable<DeletionSummary[]>
    /** Deletes the questions (choices and votes cascade) and logs each; returns what was deleted. */
    deleteQuestions: (actor: Actor, ids: number[]) => Awaitable<DeletionSummary[]>
  }
  choices: {
    choiceById: (id: number) => Awaitable<AdminChoice | undefined>
    choicesOfQuestion: (questionId: number) => Awaitable<AdminChoice[]>
    addChoice: (actor: Actor, questionId: number, choiceText: string) => Awaitable<AdminChoice | undefined>
    updateChoice: (actor: Actor, id: number, choiceText: string) => Awaitable<AdminChoice | undefined>
    /** Deletes the choice and its votes; returns what went. */
    deleteChoice: (actor: Actor, id: number) => Awaitable<AdminChoice | undefined>
  }
  users: {
    userById: (id: number) => Awaitable<User | undefined>
    listUsers: (query: UserListQuery) => Awaitable<{ rows: User[], total: number, page: number, pages: number }>
    /** Deactivation also ends the user's open sessions, in the same transaction. */
    setUserActive: (actor: Actor, id: number, active: boolean) => Awaitable<User | undefined>
  }
  log: {
    recentActions: (limit?: number) => Awaitable<LogEntry[]>
    questionHistory: (questionId: number) => Awaitable<LogEntry[]>
  }
  /** The dashboard's totals, from the per-question counters (no scan of the votes). */
  counts: () => Awaitable<Counts>
}

export interface NewQuestion { questionText: string, pubDate: Date, choices: string[] }
export interface BulkSeedOptions { questions: number, votes: number, users?: number, choicesPerQuestion?: number, now?: number }
export interface BulkSeedResult { questions: number, choices: number, votes: number, users: number }

export interface Store {
  readonly kind: DatabaseKind
  polls: PollStore
  sessions: SessionStore
  users: UserStore
  admin: AdminStore
  /** drizzle-kit's folder of this dialect's migrations. */
  readonly migrationsFolder: string
  /** How many migrations the database has applied (readiness compares it with the folder's count). */
  migrationsApplied: () => Awaitable<number>
  /** A question and its choices, written together or not at all (seeding, tests). */
  createQuestion: (input: NewQuestion) => Awaitable<Question>
  /** Large synthetic data for benchmarks (npm run db:seed -- --questions N --votes M). */
  seedBulk: (options: BulkSeedOptions) => Awaitable<BulkSeedResult>
  close: () => Promise<void>
}
