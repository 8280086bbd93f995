import type pg from 'pg'
import type { CastVoteResult, PendingVote } from '../store.ts'

// The votes of one batch in one statement. Each vote is checked on its own (a published question, a
// choice of that question); of the valid ones, each (user, question) keeps its last, so that a user's
// two votes in one batch end as the later one would have, sent one after the other. The writing CTE
// runs to completion whether or not it is read (PostgreSQL's rule for data-modifying WITH).
const CAST_VOTES = `with input as (
    select * from unnest($1::bigint[], $2::bigint[], $3::bigint[]) with ordinality as t(user_id, question_id, choice_id, n)),
  checked as (
    select i.n, i.user_id, i.question_id, i.choice_id, q.id is not null as published, c.choice_text
    from input i
    left join questions q on q.id = i.question_id and q.pub_date <= $4
    left join choices c on c.id = i.choice_id and c.question_id = q.id),
  latest as (
    select distinct on (user_id, question_id) user_id, question_id, choice_id from checked
    where choice_text is not null order by user_id, question_id, n desc),
  written as (
    insert into votes (user_id, question_id, choice_id, voted_at) select user_id, question_id, choice_id, $4 from latest
    on conflict (user_id, question_id) do update set choice_id = excluded.choice_id, voted_at = excluded.voted_at
    returning 1)
  select published, choice_text as "choiceText" from checked order by n`

// A statement's size stays bounded however many votes wait; the rest go in the next.
const MAX_BATCH = 500

/**
 * Group commit, as on SQLite: a vote that finds no batch in flight is sent at once; the votes that
 * arrive while one is in flight are sent together as the next, in one statement and one transaction.
 * Each round trip and commit then serves many votes, and the votes of one question no longer queue
 * for its counter row's lock one transaction at a time. A vote resolves once its batch is committed.
 * A failed batch wrote nothing (one statement): every vote in it fails alike (503).
 */
export function createVoteWriter (pool: pg.Pool) {
  let pending: PendingVote[] = []
  let inFlight = false

  async function send (): Promise<void> {
    const batch = pending.splice(0, MAX_BATCH)
    inFlight = true
    try {
      const { rows } = await pool.query<{ published: boolean, choiceText: string | null }>({
        name: 'polls_castVotes',
        text: CAST_VOTES,
        values: [batch.map((v) => v.userId), batch.map((v) => v.questionId), batch.map((v) => v.choiceId), new Date()]
      })
      batch.forEach((vote, i) => {
        const row = rows[i]
        if (row?.published !== true) vote.resolve({ ok: false, reason: 'question-not-found' })
        else if (row.choiceText === null) vote.resolve({ ok: false, reason: 'choice-not-found' })
        else vote.resolve({ ok: true, choiceText: row.choiceText })
      })
    } catch (err) {
      for (const vote of batch) vote.reject(err)
    } finally {
      inFlight = false
      if (pending.length > 0) void send()
    }
  }

  return {
    castVote (userId: number, questionId: number, choiceId: number): Promise<CastVoteResult> {
      return new Promise((resolve, reject) => {
        pending.push({ userId, questionId, choiceId, resolve, reject })
        if (!inFlight) void send()
      })
    }
  }
}
