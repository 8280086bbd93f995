// npm run profile [-- --endpoint vote --seconds 5 --no-prof --node-arg=--max-semi-space-size=2 --log-level info]
// A/B: build the other version in its own tree (`git worktree add /tmp/ab-old <commit>`, its node_modules, its
// `npm run -s build`: it finds templates/ and drizzle/ from there) and pass
// `--app /tmp/ab-old/dist/server.js --app dist/server.js --rounds 3 --no-prof`: runs alternate, so noise falls on both.
// Where the time of each hot request goes. Per endpoint: starts the built app as the bench does, under
// `node --cpu-prof`, loads it with autocannon (32 connections) and reports
//  - CPU per request from /proc (user + system time of the app process / requests): robust on a shared,
//    busy machine, where req/s is not;
//  - from the .cpuprofile, samples taken during the load only, per request: self time by function
//    (source-mapped to src/), self time by area (our file or the package), and inclusive time by area.
import autocannon from 'autocannon'
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { SourceMap } from 'node:module'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { postgresDatabase, seed, sqliteDatabase, type BenchDatabase } from './databases.ts'
import { voteRequests } from './setup.ts'
import { startDevProvider } from '../src/oidc/dev-provider.ts'
import type { DevUser } from '../src/oidc/dev-users.ts'
import { signIn, type SignedIn } from './login.ts'
import { cpuSeconds, freePort, peakRssMb, root, startProcess } from './processes.ts'

const { values: flags } = parseArgs({
  options: {
    endpoint: { type: 'string', multiple: true },
    seconds: { type: 'string', default: '5' },
    top: { type: 'string', default: '20' },
    'no-prof': { type: 'boolean' },
    'node-arg': { type: 'string', multiple: true },
    'log-level': { type: 'string', default: 'warn' },
    env: { type: 'string', multiple: true },
    app: { type: 'string', multiple: true },
    rounds: { type: 'string', default: '1' },
    // postgres: a throwaway server, as in the bench; the CPU of its processes is reported beside the app's.
    db: { type: 'string', default: 'sqlite' },
    // The full bench's data is 100,000 questions and 1,000,000 votes (seeding takes a while).
    questions: { type: 'string', default: '10000' },
    votes: { type: 'string', default: '100000' }
  }
})
const SECONDS = Number(flags.seconds)
const TOP = Number(flags.top)
const CONNECTIONS = 32
const VOTERS = 16
const PROJECT = 'bench-project'
const dir = mkdtempSync(join(tmpdir(), 'polls-profile-'))
const log = (line: string) => process.stdout.write(`${line}\n`)

// ---- the .cpuprofile ----
interface CallFrame { functionName: string, url: string, lineNumber: number, columnNumber: number }
interface ProfileNode { id: number, callFrame: CallFrame, parent?: number, children?: number[] }
interface CpuProfile { nodes: ProfileNode[], startTime: number, samples: number[], timeDeltas: number[] }

const sourceMaps = new Map<string, SourceMap | null>()
function mapped (frame: CallFrame): { file: string, line: number } {
  if (!frame.url.startsWith('file://')) return { file: frame.url, line: frame.lineNumber + 1 }
  const path = fileURLToPath(frame.url)
  // Only a bundle of ours is mapped back to src/ (this tree's dist/, or another version's in an A/B, named
  // from its own project folder so that both read src/…); packages keep their own file names.
  const distAt = path.lastIndexOf('/dist/')
  if (distAt === -1 || path.includes('/node_modules/')) return { file: relative(root, path), line: frame.lineNumber + 1 }
  const project = path.slice(0, distAt)
  let map = sourceMaps.get(path)
  if (map === undefined) {
    try { map = new SourceMap(JSON.parse(readFileSync(`${path}.map`, 'utf8'))) } catch { map = null }
    sourceMaps.set(path, map)
  }
  const entry = map?.findEntry(frame.lineNumber, frame.columnNumber) as { originalSource?: string, originalLine?: number } | undefined
  if (entry?.originalSource !== undefined) {
    const original = entry.originalSource.startsWith('file://') ? fileURLToPath(entry.originalSource) : join(path, '..', entry.originalSource)
    return { file: relative(project, original), line: (entry.originalLine ?? 0) + 1 }
  }
  return { file: relative(project, path), line: frame.lineNumber + 1 }
}

/** Our source file, the package (node_modules/x or @scope/x), node's internals, or V8's pseudo-frames. */
function areaOf (frame: CallFrame): string {
  if (frame.url === '') return frame.functionName.startsWith('(') ? frame.functionName : '(native)'
  if (frame.url.startsWith('node:')) return 'node:internal'
  const { file } = mapped(frame)
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)
  return pkg !== null ? (pkg[1] as string) : file
}

