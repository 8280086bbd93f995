// npm run test:faults [-- --minutes N]: the fault tests, then this soak: N minutes (default 10) of mixed
// load (browse, vote, results, admin search and edits) against the built app started as in production,
// with a real provider and users signed in through the real login flow. It fails on any error response
// (4xx or 5xx), on RSS growing 10% or more from just after the warm-up (the first tenth) to the end (see
// below for how that is read), on a damaged database, or on a question whose vote total differs from its
// rows. Figures go to stderr as it runs; one JSON line to stdout at the end.
import Database from 'better-sqlite3'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { setTimeout as sleep } from 'node:timers/promises'
import { openDatabase } from '../src/db/client.ts'
import { seedBulk } from '../src/db/bulk-seed.ts'
import { signIn, type SignedIn } from './login.ts'
import { freePort, peakRssMb, root, rssMb, startProcess } from './processes.ts'
import { productionEnv, startBenchProvider } from './setup.ts'

// --smoke: a few seconds, for npm test; too short for the heap to settle, so RSS is shown, not judged.
const { values: flags } = parseArgs({ options: { minutes: { type: 'string', default: '10' }, smoke: { type: 'boolean' } } })
const smoke = flags.smoke === true
const minutes = smoke ? 0.1 : Number(flags.minutes)
if (!(minutes > 0 && minutes <= 24 * 60)) {
  console.error(`--minutes must be a number of minutes above 0 (got "${flags.minutes}")`)
  process.exit(2)
}
const durationMs = minutes * 60_000
const warmUpMs = durationMs / 10
const MAX_RSS_GROWTH_PCT = 10
// Enough to keep the app busy without taking both cores from whoever shares the machine.
const WORKERS = 6
const THINK_MS = 5
const VOTERS = 12

const dir = mkdtempSync(join(tmpdir(), 'polls-soak-'))
const databaseUrl = join(dir, 'polls.db')

function log (line: string) { process.stderr.write(`${line}\n`) }
const pick = <T>(xs: T[]): T => xs[Math.floor(Math.random() * xs.length)] as T
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0
const clock = (ms: number) => `${Math.floor(ms / 60_000)}:${String(Math.floor(ms / 1000) % 60).padStart(2, '0')}`

interface Question { id: number, choices: number[] }

const durations = new Map<string, number[]>()
const errors: string[] = []
let errorCount = 0

/** One request as a browser (or htmx) makes it; anything but 2xx/3xx counts as an error. */
async function send (kind: string, url: string, init: RequestInit = {}): Promise<string> {
  const started = performance.now()
  let status = 0
  let body = ''
  try {
    const res = await fetch(url, { ...init, redirect: 'manual' })
    body = await res.text()
    status = res.status
  } catch (err) {
    body = (err as Error).message
  }
  const list = durations.get(kind) ?? []
  list.push(performance.now() - started)
  durations.set(kind, list)
  if (status === 0 || status >= 400) {
    errorCount++
    if (errors.length < 20) errors.push(`${kind} ${init.method ?? 'GET'} ${url} → ${status || body}`)
  }
  return body
}

