import Database from 'better-sqlite3'

export interface VoteInvariant { voters: number, votersWithOneVote: number, storedVotes: number, talliedVotes: number, violations: string[], shownEqualsStored?: boolean }

/** After the vote load: every voter has exactly one vote, and the per-question total equals the rows. */
export function checkVoteInvariant (databaseUrl: string, questionId: number, voterSubs: string[]): VoteInvariant {
  const db = new Database(databaseUrl, { readonly: true })
  try {
    const perVoter = db.prepare(`select u.sub as sub, count(v.id) as n from users u left join votes v on v.user_id = u.id and v.question_id = ?
      where u.sub in (${voterSubs.map(() => '?').join(',')}) group by u.sub`).all(questionId, ...voterSubs) as Array<{ sub: string, n: number }>
    const stored = (db.prepare('select count(*) as n from votes where question_id = ?').get(questionId) as { n: number }).n
    const tallied = (db.prepare('select vote_count as n from questions where id = ?').get(questionId) as { n: number }).n
    return voteInvariant(voterSubs, perVoter, stored, tallied)
  } finally {
    db.close()
  }
}

/** The invariant from what a database holds: one vote per voter, and the question's total equal to its rows. */
export function voteInvariant (voterSubs: string[], perVoter: Array<{ sub: string, n: number }>, stored: number, tallied: number): VoteInvariant {
  const violations: string[] = []
  for (const row of perVoter) if (row.n !== 1) violations.push(`${row.sub} has ${row.n} votes`)
  if (perVoter.length !== voterSubs.length) violations.push(`${voterSubs.length - perVoter.length} voters have no account`)
  if (stored !== tallied) violations.push(`stored ${stored} votes but the question's total says ${tallied}`)
  return { voters: voterSubs.length, votersWithOneVote: perVoter.filter((r) => r.n === 1).length, storedVotes: stored, talliedVotes: tallied, violations }
}

export const ADMIN_QUERIES: Record<string, string> = {
  'default (newest first), page 1': '',
  'page 1000 of the whole table': '?page=1000',
  'search "editor" (6% of rows)': '?q=editor',
  'search "#4242" (rare)': '?q=%234242',
  'search "ed" (2 characters)': '?q=ed',
  'filter: this year': '?date=year',
  'filter: past 7 days': '?date=7d',
  'sort: most votes': '?o=-votes',
  'search + filter + sort + page 2': '?q=coffee&date=year&o=-votes&page=2'
}

/** Median of the app's own Server-Timing for each admin table query, requests one at a time. */
export async function measureServerTimes (appUrl: string, cookie: string, samples: number): Promise<Record<string, number>> {
  const out: Record<string, number> = {}
  for (const [name, query] of Object.entries(ADMIN_QUERIES)) {
    const times: number[] = []
    for (let i = 0; i < samples; i++) {
      const res = await fetch(`${appUrl}/admin/questions/${query}`, { headers: { cookie, 'hx-request': 'true' } })
      await res.arrayBuffer()
      if (res.status !== 200) throw new Error(`admin query ${name} answered ${res.status}`)
      times.push(Number(/dur=([\d.]+)/.exec(res.headers.get('server-timing') ?? '')?.[1] ?? NaN))
    }
    times.sort((a, b) => a - b)
    out[name] = Number((times[Math.floor(times.length / 2)] ?? NaN).toFixed(2))
  }
  return out
}
