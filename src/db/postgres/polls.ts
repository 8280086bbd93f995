import type pg from 'pg'
import type { Question } from '../schema.ts'
import type { ChoiceTally, PollStore, QuestionWithChoices } from '../store.ts'
import type { DataVersion } from './data-version.ts'
import { createVoteWriter } from './votes.ts'

// Every poll request runs these: plain statements through the pool, each named so that PostgreSQL
// parses and plans it once per connection (drizzle's builder would add its mapping to each row).
const QUESTION_COLUMNS = `id, question_text as "questionText", pub_date as "pubDate", version, choice_count as "choiceCount",
  vote_count as "voteCount", results_version as "resultsVersion"`

const statements = {
  latest: `select ${QUESTION_COLUMNS} from questions where pub_date <= $1 order by pub_date desc, id desc limit $2`,
  archivePage: `select ${QUESTION_COLUMNS} from questions where pub_date <= $1 order by pub_date desc, id desc limit $2 offset $3`,
  publishedCount: 'select count(*)::int as v from questions where pub_date <= $1',
  voted: 'select question_id as v from votes where user_id = $1 and question_id = any($2::int[])',
  published: `select ${QUESTION_COLUMNS} from questions where id = $1 and pub_date <= $2`,
  // The question and its choices in one round trip, published or not (the caller keeps it and checks).
  withChoices: `select ${QUESTION_COLUMNS}, coalesce((select json_agg(json_build_object('id', c.id, 'choiceText', c.choice_text) order by c.id)
      from choices c where c.question_id = q.id), '[]') as choices
    from questions q where id = $1`,
  tally: `select c.id, c.choice_text as "choiceText",
      (select count(*)::int from votes v where v.question_id = c.question_id and v.choice_id = c.id) as votes
    from choices c where c.question_id = $1 order by c.id`,
  versionedTally: `select results_version as version, coalesce((select json_agg(json_build_object('id', c.id, 'choiceText', c.choice_text,
      'votes', (select count(*) from votes v where v.question_id = c.question_id and v.choice_id = c.id)) order by c.id)
      from choices c where c.question_id = q.id), '[]') as results
    from questions q where id = $1 and pub_date <= $2`,
  resultsVersion: 'select results_version as v from questions where id = $1 and pub_date <= $2',
  userVote: 'select choice_id as v from votes where user_id = $1 and question_id = $2',
  nextPublication: 'select min(pub_date) as v from questions where pub_date > $1'
}

// Questions kept per node at most; past it the map starts again (a flood of ids cannot grow it).
const KEPT_QUESTIONS = 1000

export function createPgPollStore (pool: pg.Pool, dataVersion: DataVersion): PollStore {
  const votes = createVoteWriter(pool)
  // Every poll page and vote needs its question and choices, which change rarely: each node keeps the
  // ones it has read until a change to any question or choice is notified (drizzle-postgres/0002, 0007),
  // as it keeps the visitors' list. While the listener is down the version is new at every read, so
  // nothing kept is used. Its vote counters may be behind; the poll pages do not show them.
  const kept = new Map<number, { version: string, question: QuestionWithChoices }>()
  const query = async <T>(name: keyof typeof statements, values: unknown[]): Promise<T[]> =>
    (await pool.query({ name: `polls_${name}`, text: statements[name], values })).rows as T[]
  const first = async <T>(name: keyof typeof statements, values: unknown[]): Promise<T | undefined> => (await query<T>(name, values))[0]
  const value = async <T>(name: keyof typeof statements, values: unknown[]): Promise<T | undefined> => (await first<{ v: T | null }>(name, values))?.v ?? undefined

  return {
    latestPublishedQuestions: (limit = 5, at = Date.now()) => query<Question>('latest', [new Date(at), limit]),
    publishedQuestion: (id, at = Date.now()) => first<Question>('published', [id, new Date(at)]),
    publishedQuestionsPage: (page, perPage, at = Date.now()) => query<Question>('archivePage', [new Date(at), perPage, (page - 1) * perPage]),
    publishedCount: async (at = Date.now()) => (await value<number>('publishedCount', [new Date(at)])) ?? 0,
    votedQuestionIds: async (userId, questionIds) => questionIds.length === 0
      ? new Set()
      : new Set((await query<{ v: number }>('voted', [userId, questionIds])).map((r) => r.v)),
    // Question changes arrive by notification; votes (the list shows their counts) are not notified,
    // which would make every vote contend for the notification queue: the version also moves every
    // second, so another node's vote shows within one.
    dataVersion: () => `${dataVersion.current()}:${Math.floor(Date.now() / 1000)}`,
    nextPublication: async (at = Date.now()) => (await value<Date>('nextPublication', [new Date(at)]))?.getTime() ?? Infinity,
    async publishedQuestionWithChoices (id, at = Date.now()) {
      const version = dataVersion.current()
      const entry = kept.get(id)
      let question = entry?.version === version ? entry.question : undefined
      if (question === undefined) {
        question = await first<QuestionWithChoices>('withChoices', [id])
        if (question === undefined) return undefined
        // Shared by every request that reads it: frozen, so that none can change it for the others.
        Object.freeze(question.choices)
        Object.freeze(question)
        if (kept.size >= KEPT_QUESTIONS) kept.clear()
        kept.set(id, { version, question })
      }
      return question.pubDate.getTime() <= at ? question : undefined
    },
    tallyVotes: (id) => query<ChoiceTally>('tally', [id]),
    resultsVersion: (id, at = Date.now()) => value<number>('resultsVersion', [id, new Date(at)]),
    // One statement is one snapshot: the tally is the one of that version.
    versionedTally: (id) => first<{ version: number, results: ChoiceTally[] }>('versionedTally', [id, new Date()]),
    userVote: (userId, id) => value<number>('userVote', [userId, id]),
    castVote: votes.castVote
  }
}
