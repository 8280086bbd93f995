// npx tsx bench/admin-queries.ts [-- --db seeded.db --samples 50 --plans --http]
// The admin questions table's queries (bench/checks.ts ADMIN_QUERIES) on bulk data, one at a time:
//  - listQuestions called directly (median of --samples), so SQL is timed without HTTP or templates;
//  - --plans: each statement a query ran, timed alone, and its EXPLAIN QUERY PLAN (real parameters);
//  - --http: the built app (npm run build) started as in production, and the median of its own
//    Server-Timing per query, as `npm run bench` measures it (SQL + rendering of the htmx fragment).
// --db reuses a seeded file (copied first: opening it applies migrations); otherwise 100,000 questions
// and 1,000,000 votes are seeded into a temporary folder.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import type Database from 'better-sqlite3'
import { openDatabase } from '../src/db/client.ts'
import { seedBulk } from '../src/db/bulk-seed.ts'
import { createAdminQuestionQueries } from '../src/db/admin-questions.ts'
import { toListQuery, type RawListQuery } from '../src/routes/admin/question-views.ts'
import { ADMIN_QUERIES, measureServerTimes } from './checks.ts'
import { signIn } from './login.ts'
import { freePort, startProcess } from './processes.ts'
import { productionEnv, startBenchProvider } from './setup.ts'

const { values: flags } = parseArgs({
  options: {
    db: { type: 'string' },
    samples: { type: 'string', default: '50' },
    plans: { type: 'boolean' },
    http: { type: 'boolean' },
    questions: { type: 'string', default: '100000' },
    votes: { type: 'string', default: '1000000' }
  }
})
const SAMPLES = Number(flags.samples)
const dir = mkdtempSync(join(tmpdir(), 'polls-admin-queries-'))
const databaseUrl = join(dir, 'polls.db')
const log = (line: string) => process.stdout.write(`${line}\n`)
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN

/** The route's own parsing of the query string, so the direct calls ask exactly what a request does. */
function listQuery (qs: string) {
  const p = new URLSearchParams(qs)
  const raw: RawListQuery = { q: p.get('q') ?? undefined, date: (p.get('date') ?? undefined) as RawListQuery['date'], o: p.get('o') ?? undefined, page: p.has('page') ? Number(p.get('page')) : undefined }
  return toListQuery(raw)
}

/** Records each statement run through the connection (SQL and parameters), for EXPLAIN QUERY PLAN. */
function recordStatements (sqlite: Database.Database) {
  const seen: Array<{ source: string, params: unknown[] }> = []
  const prepare = sqlite.prepare.bind(sqlite)
  sqlite.prepare = ((source: string) => {
    const stmt = prepare(source)
    for (const method of ['all', 'get', 'iterate', 'run'] as const) {
      const original = stmt[method].bind(stmt) as (...params: unknown[]) => unknown
      ;(stmt as unknown as Record<string, unknown>)[method] = (...params: unknown[]) => { seen.push({ source, params }); return original(...params) }
    }
    return stmt
  }) as typeof sqlite.prepare
  return {
    take: () => seen.splice(0),
    explain: (s: { source: string, params: unknown[] }) => (prepare(`explain query plan ${s.source}`).all(...s.params) as Array<{ detail: string }>).map((r) => r.detail),
    /** Median time of the statement alone, in ms. */
    time: (s: { source: string, params: unknown[] }) => {
      const stmt = prepare(s.source)
      const times: number[] = []
      for (let i = 0; i < SAMPLES; i++) {
        const t0 = performance.now()
        stmt.all(...s.params)
        times.push(performance.now() - t0)
      }
      return median(times)
    }
  }
}

async function main () {
  if (flags.db !== undefined) {
    copyFileSync(flags.db, databaseUrl)
  } else {
    const db = openDatabase(databaseUrl)
    seedBulk(db, { questions: Number(flags.questions), votes: Number(flags.votes), users: 1000 })
    db.$client.close()
  }

  const db = openDatabase(databaseUrl)
  const recorder = flags.plans === true ? recordStatements(db.$client) : undefined
  const queries = createAdminQuestionQueries(db)
  log(`listQuestions, median of ${SAMPLES} (ms):`)
  for (const [name, qs] of Object.entries(ADMIN_QUERIES)) {
    const query = listQuery(qs)
    const first = queries.listQuestions(query)
    const statements = recorder?.take() ?? []
    const times: number[] = []
    for (let i = 0; i < SAMPLES; i++) {
      const t0 = performance.now()
      queries.listQuestions(query)
      times.push(performance.now() - t0)
    }
    recorder?.take()
    log(`  ${median(times).toFixed(2).padStart(6)}  ${name} (${first.total} matches, ${first.rows.length} rows)`)
    for (const s of statements) {
      log(`  ${(recorder?.time(s) ?? NaN).toFixed(2).padStart(6)}    ${s.source.replace(/\s+/g, ' ').slice(0, 150)}`)
      for (const line of recorder?.explain(s) ?? []) log(`            ${line}`)
    }
  }
  db.$client.close()

  if (flags.http === true) {
    const appUrl = `http://127.0.0.1:${await freePort()}`
    const { provider } = await startBenchProvider(appUrl, 0)
    const app = await startProcess('dist/server.js', productionEnv(appUrl, databaseUrl, provider), `${appUrl}/healthz`, dir)
    try {
      const admin = await signIn(appUrl, 'admin')
      // A warm-up round (JIT, page cache), then the measured one.
      await measureServerTimes(appUrl, admin.cookie, 5)
      log(`Server-Timing, median of ${SAMPLES} (ms):`)
      for (const [name, ms] of Object.entries(await measureServerTimes(appUrl, admin.cookie, SAMPLES))) log(`  ${ms.toFixed(2).padStart(6)}  ${name}`)
    } finally {
      await app.stop()
      await provider.close()
    }
  }
}

main().then(() => rmSync(dir, { recursive: true, force: true }), (err: unknown) => {
  console.error(err)
  rmSync(dir, { recursive: true, force: true })
  process.exit(1)
})
