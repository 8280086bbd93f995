// npm run bench [-- --quick | --smoke] [--db postgres]: the app against a same-run ceiling; see README
// "Performance". --db postgres runs PostgreSQL (a throwaway server, as in the tests) next to SQLite.
import autocannon from 'autocannon'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir, cpus } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import type { DevUser } from '../src/oidc/dev-users.ts'
import { signIn, type SignedIn } from './login.ts'
import { cpuSeconds, freePort, peakRssMb, resetPeakRss, startProcess, type Running } from './processes.ts'
import { measureServerTimes, type VoteInvariant } from './checks.ts'
import { productionEnv, startBenchProvider, voteRequests } from './setup.ts'
import { postgresDatabase, seed, sqliteDatabase, type BenchData, type BenchDatabase } from './databases.ts'

const { values: flags } = parseArgs({ options: { quick: { type: 'boolean' }, smoke: { type: 'boolean' }, db: { type: 'string', default: 'sqlite' } } })
if (flags.db !== 'sqlite' && flags.db !== 'postgres') throw new Error(`--db must be sqlite or postgres (got ${flags.db})`)
const profile = flags.smoke === true
  ? { name: 'smoke', seconds: 1, rounds: 1, questions: 300, votes: 3000, voters: 8, samples: 5 }
  : flags.quick === true
    ? { name: 'quick', seconds: 3, rounds: 1, questions: 10_000, votes: 100_000, voters: 16, samples: 20 }
    : { name: 'full', seconds: 10, rounds: 2, questions: 100_000, votes: 1_000_000, voters: 32, samples: 50 }
const CONNECTIONS = 32
const dir = mkdtempSync(join(tmpdir(), 'polls-bench-'))
const serverErrors: string[] = []

function log (line: string) { process.stderr.write(`${line}\n`) }

/** CPU per request in µs: of the app's processes, and of the database server's (PostgreSQL only). */
interface Cpu { appUs: number, dbUs?: number }
interface Figure { rps: number, p50: number, p99: number, non2xx: number, errors: number, cpu?: Cpu }
type LoadRequest = Partial<autocannon.Request> & { setupRequest?: (req: autocannon.Request) => autocannon.Request }
async function load (url: string, request: LoadRequest, seconds = profile.seconds, cpuOf?: { app: number, db?: number }): Promise<Figure> {
  const before = cpuOf === undefined ? undefined : { app: cpuSeconds(cpuOf.app), db: cpuOf.db === undefined ? 0 : cpuSeconds(cpuOf.db) }
  const result = await autocannon({ url, connections: CONNECTIONS, duration: seconds, requests: [{ method: 'GET', ...request }] })
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) {
    if (Number(code) >= 500) serverErrors.push(`${request.method ?? 'GET'} ${url} → ${code} × ${stat.count}`)
  }
  const perRequestUs = (seconds: number) => Math.round(seconds * 1e6 / Math.max(1, result.requests.total))
  const cpu = cpuOf === undefined || before === undefined
    ? undefined
    : { appUs: perRequestUs(cpuSeconds(cpuOf.app) - before.app), ...(cpuOf.db === undefined ? {} : { dbUs: perRequestUs(cpuSeconds(cpuOf.db) - before.db) }) }
  return { rps: Math.round(result.requests.average), p50: result.latency.p50, p99: result.latency.p99, non2xx: result.non2xx, errors: result.errors + result.timeouts, cpu }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0

interface Context {
  appUrl: string
  users: DevUser[]
  appEnv: (databaseUrl: string, concurrency: number) => Record<string, string>
  ceilingUrl: (bytes: number) => string
  /** The signed-in floor on this database (its session lookup in SQLite or in PostgreSQL). */
  floorUrl: (database: BenchDatabase, bytes: number) => string
}

interface DatabaseReport {
  endpoints: Record<string, unknown>
  scaling: Record<string, Record<string, number>>
  serverTimes: Record<string, number>
  /** Peak RSS of the app process while the vote load ran, and over the whole one-process run. */
  rss: { total: number, largest: number }
  peakOverall: number
  invariant: VoteInvariant | undefined
}

