import { join } from 'node:path'
import { parseConfig } from '../src/config.ts'
import { openStore } from '../src/db/open-store.ts'
import { checkVoteInvariant, type VoteInvariant } from './checks.ts'

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
    await store.seedBulk({ questions: sizes.questions, votes: sizes.votes, users: 1000 })
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
  throw new Error('--db postgres needs the PostgreSQL store (branch pg), which is not merged here yet')
}