function summarise (profile: CpuProfile, from: number, to: number, requests: number) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  for (const n of profile.nodes) for (const c of n.children ?? []) { const child = byId.get(c); if (child) child.parent = n.id }
  const self = new Map<string, number>()
  const selfArea = new Map<string, number>()
  const inclusiveArea = new Map<string, number>()
  const inclusiveOurs = new Map<string, number>()
  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v)
  let t = profile.startTime
  let busy = 0
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0
    const dt = profile.timeDeltas[i + 1] ?? 0 // a sample stands for the time until the next one
    if (t < from || t > to) continue
    const leaf = byId.get(profile.samples[i] as number)
    if (leaf === undefined || leaf.callFrame.functionName === '(idle)') continue
    busy += dt
    const where = mapped(leaf.callFrame)
    add(self, `${leaf.callFrame.functionName || '(anonymous)'}  ${where.file}:${where.line}`, dt)
    add(selfArea, areaOf(leaf.callFrame), dt)
    const seen = new Set<string>()
    for (let n: ProfileNode | undefined = leaf; n !== undefined; n = n.parent === undefined ? undefined : byId.get(n.parent)) {
      const area = areaOf(n.callFrame)
      if (area.startsWith('src/')) {
        const at = mapped(n.callFrame)
        const fn = `${n.callFrame.functionName || '(anonymous)'}  ${at.file}:${at.line}`
        if (!seen.has(fn)) { seen.add(fn); add(inclusiveOurs, fn, dt) }
      }
      if (area === '(root)' || seen.has(area)) continue
      seen.add(area)
      add(inclusiveArea, area, dt)
    }
  }
  const per = (us: number) => (us / requests).toFixed(1).padStart(7)
  const table = (title: string, m: Map<string, number>) => {
    log(`  ${title}`)
    for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, TOP)) log(`   ${per(v)} µs ${(100 * v / busy).toFixed(1).padStart(5)}%  ${k}`)
  }
  log(`  profiled busy time ${per(busy)} µs per request`)
  table('self time by function (µs/request)', self)
  table('self time by area', selfArea)
  table('inclusive time by area (an area counts once per sample)', inclusiveArea)
  table('inclusive time of our functions (hooks, handlers, queries)', inclusiveOurs)
}

