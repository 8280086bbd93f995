import { parseArgs } from 'node:util'
import { parseConfig, readEnv } from '../config.ts'
import { openDatabase } from './client.ts'
import { seedDemoQuestions } from './seed.ts'
import { seedBulk } from './bulk-seed.ts'

// `npm run db:seed`: a few demo questions (the app also works with none).
// `npm run db:seed -- --questions 100000 --votes 1000000`: bulk data for benchmarks.
const { values } = parseArgs({
  options: { questions: { type: 'string' }, votes: { type: 'string' }, users: { type: 'string' } }
})
function count (raw: string | undefined, name: string, fallback: number): number {
  if (raw === undefined) return fallback
  const n = Number(raw)
  if (!Number.isSafeInteger(n) || n < 0 || n > 10_000_000) {
    console.error(`--${name} must be a whole number from 0 to 10000000`)
    process.exit(2)
  }
  return n
}

const config = parseConfig(readEnv())
const db = openDatabase(config.databaseUrl, { busyTimeoutMs: config.sqliteBusyTimeoutMs })
if (values.questions === undefined && values.votes === undefined) {
  const added = seedDemoQuestions(db)
  console.log(`Added ${added.length} demo questions to ${config.databaseUrl}.`)
} else {
  const started = Date.now()
  const result = seedBulk(db, { questions: count(values.questions, 'questions', 0), votes: count(values.votes, 'votes', 0), users: count(values.users, 'users', 1000) })
  console.log(`Added ${result.questions} questions, ${result.choices} choices, ${result.votes} votes and ${result.users} voters to ${config.databaseUrl} in ${((Date.now() - started) / 1000).toFixed(1)} s.`)
}
db.$client.close()
