import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import pg from 'pg'
import { parseConfig } from '../src/config.ts'
import { openStore } from '../src/db/open-store.ts'
import { checkVoteInvariant, voteInvariant, type VoteInvariant } from './checks.ts'
import { startPostgresServer } from '../test/helpers/postgres.ts'

/** A database the bench runs the app on: where it is, whose CPU is its own, and the invariant's check. */
export interface BenchDatabase {
  name: 'sqlite' | 'postgres'
  databaseUrl: string
  /** The database server's process (its backends are its children); none for SQLite, which runs inside the app. */
  serverPid?: number
  checkVoteInvariant: (questionId: number, voterSubs: string[]) => Promise<VoteInvariant>
  close: () => Promise<void>
}

export interface BenchData { question: { id: number }, choiceIds: number[] }

/** Seeds bulk questions and votes, then the benchmark's own question (4 choices, newest), through the store. */
export async function seed (databaseUrl: string, sizes: { questions: number, votes: number }): Promise<BenchData> {
  const store = await openStore(parseConfig({ DATABASE_URL: databaseUrl }))
  try {
    // PostgreSQL's seed is one statement per table, bounded by the pool's client-side query timeout;
    // in slices of 100,000 votes (each slice adds its questions after the last) each stays well within it.
    const slices = store.kind === 'postgres' ? Math.max(1, Math.ceil(sizes.votes / 100_000)) : 1
    for (let i = 0; i < slices; i++) await store.seedBulk({ questions: Math.round(sizes.questions / slices), votes: Math.round(sizes.votes / slices), users: 1000 })
    const question = await store.createQuestion({ questionText: 'Benchmark question?', pubDate: new Date(Date.now() - 60_000), choices: ['A', 'B', 'C', 'D'] })
    const choiceIds = (await store.polls.tallyVotes(question.id)).map((c) => c.id).sort((a, b) => a - b)
    return { question, choiceIds }
  } finally {
    await store.close()
  }
}

export function sqliteDatabase (dir: string): BenchDatabase {
  const databaseUrl = join(dir, 'polls.db')
  return {
    name: 'sqlite',
    databaseUrl,
    checkVoteInvariant: async (questionId, voterSubs) => checkVoteInvariant(databaseUrl, questionId, voterSubs),
    close: async () => {}
  }
}

/** PostgreSQL: a throwaway server as the tests start it, with a fresh migrated database. */
export async function postgresDatabase (): Promise<BenchDatabase> {
  const server = await startPostgresServer()
  const databaseUrl = await server.freshDatabase()
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 })
  pool.on('error', () => {}) // an idle connection breaks when the server is stopped at the end
  // The server process is the parent of every connection's backend: its pid from one backend's /proc entry.
  const backend = (await pool.query('select pg_backend_pid() as pid')).rows[0] as { pid: number }
  const stat = readFileSync(`/proc/${backend.pid}/stat`, 'utf8')
  const serverPid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
  return {
    name: 'postgres',
    databaseUrl,
    serverPid,
    checkVoteInvariant: async (questionId, voterSubs) => {
      const perVoter = (await pool.query(`select u.sub as sub, count(v.id)::int as n from users u left join votes v on v.user_id = u.id and v.question_id = $1
        where u.sub = any($2) group by u.sub`, [questionId, voterSubs])).rows as Array<{ sub: string, n: number }>
      const stored = ((await pool.query('select count(*)::int as n from votes where question_id = $1', [questionId])).rows[0] as { n: number }).n
      const tallied = ((await pool.query('select vote_count as n from questions where id = $1', [questionId])).rows[0] as { n: number }).n
      return voteInvariant(voterSubs, perVoter, stored, tallied)
    },
    close: async () => {
      await pool.end()
      // The helper's server process is unref'd (it must not keep a test process alive): without a
      // timer of our own, node would end here, with nothing printed, before the server has exited.
      const keepAlive = setInterval(() => {}, 1000)
      try { await server.stop() } finally { clearInterval(keepAlive) }
    }
  }
}
