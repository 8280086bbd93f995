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
  // `npx tsx file -- --flag` passes the `--` on, and parseArgs would take every flag after it as positional.
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    samples: { type: 'string', default: '50' },
    plans: { type: 'boolean' },
    questions: { type: 'string', default: '100000' },
    votes: { type: 'string', default: '1000000' }
  }
})
const server = await startPostgresServer()
const store = await openPostgresStore(await server.freshDatabase())

/** Each statement one listQuestions sends, caught at the pool, then explained (analyze: it runs again). */
async function printPlans (query: ReturnType<typeof toListQuery>): Promise<void> {
  const pool = store.pool
  const original = pool.query.bind(pool)
  const sent: Array<{ text: string, values?: unknown[] }> = []
  // drizzle passes a query config and the parameters beside it.
  pool.query = ((config: string | { text: string, values?: unknown[] }, values?: unknown[]) => {
    sent.push(typeof config === 'string' ? { text: config, values } : { text: config.text, values: values ?? config.values })
    return (original as (...args: unknown[]) => unknown)(config, values)
  }) as typeof pool.query
  try {
    await store.admin.questions.listQuestions(query)
  } finally {
    pool.query = original
  }
  for (const statement of sent) {
    const { rows } = await pool.query(`explain (analyze, buffers) ${statement.text}`, statement.values)
    console.log(`  ${statement.text}\n${rows.map((r: Record<string, string>) => `    ${r['QUERY PLAN']}`).join('\n')}`)
  }
}

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
    if (flags.plans === true) await printPlans(query)
  }
} finally {
  await store.close()
  // The helper's server process is unref'd: without a timer of our own, node would end this unsettled
  // top-level await (exit code 13) before the server has exited.
  const keepAlive = setInterval(() => {}, 1000)
  try { await server.stop() } finally { clearInterval(keepAlive) }
}