/** Every endpoint on one database, with one process and then two (WEB_CONCURRENCY), beside the ceiling. */
async function benchDatabase (database: BenchDatabase, data: BenchData, context: Context): Promise<DatabaseReport> {
  const { appUrl, users, ceilingUrl, floorUrl } = context
  const { question, choiceIds } = data
  const report: DatabaseReport = { endpoints: {}, scaling: {}, serverTimes: {}, rss: { total: 0, largest: 0 }, peakOverall: 0, invariant: undefined }
  const label = database.name === 'sqlite' ? 'SQLite' : 'PostgreSQL'
  for (const concurrency of [1, 2]) {
    const app: Running = await startProcess('dist/server.js', context.appEnv(database.databaseUrl, concurrency), `${appUrl}/healthz`, dir)
    try {
      const t0 = performance.now()
      const voters: SignedIn[] = []
      for (const user of users.slice(0, profile.voters)) voters.push(await signIn(appUrl, user.username))
      const staff = await signIn(appUrl, 'staff')
      const admin = await signIn(appUrl, 'admin')
      log(`${label}, WEB_CONCURRENCY=${concurrency}: signed in ${voters.length + 2} users through the real login flow in ${((performance.now() - t0) / 1000).toFixed(1)} s`)

      const endpoints: Array<{ name: string, kind: 'page' | 'vote', signedIn?: true, request: LoadRequest, probe: () => Promise<Response> }> = [
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
        if (probe.status !== 200) throw new Error(`${label}: ${endpoint.name} answered ${probe.status}`)
        const appRuns: Figure[] = []
        const pid = app.child.pid ?? 0
        report.peakOverall = Math.max(report.peakOverall, peakRssMb(pid).largest)
        resetPeakRss(pid)
        const ceilingRuns: Figure[] = []
        const floorRuns: Figure[] = []
        // Alternate ceiling (and floor) and app runs so that machine noise falls on all of them.
        for (let round = 0; round < profile.rounds; round++) {
          ceilingRuns.push(await load(ceilingUrl(bytes), { method: endpoint.request.method ?? 'GET' }))
          if (endpoint.signedIn === true) floorRuns.push(await load(floorUrl(database, bytes), { method: endpoint.request.method ?? 'GET' }))
          appRuns.push(await load(appUrl, endpoint.request, profile.seconds, { app: pid, db: database.serverPid }))
        }
        const best = (runs: Figure[]) => runs.reduce((a, b) => (b.rps > a.rps ? b : a))
        const a = best(appRuns)
        const c = best(ceilingRuns)
        const f = floorRuns.length > 0 ? best(floorRuns) : undefined
        const figure = {
          bytes, rps: a.rps, p50: a.p50, p99: a.p99, non2xx: a.non2xx, errors: a.errors, ceilingRps: c.rps, ratio: Number((a.rps / c.rps).toFixed(2)),
          cpuUsPerRequest: a.cpu,
          ...(f === undefined ? {} : { floorRps: f.rps, floorRatio: Number((f.rps / c.rps).toFixed(2)), ratioToFloor: Number((a.rps / f.rps).toFixed(2)) })
        }
        if (concurrency === 1) report.endpoints[endpoint.name] = figure
        report.scaling[endpoint.name] = { ...report.scaling[endpoint.name], [`rps_${concurrency}`]: a.rps }
        const cpu = a.cpu === undefined ? '' : `  CPU/req app ${a.cpu.appUs} µs${a.cpu.dbUs === undefined ? '' : ` + postgres ${a.cpu.dbUs} µs`}`
        log(`  ${endpoint.name.padEnd(44)} ${String(a.rps).padStart(6)} req/s  p50 ${a.p50} ms  p99 ${a.p99} ms  ceiling ${c.rps} req/s  ratio ${figure.ratio}${f === undefined ? '' : `  (signed-in floor ${f.rps} req/s = ${figure.floorRatio} of the ceiling; app/floor ${figure.ratioToFloor})`}${cpu}  non-2xx ${a.non2xx}  peak RSS during it ${peakRssMb(pid).largest} MB`)
        if (endpoint.kind === 'vote') {
          if (concurrency === 1) report.rss = peakRssMb(pid)
          // Checked after each vote phase: one process, and two processes writing the same database.
          const check = await database.checkVoteInvariant(question.id, voters.map((v) => `bench-voter-${v.username.slice(5)}`))
          const shown = await fetch(`${appUrl}/polls/${question.id}/results/`, { headers: { cookie: staff.cookie, 'hx-request': 'true' } }).then((r) => r.text())
          const shownTotal = [...shown.matchAll(/<span class="count">(\d+) votes?<\/span>/g)].reduce((s, m) => s + Number(m[1]), 0)
          check.shownEqualsStored = shownTotal === check.storedVotes
          check.violations = check.violations.map((v) => `${label}, WEB_CONCURRENCY=${concurrency}: ${v}`)
          const before = report.invariant
          report.invariant = before === undefined ? check : { ...check, violations: [...before.violations, ...check.violations], shownEqualsStored: before.shownEqualsStored === true && check.shownEqualsStored }
        }
      }
      if (concurrency === 1) report.serverTimes = await measureServerTimes(appUrl, admin.cookie, profile.samples)
      if (concurrency === 1) report.peakOverall = Math.max(report.peakOverall, peakRssMb(app.child.pid ?? 0).largest)
    } finally {
      await app.stop()
    }
  }
  log(`${label}: admin table, median server time per query (Server-Timing):`)
  for (const [query, ms] of Object.entries(report.serverTimes)) log(`  ${query.padEnd(44)} ${ms.toFixed(2)} ms`)
  log(`${label}: scaling 1 → 2 processes: ${JSON.stringify(report.scaling)}`)
  log(`${label}: vote invariant: ${JSON.stringify(report.invariant)}`)
  return report
}