// ---- load ----
async function main () {
  if (flags.db !== 'sqlite' && flags.db !== 'postgres') throw new Error(`--db must be sqlite or postgres (got ${flags.db})`)
  const database: BenchDatabase = flags.db === 'postgres' ? await postgresDatabase() : sqliteDatabase(dir)
  const databaseUrl = database.databaseUrl
  const { question, choiceIds } = await seed(databaseUrl, { questions: Number(flags.questions), votes: Number(flags.votes) })

  const appPort = await freePort()
  const appUrl = `http://127.0.0.1:${appPort}`
  const users: DevUser[] = [
    ...Array.from({ length: VOTERS }, (_, i) => ({ sub: `bench-voter-${i}`, username: `voter${i}`, email: `voter${i}@example.com`, givenName: 'Voter', familyName: String(i), roles: ['user'] })),
    { sub: 'bench-staff', username: 'staff', email: 'staff@example.com', givenName: 'Staff', familyName: 'Member', roles: ['staff'] },
    { sub: 'bench-admin', username: 'admin', email: 'admin@example.com', givenName: 'Ada', familyName: 'Admin', roles: ['admin'] }
  ]
  const client = { clientId: 'polls-bench', clientSecret: 'polls-bench-secret' }
  const provider = await startDevProvider({ projectId: PROJECT, users, clients: [{ ...client, redirectUris: [`${appUrl}/oidc/callback/`], postLogoutRedirectUris: [`${appUrl}/`] }] })
  const env: Record<string, string> = {
    NODE_ENV: 'production', PORT: String(appPort), HOST: '127.0.0.1', APP_URL: appUrl, DATABASE_URL: databaseUrl, LOG_LEVEL: flags['log-level'] as string,
    SESSION_SECRET: 'bench-session-secret-bench-session-secret-0123456789', WEB_CONCURRENCY: '1',
    RATE_LIMIT_LOGINS_PER_MINUTE: '1000000', RATE_LIMIT_VOTES_PER_MINUTE: '1000000',
    OIDC_OP_BASE_URL: provider.issuer, OIDC_RP_CLIENT_ID: client.clientId, OIDC_RP_CLIENT_SECRET: client.clientSecret, ZITADEL_PROJECT: PROJECT
  }

  type Req = Partial<autocannon.Request> & { setupRequest?: (req: autocannon.Request) => autocannon.Request }
  const endpoints: Record<string, (voters: SignedIn[], staff: SignedIn, admin: SignedIn) => Req> = {
    polls: () => ({ path: '/polls/' }),
    detail: (voters) => ({ path: `/polls/${question.id}/`, headers: { cookie: voters[0]?.cookie ?? '' } }),
    vote: (voters) => voteRequests(question.id, choiceIds, voters),
    results: (_voters, staff) => ({ path: `/polls/${question.id}/results/`, headers: { cookie: staff.cookie, 'hx-request': 'true' } }),
    admin: (_voters, _staff, admin) => ({ path: '/admin/questions/?q=editor&page=3', headers: { cookie: admin.cookie, 'hx-request': 'true' } }),
    // The bench's ceiling (bare Fastify, constant body of the size of GET /polls/), for scale.
    ceiling: () => ({ path: '/bytes/2200' }),
    'ceiling-helmet': () => ({ path: '/bytes/2200' }),
    'ceiling-helmet-once': () => ({ path: '/bytes/2200' }),
    'ceiling-signed-in': () => ({ path: '/bytes/2200' }),
    'ceiling-spin': () => ({ path: '/bytes/2200' })
  }
  const ceilingEnv: Record<string, Record<string, string>> = { ceiling: {}, 'ceiling-helmet': { CEILING_HELMET: 'per-request' }, 'ceiling-helmet-once': { CEILING_HELMET: 'once' }, 'ceiling-signed-in': { CEILING_WORK: 'signed-in' }, 'ceiling-spin': { CEILING_SPIN_US: '200' } }
  const chosen = flags.endpoint ?? ['polls', 'detail', 'vote', 'results']
  const ticksPerSecond = 100 // USER_HZ on Linux
  // User and system time apart: the system part grows when the load generator idles between answers
  // (each write must wake it), so user time is the steadier measure of the app's own work.
  const cpuMs = (pid: number) => {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
    return { user: Number(fields[11]) * 1000 / ticksPerSecond, system: Number(fields[12]) * 1000 / ticksPerSecond }
  }

  const apps = flags.app ?? ['dist/server.js']
  let run = 0
  for (let round = 0; round < Number(flags.rounds); round++) for (const name of chosen) for (const script of apps) {
    const make = endpoints[name]
    if (make === undefined) throw new Error(`unknown endpoint ${name}; one of ${Object.keys(endpoints).join(', ')}`)
    const profDir = join(dir, `prof-${run++}`)
    const nodeArgs = [...(flags['node-arg'] ?? []), ...(flags['no-prof'] === true ? [] : ['--cpu-prof', `--cpu-prof-dir=${profDir}`])]
    const app = name in ceilingEnv
      ? await startProcess('bench/ceiling.ts', { PORT: String(appPort), ...ceilingEnv[name] }, `${appUrl}/bytes/1`, dir, nodeArgs)
      : await startProcess(script, { ...env, ...Object.fromEntries((flags.env ?? []).map((kv) => kv.split('=', 2) as [string, string])) }, `${appUrl}/healthz`, dir, nodeArgs)
    try {
      const voters: SignedIn[] = []
      const signedIn = async (username: string) => name in ceilingEnv ? { username, cookie: '', csrfToken: '' } : await signIn(appUrl, username)
      for (const user of users.slice(0, VOTERS)) voters.push(await signedIn(user.username))
      const staff = await signedIn('staff')
      const admin = await signedIn('admin')
      const request = make(voters, staff, admin)
      const run = (seconds: number) => autocannon({ url: appUrl, connections: CONNECTIONS, duration: seconds, requests: [{ method: 'GET', ...request }] })
      await run(1) // warm-up: JIT, caches
      const pid = app.child.pid as number
      const cpu0 = cpuMs(pid)
      const db0 = database.serverPid === undefined ? 0 : cpuSeconds(database.serverPid)
      const from = Number(process.hrtime.bigint() / 1000n)
      const result = await run(SECONDS)
      const to = Number(process.hrtime.bigint() / 1000n)
      const cpu1 = cpuMs(pid)
      const dbUs = database.serverPid === undefined ? undefined : (cpuSeconds(database.serverPid) - db0) * 1e6 / result.requests.total
      const user = cpu1.user - cpu0.user
      const cpu = user + cpu1.system - cpu0.system
      const requests = result.requests.total
      const rss = peakRssMb(pid)
      log(`${name} ${apps.length > 1 ? script : ''}: ${requests} requests, ${Math.round(result.requests.average)} req/s, p99 ${result.latency.p99} ms, non-2xx ${result.non2xx}, ` +
        `CPU ${(cpu * 1000 / requests).toFixed(0)} µs/request (user ${(user * 1000 / requests).toFixed(0)} + sys ${((cpu - user) * 1000 / requests).toFixed(0)})${dbUs === undefined ? '' : ` + postgres ${dbUs.toFixed(0)} µs`}, peak RSS ${rss.largest} MB`)
      await app.stop()
      if (flags['no-prof'] !== true) {
        const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'))
        if (file === undefined) throw new Error('no .cpuprofile written')
        summarise(JSON.parse(readFileSync(join(profDir, file), 'utf8')) as CpuProfile, from, to, requests)
      }
    } finally {
      if (app.child.exitCode === null) await app.stop()
    }
  }
  await provider.close()
  await database.close()
  rmSync(dir, { recursive: true, force: true })
}

main().catch((err: unknown) => {
  console.error(err)
  rmSync(dir, { recursive: true, force: true })
  process.exit(1)
})
