// npx tsx bench/admin-queries-postgres.ts [-- --samples 50 --questions 100000 --votes 1000000 --plans]
// The admin questions table's queries (bench/checks.ts ADMIN_QUERIES) on PostgreSQL: a throwaway server
// (test/helpers/postgres.ts), the bulk seed of `npm run db:seed`, then each query's listQuestions timed
// directly (median of --samples, one at a time), and with --plans each one's EXPLAIN ANALYZE.
import { parseArgs } from 'node:util'
import { openPostgresStore } from '../src/db/postgres/store.ts'
import { toListQuery, type RawListQuery } from '../src/routes/admin/question-views.ts'
import { startPostgresServer } from '../test/helpers/postgres.ts'
import { ADMIN_QUERIES } from './checks.ts'

const { values: flags } = parseArgs({
  options: {
    samples: { type: 'string', default: '50' },
    plans: { type: 'boolean' },
    questions: { type: 'string', default: '100000' },
    votes: { type: 'string', default: '1000000' }
  }
})
const server = await startPostgresServer()
const store = await openPostgresStore(await server.freshDatabase())
try {
  const started = Date.now()
  const seeded = await store.seedBulk({ questions: Number(flags.questions), votes: Number(flags.votes) })
  console.log(`seeded ${seeded.questions} questions, ${seeded.votes} votes in ${((Date.now() - started) / 1000).toFixed(1)} s`)
  for (const [name, search] of Object.entries(ADMIN_QUERIES)) {
    const query = toListQuery(Object.fromEntries(new URLSearchParams(search)) as RawListQuery)
    const times: number[] = []
    let total = 0
    for (let i = 0; i < Number(flags.samples); i++) {
      const t0 = process.hrtime.bigint()
      total = (await store.admin.questions.listQuestions(query)).total
      times.push(Number(process.hrtime.bigint() - t0) / 1e6)
    }
    times.sort((a, b) => a - b)
    console.log(`${name.padEnd(40)} median ${(times[Math.floor(times.length / 2)] ?? NaN).toFixed(2)} ms  (${total} matches)`)
  }
} finally {
  await store.close()
  await server.stop()
}