const htmx = (user: SignedIn, extra: Record<string, string> = {}) => ({ cookie: user.cookie, 'hx-request': 'true', 'x-csrf-token': user.csrfToken, ...extra })
const form = (user: SignedIn) => htmx(user, { 'content-type': 'application/x-www-form-urlencoded' })
const unescapeHtml = (s: string) => s.replace(/&quot;/g, '"').replace(/&#39;/g, '\'').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&')

async function main () {
  if (!existsSync(join(root, 'dist/server.js'))) throw new Error('dist/server.js is missing: `npm run test:faults` builds it first (or run `npm run build`)')
  log(`polls soak: ${minutes} min of mixed load (warm-up ${clock(warmUpMs)}), ${WORKERS} clients + 1 admin editor`)

  const db = openDatabase(databaseUrl)
  seedBulk(db, smoke ? { questions: 500, votes: 5_000, users: 100 } : { questions: 5_000, votes: 50_000, users: 1_000 })
  const rows = db.$client.prepare('select q.id as id, c.id as choice from questions q join choices c on c.question_id = q.id where q.pub_date <= ? order by q.id, c.id').all(Date.now()) as Array<{ id: number, choice: number }>
  db.$client.close()
  const byId = new Map<number, Question>()
  for (const row of rows) {
    const q = byId.get(row.id) ?? { id: row.id, choices: [] }
    q.choices.push(row.choice)
    byId.set(row.id, q)
  }
  const questions = [...byId.values()]

  const appUrl = `http://127.0.0.1:${await freePort()}`
  const { provider } = await startBenchProvider(appUrl, VOTERS)
  // Production's own log level: the access log runs (and would leak) as it does there.
  const app = await startProcess('dist/server.js', { ...productionEnv(appUrl, databaseUrl, provider), LOG_LEVEL: 'info' }, `${appUrl}/healthz`, dir)
  const pid = app.child.pid ?? 0
  try {
    const voters: SignedIn[] = []
    for (let i = 0; i < VOTERS; i++) voters.push(await signIn(appUrl, `voter${i}`))
    const staff = await signIn(appUrl, 'staff')
    const admin = await signIn(appUrl, 'admin')

    const actions: Array<[weight: number, run: () => Promise<unknown>]> = [
      [15, () => send('browse index', `${appUrl}/polls/`)],
      [20, () => { const v = pick(voters); return send('browse question', `${appUrl}/polls/${pick(questions).id}/`, { headers: { cookie: v.cookie } }) }],
      [35, () => {
        const v = pick(voters)
        const q = pick(questions)
        return send('vote', `${appUrl}/polls/${q.id}/vote/`, { method: 'POST', headers: form(v), body: `choice=${pick(q.choices)}` })
      }],
      [20, () => send('results', `${appUrl}/polls/${pick(questions).id}/results/`, { headers: htmx(staff) })],
      [10, () => send('admin search', `${appUrl}/admin/questions/?q=${pick(['editor', 'coffee', 'team lunch', 'font'])}&page=${1 + Math.floor(Math.random() * 3)}`, { headers: htmx(admin) })]
    ]
    const totalWeight = actions.reduce((s, [w]) => s + w, 0)
    const choose = () => {
      let r = Math.random() * totalWeight
      for (const [w, run] of actions) if ((r -= w) < 0) return run
      return actions[0]![1]
    }

    /** What an admin does in the console: change a question in place, add a choice, rename and delete it. */
    let edits = 0
    async function editOnce () {
      const q = pick(questions)
      const row = await send('admin edit', `${appUrl}/admin/questions/${q.id}/edit`, { headers: htmx(admin) })
      const version = /name="version" value="(\d+)"/.exec(row)?.[1]
      const text = unescapeHtml(/name="question_text" value="([^"]*)"/.exec(row)?.[1] ?? '')
      const pubDate = /name="pub_date" type="datetime-local" value="([^"]*)"/.exec(row)?.[1] ?? ''
      const changed = text.endsWith(' (edited)') ? text.slice(0, -' (edited)'.length) : `${text} (edited)`
      await send('admin edit', `${appUrl}/admin/questions/${q.id}/?view=row`, { method: 'POST', headers: form(admin), body: new URLSearchParams({ question_text: changed, pub_date: pubDate, version: version ?? '' }).toString() })
      const list = await send('admin edit', `${appUrl}/admin/questions/${q.id}/choices/`, { method: 'POST', headers: form(admin), body: `choice_text=Soak+choice+${edits}` })
      const added = Math.max(...[...list.matchAll(/id="choice-(\d+)"/g)].map((m) => Number(m[1])))
      await send('admin edit', `${appUrl}/admin/choices/${added}/`, { method: 'POST', headers: form(admin), body: `choice_text=Renamed+soak+choice+${edits}` })
      await send('admin edit', `${appUrl}/admin/choices/${added}/delete/`, { method: 'POST', headers: form(admin), body: '' })
      edits++
    }

    const started = performance.now()
    const deadline = started + durationMs
    let requests = 0
    const clients = Array.from({ length: WORKERS }, async () => {
      while (performance.now() < deadline) {
        await choose()()
        requests++
        await sleep(THINK_MS)
      }
    })
    const editor = (async () => {
      while (performance.now() < deadline) {
        await editOnce()
        await sleep(50)
      }
    })()

    // RSS is read every few seconds. It saw-tooths with garbage collection (in a 10-minute run here between
    // about 145 and 205 MB, a cycle every minute or two), so one reading, or even a window's median, says
    // more about where the cycle is than about a leak. The level is the floor a collection leaves; a leak
    // raises it. So "after warm-up" is the lowest reading in the fifth of the run after the warm-up, and
    // "at the end" the lowest in the last fifth: each spans a cycle or two.
    const readings: Array<{ atMs: number, rssMb: number }> = []
    const shown: Array<{ at: string, rssMb: number }> = []
    const readEvery = Math.max(250, durationMs / 120)
    const showEvery = durationMs / 20
    for (let nextShow = showEvery; performance.now() + readEvery <= deadline;) {
      await sleep(readEvery)
      const atMs = performance.now() - started
      const rss = rssMb(pid).largest
      readings.push({ atMs, rssMb: rss })
      if (atMs >= nextShow) {
        nextShow += showEvery
        shown.push({ at: clock(atMs), rssMb: rss })
        log(`  ${clock(atMs)}  RSS ${rss} MB  ${requests} requests  ${edits} admin edit rounds  ${errorCount} errors`)
      }
    }
    await Promise.all([...clients, editor])
    const window = (from: number, to: number) => {
      const xs = readings.filter((r) => r.atMs >= from && r.atMs < to).map((r) => r.rssMb).sort((a, b) => a - b)
      return { lowest: xs[0] ?? 0, median: xs[Math.floor(xs.length / 2)] ?? 0 }
    }
    const afterWarmUp = window(warmUpMs, warmUpMs + durationMs / 5)
    const atEnd = window(durationMs * 4 / 5, Infinity)
    const rssAfterWarmUp = afterWarmUp.lowest
    const rssAtEnd = atEnd.lowest
    const elapsedS = (performance.now() - started) / 1000
    const peak = peakRssMb(pid).largest

    const check = new Database(databaseUrl, { readonly: true })
    const integrity = check.pragma('integrity_check', { simple: true })
    const mismatched = check.prepare('select count(*) from questions q where q.vote_count != (select count(*) from votes v where v.question_id = q.id)').pluck().get() as number
    check.close()

    const growthPct = Number(((rssAtEnd - rssAfterWarmUp) / rssAfterWarmUp * 100).toFixed(1))
    const perKind: Record<string, { requests: number, p50Ms: number, p99Ms: number }> = {}
    for (const [kind, list] of durations) {
      const sorted = [...list].sort((a, b) => a - b)
      perKind[kind] = { requests: sorted.length, p50Ms: Number(percentile(sorted, 0.5).toFixed(1)), p99Ms: Number(percentile(sorted, 0.99).toFixed(1)) }
    }
    const total = Object.values(perKind).reduce((s, k) => s + k.requests, 0)
    const checks = {
      noErrorResponses: errorCount === 0,
      rssGrowthUnder10Pct: smoke ? null : growthPct < MAX_RSS_GROWTH_PCT,
      integrityOk: integrity === 'ok',
      voteTotalsMatchRows: mismatched === 0
    }
    const ok = Object.values(checks).every((passed) => passed !== false)

    log(`requests: ${total} in ${elapsedS.toFixed(0)} s (${Math.round(total / elapsedS)} req/s), ${edits} admin edit rounds, ${errorCount} error responses`)
    for (const [kind, k] of Object.entries(perKind)) log(`  ${kind.padEnd(16)} ${String(k.requests).padStart(7)}  p50 ${k.p50Ms} ms  p99 ${k.p99Ms} ms`)
    log(`RSS (lowest of each window): ${rssAfterWarmUp} MB after warm-up → ${rssAtEnd} MB at the end (${growthPct >= 0 ? '+' : ''}${growthPct}%, ${smoke ? 'not judged in a smoke run' : `limit +${MAX_RSS_GROWTH_PCT}%`}); medians ${afterWarmUp.median} → ${atEnd.median} MB; peak ${peak} MB`)
    log(`database: integrity ${integrity}, questions whose total differs from their rows: ${mismatched}`)
    if (errors.length > 0) log(`errors (first ${errors.length}):\n  ${errors.join('\n  ')}`)
    log(ok ? 'soak passed' : `soak FAILED: ${Object.entries(checks).filter(([, v]) => !v).map(([k]) => k).join(', ')}`)
    console.log(JSON.stringify({ soak: 'polls', minutes, smoke, requests: total, reqPerS: Math.round(total / elapsedS), adminEditRounds: edits, errorResponses: errorCount, rssMb: { afterWarmUp: rssAfterWarmUp, atEnd: rssAtEnd, growthPct, medianAfterWarmUp: afterWarmUp.median, medianAtEnd: atEnd.median, peak, readings: readings.length }, samples: shown, perKind, checks, ok }))
    if (!ok) process.exitCode = 1
  } finally {
    await app.stop()
    await provider.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

main().catch((err: unknown) => {
  console.error(err)
  rmSync(dir, { recursive: true, force: true })
  process.exit(1)
})
