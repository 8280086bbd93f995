// npx tsx bench/ab.ts --app /tmp/ab-old/dist/server.js --app dist/server.js [--endpoint vote …] [--seconds 5 --rounds 5]
// A/B of builds under the same load at the same moment: every app runs at once, each on its own copy of
// the seeded database, each loaded by its own autocannon (16 connections) over the same seconds. On a
// shared machine whose load swings within seconds, runs one after the other (bench/profile.ts --app …)
// meet different contention, and CPU per request swings with it; side by side, each moment's contention
// falls on every build alike. Reports, per app: req/s and CPU per request from /proc, in profile.ts's words,
// and the bytes per response.
// The other build is built in its own tree (it finds templates/ and drizzle/ from there), e.g.
// `git worktree add /tmp/ab-old <commit>`, its node_modules, its `npm run -s build`.
import autocannon from 'autocannon'
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { seed, sqliteDatabase } from './databases.ts'
import { voteRequests } from './setup.ts'
import { startDevProvider } from '../src/oidc/dev-provider.ts'
import type { DevUser } from '../src/oidc/dev-users.ts'
import { signIn, type SignedIn } from './login.ts'
import { freePort, startProcess, type Running } from './processes.ts'

const { values: flags } = parseArgs({
  options: {
    app: { type: 'string', multiple: true },
    endpoint: { type: 'string', multiple: true },
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    questions: { type: 'string', default: '10000' },
    votes: { type: 'string', default: '100000' }
  }
})
const SECONDS = Number(flags.seconds)
const CONNECTIONS = 16
const VOTERS = 16
const PROJECT = 'bench-project'
const apps = flags.app ?? []
if (apps.length < 2) throw new Error('give two or more --app builds')
const dir = mkdtempSync(join(tmpdir(), 'polls-ab-'))
const log = (line: string) => process.stdout.write(`${line}\n`)

const cpuMs = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
  return { user: Number(fields[11]) * 10, system: Number(fields[12]) * 10 } // USER_HZ 100
}

type Req = Partial<autocannon.Request> & { setupRequest?: (req: autocannon.Request) => autocannon.Request }

async function main () {
  const database = sqliteDatabase(dir)
  const { question, choiceIds } = await seed(database.databaseUrl, { questions: Number(flags.questions), votes: Number(flags.votes) })
  const endpoints: Record<string, (voters: SignedIn[], staff: SignedIn, admin: SignedIn) => Req> = {
    polls: () => ({ path: '/polls/' }),
    detail: (voters) => ({ path: `/polls/${question.id}/`, headers: { cookie: voters[0]?.cookie ?? '' } }),
    vote: (voters) => voteRequests(question.id, choiceIds, voters),
    results: (_voters, staff) => ({ path: `/polls/${question.id}/results/`, headers: { cookie: staff.cookie, 'hx-request': 'true' } }),
    admin: (_voters, _staff, admin) => ({ path: '/admin/questions/?q=editor&page=3', headers: { cookie: admin.cookie, 'hx-request': 'true' } })
  }
  const ports = await Promise.all(apps.map(() => freePort()))
  const urls = ports.map((port) => `http://127.0.0.1:${port}`)
  const users: DevUser[] = [
    ...Array.from({ length: VOTERS }, (_, i) => ({ sub: `bench-voter-${i}`, username: `voter${i}`, email: `voter${i}@example.com`, givenName: 'Voter', familyName: String(i), roles: ['user'] })),
    { sub: 'bench-staff', username: 'staff', email: 'staff@example.com', givenName: 'Staff', familyName: 'Member', roles: ['staff'] },
    { sub: 'bench-admin', username: 'admin', email: 'admin@example.com', givenName: 'Ada', familyName: 'Admin', roles: ['admin'] }
  ]
  const client = { clientId: 'polls-bench', clientSecret: 'polls-bench-secret' }
  const provider = await startDevProvider({
    projectId: PROJECT,
    users,
    clients: [{ ...client, redirectUris: urls.map((url) => `${url}/oidc/callback/`), postLogoutRedirectUris: urls.map((url) => `${url}/`) }]
  })
  const envOf = (i: number, databaseUrl: string): Record<string, string> => ({
    NODE_ENV: 'production', PORT: String(ports[i]), HOST: '127.0.0.1', APP_URL: urls[i] as string, DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn',
    SESSION_SECRET: 'bench-session-secret-bench-session-secret-0123456789', WEB_CONCURRENCY: '1',
    RATE_LIMIT_LOGINS_PER_MINUTE: '1000000', RATE_LIMIT_VOTES_PER_MINUTE: '1000000',
    OIDC_OP_BASE_URL: provider.issuer, OIDC_RP_CLIENT_ID: client.clientId, OIDC_RP_CLIENT_SECRET: client.clientSecret, ZITADEL_PROJECT: PROJECT
  })
  const chosen = flags.endpoint ?? Object.keys(endpoints)
  for (let round = 0; round < Number(flags.rounds); round++) {
    for (const name of chosen) {
      const make = endpoints[name]
      if (make === undefined) throw new Error(`unknown endpoint ${name}; one of ${Object.keys(endpoints).join(', ')}`)
      const running: Running[] = []
      try {
        // Each app its own copy: votes of one never wait for another's write lock.
        for (const [i, script] of apps.entries()) {
          const databaseUrl = join(dir, `app-${i}.db`)
          copyFileSync(database.databaseUrl, databaseUrl)
          running.push(await startProcess(script, envOf(i, databaseUrl), `${urls[i]}/healthz`, dir))
        }
        const requests = await Promise.all(urls.map(async (url) => {
          const voters: SignedIn[] = []
          for (const user of users.slice(0, VOTERS)) voters.push(await signIn(url, user.username))
          return make(voters, await signIn(url, 'staff'), await signIn(url, 'admin'))
        }))
        const load = (seconds: number) => Promise.all(urls.map((url, i) =>
          autocannon({ url, connections: CONNECTIONS, duration: seconds, requests: [{ method: 'GET', ...requests[i] }] })))
        await load(1) // warm-up: JIT, caches
        const before = running.map((app) => cpuMs(app.child.pid as number))
        const results = await load(SECONDS)
        const after = running.map((app) => cpuMs(app.child.pid as number))
        for (const [i, script] of apps.entries()) {
          const result = results[i] as autocannon.Result
          const b = before[i] as { user: number, system: number }
          const a = after[i] as { user: number, system: number }
          const n = result.requests.total
          const user = a.user - b.user
          const cpu = user + a.system - b.system
          log(`${name} ${script}: ${n} requests, ${Math.round(result.requests.average)} req/s, p99 ${result.latency.p99} ms, non-2xx ${result.non2xx}, ` +
            `CPU ${(cpu * 1000 / n).toFixed(0)} µs/request (user ${(user * 1000 / n).toFixed(0)} + sys ${((cpu - user) * 1000 / n).toFixed(0)}), ` +
            // Bigger answers cost more to render, compress and write: a build's extra CPU may be its pages' size.
            `${Math.round(result.throughput.total / n)} bytes/response`)
        }
      } finally {
        await Promise.all(running.map((app) => app.stop()))
      }
    }
  }
  await provider.close()
  rmSync(dir, { recursive: true, force: true })
}

main().catch((err: unknown) => {
  console.error(err)
  rmSync(dir, { recursive: true, force: true })
  process.exit(1)
})
