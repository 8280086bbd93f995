// Acknowledged votes survive a graceful stop and a kill -9 under load; the app serves again at once.
import t from 'tap'
import Database from 'better-sqlite3'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openDatabase } from '../../src/db/client.ts'
import { seedBulk } from '../../src/db/bulk-seed.ts'
import { startDevProvider } from '../../src/oidc/dev-provider.ts'
import { signIn, type SignedIn } from '../../bench/login.ts'
import { freePort, startProcess, type Running } from '../../bench/processes.ts'

const VOTERS = ['alice', 'bob', 'carol']

async function setUp (t: { teardown: (fn: () => unknown) => void }) {
  const dir = mkdtempSync(join(tmpdir(), 'polls-faults-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const databaseUrl = join(dir, 'polls.db')
  const db = openDatabase(databaseUrl)
  seedBulk(db, { questions: 400, votes: 0, users: 1 })
  const questions = db.$client.prepare('select q.id as id, min(c.id) as choice from questions q join choices c on c.question_id = q.id where q.pub_date <= ? group by q.id order by q.id').all(Date.now()) as Array<{ id: number, choice: number }>
  db.$client.close()
  const port = await freePort()
  const appUrl = `http://127.0.0.1:${port}`
  const client = { clientId: 'polls-faults', clientSecret: 'polls-faults-secret' }
  const provider = await startDevProvider({ projectId: 'p', clients: [{ ...client, redirectUris: [`${appUrl}/oidc/callback/`], postLogoutRedirectUris: [`${appUrl}/`] }] })
  t.teardown(() => provider.close())
  const env = {
    NODE_ENV: 'production', PORT: String(port), HOST: '127.0.0.1', APP_URL: appUrl, DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn',
    SESSION_SECRET: 'faults-session-secret-faults-session-secret-0123', OIDC_OP_BASE_URL: provider.issuer, OIDC_RP_CLIENT_ID: client.clientId,
    OIDC_RP_CLIENT_SECRET: client.clientSecret, ZITADEL_PROJECT: 'p', RATE_LIMIT_VOTES_PER_MINUTE: '1000000', RATE_LIMIT_LOGINS_PER_MINUTE: '1000000'
  }
  const start = () => startProcess('src/server.ts', env, `${appUrl}/healthz`, dir)
  return { databaseUrl, questions, appUrl, start }
}

/** Each voter votes on one question after another (one request in flight each) until told to stop. */
function voteUntilStopped (appUrl: string, voters: SignedIn[], questions: Array<{ id: number, choice: number }>) {
  const acknowledged: Array<{ username: string, questionId: number }> = []
  let stopped = false
  const loops = voters.map(async (voter) => {
    for (const q of questions) {
      if (stopped) return
      try {
        const res = await fetch(`${appUrl}/polls/${q.id}/vote/`, {
          method: 'POST',
          headers: { cookie: voter.cookie, 'x-csrf-token': voter.csrfToken, 'hx-request': 'true', 'content-type': 'application/x-www-form-urlencoded' },
          body: `choice=${q.choice}`
        })
        await res.arrayBuffer()
        if (res.status === 200) acknowledged.push({ username: voter.username, questionId: q.id })
        else if (res.status >= 500) throw new Error(`vote answered ${res.status}`)
      } catch (err) {
        if ((err as Error).message.startsWith('vote answered')) throw err
        return // the connection went away with the server
      }
    }
  })
  return { acknowledged, stop: async () => { stopped = true; await Promise.all(loops) } }
}

function missing (databaseUrl: string, acknowledged: Array<{ username: string, questionId: number }>) {
  const db = new Database(databaseUrl, { readonly: true })
  try {
    const integrity = db.pragma('integrity_check', { simple: true })
    const has = db.prepare('select 1 from votes v join users u on u.id = v.user_id where u.username = ? and v.question_id = ?')
    return { integrity, lost: acknowledged.filter((a) => has.get(a.username, a.questionId) === undefined) }
  } finally {
    db.close()
  }
}

t.test('SIGTERM under vote load: in-flight requests finish, exit 0, every acknowledged vote kept', async (t) => {
  const { databaseUrl, questions, appUrl, start } = await setUp(t)
  const app: Running = await start()
  t.teardown(() => app.child.kill('SIGKILL'))
  const voters = await Promise.all(VOTERS.map((name) => signIn(appUrl, name)))
  const load = voteUntilStopped(appUrl, voters, questions)
  await new Promise((resolve) => setTimeout(resolve, 1500))
  const exited = new Promise<number | null>((resolve) => app.child.on('exit', (code) => resolve(code)))
  app.child.kill('SIGTERM')
  // 0, not the 1 of the 10-second forced exit: the close finished by itself.
  t.equal(await exited, 0, 'exits 0')
  await load.stop()
  t.ok(load.acknowledged.length > 10, `votes were acknowledged before the stop (${load.acknowledged.length})`)
  const { integrity, lost } = missing(databaseUrl, load.acknowledged)
  t.equal(integrity, 'ok')
  t.same(lost, [], 'no acknowledged vote is missing')
})

t.test('kill -9 under vote load: every acknowledged vote is there after a restart, which serves at once', async (t) => {
  const { databaseUrl, questions, appUrl, start } = await setUp(t)
  const app: Running = await start()
  const voters = await Promise.all(VOTERS.map((name) => signIn(appUrl, name)))
  const load = voteUntilStopped(appUrl, voters, questions)
  await new Promise((resolve) => setTimeout(resolve, 1500))
  const exited = new Promise((resolve) => app.child.on('exit', resolve))
  app.child.kill('SIGKILL')
  await exited
  await load.stop()
  t.ok(load.acknowledged.length > 10, `votes were acknowledged before the crash (${load.acknowledged.length})`)
  const { integrity, lost } = missing(databaseUrl, load.acknowledged)
  t.equal(integrity, 'ok', 'PRAGMA integrity_check is ok')
  t.same(lost, [], 'no acknowledged vote is missing')

  // How fast it is ready again is the bench's business (start to ready), not a timed test's.
  const again = await start()
  t.teardown(() => again.stop())
  const page = await fetch(`${appUrl}/polls/`)
  t.equal(page.status, 200, 'serving again after the restart')
  const still = await fetch(`${appUrl}/polls/${questions[0]?.id}/`, { headers: { cookie: voters[0]?.cookie ?? '' } })
  t.equal(still.status, 200, 'sessions survive the crash (they are rows in the database)')
})
