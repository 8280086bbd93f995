// npm run bench [-- --quick | --smoke]: the app against a same-run ceiling; see README "Performance".
import autocannon from 'autocannon'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir, cpus } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { openDatabase } from '../src/db/client.ts'
import { seedBulk } from '../src/db/bulk-seed.ts'
import { createQuestion } from '../src/db/seed.ts'
import { signIn, type SignedIn } from './login.ts'
import { freePort, peakRssMb, resetPeakRss, startProcess, type Running } from './processes.ts'
import { checkVoteInvariant, measureServerTimes } from './checks.ts'
import { productionEnv, startBenchProvider, voteRequests } from './setup.ts'

const { values: flags } = parseArgs({ options: { quick: { type: 'boolean' }, smoke: { type: 'boolean' } } })
const profile = flags.smoke === true
  ? { name: 'smoke', seconds: 1, rounds: 1, questions: 300, votes: 3000, voters: 8, samples: 5 }
  : flags.quick === true
    ? { name: 'quick', seconds: 3, rounds: 1, questions: 10_000, votes: 100_000, voters: 16, samples: 20 }
    : { name: 'full', seconds: 10, rounds: 2, questions: 100_000, votes: 1_000_000, voters: 32, samples: 50 }
const CONNECTIONS = 32
const dir = mkdtempSync(join(tmpdir(), 'polls-bench-'))
const databaseUrl = join(dir, 'polls.db')
const serverErrors: string[] = []

function log (line: string) { process.stderr.write(`${line}\n`) }

interface Figure { rps: number, p50: number, p99: number, non2xx: number, errors: number }
async function load (url: string, request: Partial<autocannon.Request> & { setupRequest?: (req: autocannon.Request) => autocannon.Request }, seconds = profile.seconds): Promise<Figure> {
  const result = await autocannon({ url, connections: CONNECTIONS, duration: seconds, requests: [{ method: 'GET', ...request }] })
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) {
    if (Number(code) >= 500) serverErrors.push(`${request.method ?? 'GET'} ${url} → ${code} × ${stat.count}`)
  }
  return { rps: Math.round(result.requests.average), p50: result.latency.p50, p99: result.latency.p99, non2xx: result.non2xx, errors: result.errors + result.timeouts }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0