async function main () {
  log(`polls bench (${profile.name}) on ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`)
  const databases: BenchDatabase[] = [sqliteDatabase(dir)]
  if (flags.db === 'postgres') databases.push(await postgresDatabase())

  // Data: the benchmark's question (4 choices, newest) on top of bulk questions and votes, the same on each database.
  const seeded: BenchData[] = []
  for (const database of databases) {
    const t0 = performance.now()
    seeded.push(await seed(database.databaseUrl, profile))
    log(`${database.name}: seeded ${profile.questions} questions and ${profile.votes} votes in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
  }

  // A real provider with enough distinct users, and the app registered as its client.
  const appPort = await freePort()
  const appUrl = `http://127.0.0.1:${appPort}`
  const { provider, users } = await startBenchProvider(appUrl, profile.voters)
  const appEnv = (databaseUrl: string, concurrency: number) => productionEnv(appUrl, databaseUrl, provider, concurrency)
  const sqlite = databases[0] as BenchDatabase

  // Start to ready: with a configured provider, and with the built-in one (development mode).
  const readyConfigured: number[] = []
  for (let i = 0; i < 3; i++) {
    const app = await startProcess('dist/server.js', appEnv(sqlite.databaseUrl, 1), `${appUrl}/healthz`, dir)
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
  // The signed-in floor: the ceiling plus only what every signed-in request must do (open the session
  // cookie, check the session row), in each database. No signed-in page can be faster; its ratio bounds theirs.
  const floors = new Map<BenchDatabase, { port: number, process: Running }>()
  for (const database of databases) {
    const port = await freePort()
    floors.set(database, { port, process: await startProcess('bench/ceiling.ts', { PORT: String(port), CEILING_WORK: 'signed-in', FLOOR_DATABASE_URL: database.databaseUrl }, `http://127.0.0.1:${port}/bytes/1`, dir) })
  }
  const context: Context = {
    appUrl,
    users,
    appEnv,
    ceilingUrl: (bytes) => `http://127.0.0.1:${ceilingPort}/bytes/${bytes}`,
    floorUrl: (database, bytes) => `http://127.0.0.1:${floors.get(database)?.port ?? 0}/bytes/${bytes}`
  }
  const reports: DatabaseReport[] = []
  for (const [i, database] of databases.entries()) reports.push(await benchDatabase(database, seeded[i] as BenchData, context))
  await ceiling.stop()
  for (const floor of floors.values()) await floor.process.stop()
  await provider.close()
  for (const database of databases) await database.close()

  const [lite, postgres] = reports as [DatabaseReport, DatabaseReport | undefined]
  type Measured = { ratio: number, p99: number, rps: number }
  const vote = lite.endpoints['POST /polls/:id/vote/ (htmx)'] as Measured | undefined
  const pages = Object.entries(lite.endpoints).filter(([name]) => name.startsWith('GET')).map(([, f]) => f as Measured)
  const targets: Record<string, boolean> = {
    voteRatioAtLeast50pct: (vote?.ratio ?? 0) >= 0.5,
    pageRatiosAtLeast60pct: pages.every((p) => p.ratio >= 0.6),
    p99AtMost25ms: [vote, ...pages].every((f) => (f?.p99 ?? Infinity) <= 25),
    adminMedianServerTimeAtMost5ms: Object.values(lite.serverTimes).every((ms) => ms <= 5),
    peakRssAtMost150MB: lite.rss.largest <= 150,
    readyWithin1s: readyMs.withoutBuiltInProvider <= 1000
  }
  if (postgres !== undefined) {
    // PostgreSQL against SQLite in the same run: votes and the signed-in page at one node.
    const rps = (report: DatabaseReport, name: string) => (report.endpoints[name] as Measured | undefined)?.rps ?? 0
    const pgVote = postgres.endpoints['POST /polls/:id/vote/ (htmx)'] as Measured | undefined
    targets.postgresVotesAtLeast50pctOfSqlite = rps(postgres, 'POST /polls/:id/vote/ (htmx)') >= 0.5 * rps(lite, 'POST /polls/:id/vote/ (htmx)')
    targets.postgresSignedInPageAtLeast50pctOfSqlite = rps(postgres, 'GET /polls/:id/ (signed in)') >= 0.5 * rps(lite, 'GET /polls/:id/ (signed in)')
    targets.postgresVoteP99AtMost25ms = (pgVote?.p99 ?? Infinity) <= 25
    targets.postgresAdminMedianServerTimeAtMost10ms = Object.values(postgres.serverTimes).every((ms) => ms <= 10)
  }
  log(`peak RSS under the vote load: ${lite.rss.largest} MB (app process); over the whole one-process run (sign-ins, every endpoint, the admin queries): ${lite.peakOverall} MB`)
  log(`targets: ${JSON.stringify(targets)}`)
  const invariantsHold = reports.every((r) => r.invariant !== undefined && r.invariant.violations.length === 0 && r.invariant.shownEqualsStored === true)
  const ok = invariantsHold && serverErrors.length === 0
  if (serverErrors.length > 0) log(`5xx responses: ${serverErrors.join('; ')}`)
  const postgresPart = postgres === undefined ? {} : { postgres: { endpoints: postgres.endpoints, scaling: postgres.scaling, serverTimesMs: postgres.serverTimes, peakRssMb: postgres.rss.largest, invariant: postgres.invariant } }
  console.log(JSON.stringify({
    bench: 'polls', profile: profile.name, connections: CONNECTIONS, seconds: profile.seconds, data: { questions: profile.questions, votes: profile.votes },
    endpoints: lite.endpoints, scaling: lite.scaling, serverTimesMs: lite.serverTimes, peakRssMb: lite.rss.largest, peakRssOverallMb: lite.peakOverall, readyMs, invariant: lite.invariant,
    ...postgresPart, serverErrors, targets, ok
  }))
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
