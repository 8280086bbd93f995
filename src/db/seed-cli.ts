import { parseArgs } from 'node:util'
import { parseConfig, readEnv } from '../config.ts'
import { openStore } from './open-store.ts'
import { seedDemoQuestions } from './seed.ts'

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
const store = await openStore(config)
// Where the data went, without a password that DATABASE_URL may carry.
const target = config.databaseKind === 'postgres' ? redactedUrl(config.databaseUrl) : config.databaseUrl
if (values.questions === undefined && values.votes === undefined) {
  const added = await seedDemoQuestions(store)
  console.log(`Added ${added.length} demo questions to ${target}.`)
} else {
  const started = Date.now()
  const result = await store.seedBulk({ questions: count(values.questions, 'questions', 0), votes: count(values.votes, 'votes', 0), users: count(values.users, 'users', 1000) })
  console.log(`Added ${result.questions} questions, ${result.choices} choices, ${result.votes} votes and ${result.users} voters to ${target} in ${((Date.now() - started) / 1000).toFixed(1)} s.`)
}
await store.close()

function redactedUrl (url: string): string {
  const parsed = new URL(url)
  if (parsed.password !== '') parsed.password = '***'
  return parsed.href
}