async function main () {
  log(`polls bench (${profile.name}) on ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`)

  // Data: the benchmark's question (4 choices, newest) on top of bulk questions and votes.
  let t0 = performance.now()
  const db = openDatabase(databaseUrl)
  seedBulk(db, { questions: profile.questions, votes: profile.votes, users: 1000 })
  const question = createQuestion(db, { questionText: 'Benchmark question?', pubDate: new Date(Date.now() - 60_000), choices: ['A', 'B', 'C', 'D'] })
  const choiceIds = (db.$client.prepare('select id from choices where question_id = ? order by id').pluck().all(question.id) as number[])
  db.$client.close()
  log(`seeded ${profile.questions} questions and ${profile.votes} votes in ${((performance.now() - t0) / 1000).toFixed(1)} s`)

  // A real provider with enough distinct users, and the app registered as its client.
  const appPort = await freePort()
  const appUrl = `http://127.0.0.1:${appPort}`
  const { provider, users } = await startBenchProvider(appUrl, profile.voters)
  const appEnv = (concurrency: number) => productionEnv(appUrl, databaseUrl, provider, concurrency)

  // Start to ready: with a configured provider, and with the built-in one (development mode).
  const readyConfigured: number[] = []
  for (let i = 0; i < 3; i++) {
    const app = await startProcess('dist/server.js', appEnv(1), `${appUrl}/healthz`, dir)
    readyConfigured.push(app.readyMs)
    await app.stop()
  }
  const devPort = await freePort()
  const devApp = await startProcess('dist/server.js', { PORT: String(devPort), DATABASE_URL: join(dir, 'dev.db'), LOG_LEVEL: 'warn' }, `http://127.0.0.1:${devPort}/healthz`, dir)
  await devApp.stop()
  const readyMs = { withoutBuiltInProvider: Math.round(median(readyConfigured)), withBuiltInProvider: Math.round(devApp.readyMs) }
  log(`start to ready: ${readyMs.withoutBuiltInProvider} ms (configured provider), ${readyMs.withBuiltInProvider} ms (built-in provider)`)

  const ceilingPort = await freePort()
  const ceiling = await startProcess('bench/ceiling.ts', { PORT: String(ceilingPort) }, `http://127.0.0.1:${ceilingPort}/bytes/1`, dir)
  const ceilingUrl = (bytes: number) => `http://127.0.0.1:${ceilingPort}/bytes/${bytes}`
  // The signed-in floor: the ceiling plus only what every signed-in request must do (open the session
  // cookie, check the session row). No signed-in page can be faster; its ratio bounds theirs.
  const floorPort = await freePort()
  const floor = await startProcess('bench/ceiling.ts', { PORT: String(floorPort), CEILING_WORK: 'signed-in' }, `http://127.0.0.1:${floorPort}/bytes/1`, dir)
  const floorUrl = (bytes: number) => `http://127.0.0.1:${floorPort}/bytes/${bytes}`

  const results: Record<string, unknown> = {}
  const scaling: Record<string, Record<string, number>> = {}
  // Peak RSS of the app process while the vote load ran, and over the whole one-process run.
  let rss = { total: 0, largest: 0 }
  let peakOverall = 0
  let invariant: Awaited<ReturnType<typeof checkVoteInvariant>> | undefined
  let serverTimes: Record<string, number> = {}

  for (const concurrency of [1, 2]) {
    const app: Running = await startProcess('dist/server.js', appEnv(concurrency), `${appUrl}/healthz`, dir)
    try {
      t0 = performance.now()
      const voters: SignedIn[] = []
      for (const user of users.slice(0, profile.voters)) voters.push(await signIn(appUrl, user.username))
      const staff = await signIn(appUrl, 'staff')
      const admin = await signIn(appUrl, 'admin')
      log(`WEB_CONCURRENCY=${concurrency}: signed in ${voters.length + 2} users through the real login flow in ${((performance.now() - t0) / 1000).toFixed(1)} s`)

      const endpoints: Array<{ name: string, kind: 'page' | 'vote', signedIn?: true, request: Parameters<typeof load>[1], probe: () => Promise<Response> }> = [
        { name: 'GET /polls/ (anonymous)', kind: 'page', request: { path: '/polls/' }, probe: () => fetch(`${appUrl}/polls/`) },
        { name: 'GET /polls/:id/ (signed in)', kind: 'page', signedIn: true, request: { path: `/polls/${question.id}/`, headers: { cookie: voters[0]?.cookie ?? '' } }, probe: () => fetch(`${appUrl}/polls/${question.id}/`, { headers: { cookie: voters[0]?.cookie ?? '' } }) },
        {
          name: 'POST /polls/:id/vote/ (htmx)',
          kind: 'vote',
          signedIn: true,
          request: voteRequests(question.id, choiceIds, voters),
          probe: () => fetch(`${appUrl}/polls/${question.id}/vote/`, { method: 'POST', headers: { cookie: voters[0]?.cookie ?? '', 'x-csrf-token': voters[0]?.csrfToken ?? '', 'hx-request': 'true', 'content-type': 'application/x-www-form-urlencoded' }, body: `choice=${choiceIds[0]}` })
        },
        { name: 'GET /polls/:id/results/ (staff, htmx)', kind: 'page', signedIn: true, request: { path: `/polls/${question.id}/results/`, headers: { cookie: staff.cookie, 'hx-request': 'true' } }, probe: () => fetch(`${appUrl}/polls/${question.id}/results/`, { headers: { cookie: staff.cookie, 'hx-request': 'true' } }) },
        { name: 'GET /admin/questions/ (search + page, htmx)', kind: 'page', signedIn: true, request: { path: '/admin/questions/?q=editor&page=3', headers: { cookie: admin.cookie, 'hx-request': 'true' } }, probe: () => fetch(`${appUrl}/admin/questions/?q=editor&page=3`, { headers: { cookie: admin.cookie, 'hx-request': 'true' } }) }
      ]
      // Two processes: a page for visitors, a signed-in page and the votes (the one write path).
      const chosen = concurrency === 1 ? endpoints : endpoints.filter((e) => e.name.startsWith('POST') || e.name.startsWith('GET /polls/ ') || e.name.startsWith('GET /polls/:id/ '))
      for (const endpoint of chosen) {
        const probe = await endpoint.probe()
        const bytes = (await probe.arrayBuffer()).byteLength
        if (probe.status !== 200) throw new Error(`${endpoint.name} answered ${probe.status}`)
        const appRuns: Figure[] = []
        const pid = app.child.pid ?? 0
        peakOverall = Math.max(peakOverall, peakRssMb(pid).largest)
        resetPeakRss(pid)
        const ceilingRuns: Figure[] = []
        const floorRuns: Figure[] = []
        // Alternate ceiling (and floor) and app runs so that machine noise falls on all of them.
        for (let round = 0; round < profile.rounds; round++) {
          ceilingRuns.push(await load(ceilingUrl(bytes), { method: endpoint.request.method ?? 'GET' }))
          if (endpoint.signedIn === true) floorRuns.push(await load(floorUrl(bytes), { method: endpoint.request.method ?? 'GET' }))
          appRuns.push(await load(appUrl, endpoint.request))
        }
        const best = (runs: Figure[]) => runs.reduce((a, b) => (b.rps > a.rps ? b : a))
        const a = best(appRuns)
        const c = best(ceilingRuns)
        const f = floorRuns.length > 0 ? best(floorRuns) : undefined
        const figure = {
          bytes, rps: a.rps, p50: a.p50, p99: a.p99, non2xx: a.non2xx, errors: a.errors, ceilingRps: c.rps, ratio: Number((a.rps / c.rps).toFixed(2)),
          ...(f === undefined ? {} : { floorRps: f.rps, floorRatio: Number((f.rps / c.rps).toFixed(2)), ratioToFloor: Number((a.rps / f.rps).toFixed(2)) })
        }
        if (concurrency === 1) results[endpoint.name] = figure
        scaling[endpoint.name] = { ...scaling[endpoint.name], [`rps_${concurrency}`]: a.rps }
        log(`  ${endpoint.name.padEnd(44)} ${String(a.rps).padStart(6)} req/s  p50 ${a.p50} ms  p99 ${a.p99} ms  ceiling ${c.rps} req/s  ratio ${figure.ratio}${f === undefined ? '' : `  (signed-in floor ${f.rps} req/s = ${figure.floorRatio} of the ceiling; app/floor ${figure.ratioToFloor})`}  non-2xx ${a.non2xx}  peak RSS during it ${peakRssMb(pid).largest} MB`)
        if (endpoint.kind === 'vote') {
          if (concurrency === 1) rss = peakRssMb(pid)
          // Checked after each vote phase: one process, and two processes writing the same file.
          const check = checkVoteInvariant(databaseUrl, question.id, voters.map((v) => `bench-voter-${v.username.slice(5)}`))
          const shown = await fetch(`${appUrl}/polls/${question.id}/results/`, { headers: { cookie: staff.cookie, 'hx-request': 'true' } }).then((r) => r.text())
          const shownTotal = [...shown.matchAll(/<span class="count">(\d+) votes?<\/span>/g)].reduce((s, m) => s + Number(m[1]), 0)
          check.shownEqualsStored = shownTotal === check.storedVotes
          check.violations = check.violations.map((v) => `WEB_CONCURRENCY=${concurrency}: ${v}`)
          invariant = invariant === undefined ? check : { ...check, violations: [...invariant.violations, ...check.violations], shownEqualsStored: invariant.shownEqualsStored === true && check.shownEqualsStored }
        }
      }
      if (concurrency === 1) serverTimes = await measureServerTimes(appUrl, admin.cookie, profile.samples)
      if (concurrency === 1) peakOverall = Math.max(peakOverall, peakRssMb(app.child.pid ?? 0).largest)
    } finally {
      await app.stop()
    }
  }
  await ceiling.stop()
  await floor.stop()
  await provider.close()

  const vote = results['POST /polls/:id/vote/ (htmx)'] as { ratio: number, p99: number } | undefined
  const pages = Object.entries(results).filter(([name]) => name.startsWith('GET')).map(([, f]) => f as { ratio: number, p99: number })
  const targets = {
    voteRatioAtLeast50pct: (vote?.ratio ?? 0) >= 0.5,
    pageRatiosAtLeast60pct: pages.every((p) => p.ratio >= 0.6),
    p99AtMost25ms: [vote, ...pages].every((f) => (f?.p99 ?? Infinity) <= 25),
    adminMedianServerTimeAtMost5ms: Object.values(serverTimes).every((ms) => ms <= 5),
    peakRssAtMost150MB: rss.largest <= 150,
    readyWithin1s: readyMs.withoutBuiltInProvider <= 1000
  }
  log('admin table, median server time per query (Server-Timing):')
  for (const [query, ms] of Object.entries(serverTimes)) log(`  ${query.padEnd(44)} ${ms.toFixed(2)} ms`)
  log(`peak RSS under the vote load: ${rss.largest} MB (app process); over the whole one-process run (sign-ins, every endpoint, the admin queries): ${peakOverall} MB`)
  log(`scaling 1 → 2 processes: ${JSON.stringify(scaling)}`)
  log(`vote invariant: ${JSON.stringify(invariant)}`)
  log(`targets: ${JSON.stringify(targets)}`)
  const ok = invariant !== undefined && invariant.violations.length === 0 && invariant.shownEqualsStored === true && serverErrors.length === 0
  if (serverErrors.length > 0) log(`5xx responses: ${serverErrors.join('; ')}`)
  console.log(JSON.stringify({ bench: 'polls', profile: profile.name, connections: CONNECTIONS, seconds: profile.seconds, data: { questions: profile.questions, votes: profile.votes }, endpoints: results, scaling, serverTimesMs: serverTimes, peakRssMb: rss.largest, peakRssOverallMb: peakOverall, readyMs, invariant, serverErrors, targets, ok }))
  rmSync(dir, { recursive: true, force: true })
  if (!ok) {
    log('bench FAILED: the invariant was violated or a request got a 5xx')
    process.exit(1)
  }
}

main().catch((err: unknown) => {
  console.error(err)
  rmSync(dir, { recursive: true, force: true })
  process.exit(1)
})
