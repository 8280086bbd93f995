// Another process holding SQLite's write lock: a vote waits for it, or answers 503 with Retry-After
// once the busy timeout has passed; never a 500, and the next vote goes through without a restart.
import t from 'tap'
import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { Writable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import { TestBrowser, addQuestion, buildTestApp } from '../helpers/app.ts'

const betterSqlite = createRequire(import.meta.url).resolve('better-sqlite3')

/**
 * A separate process that takes the write lock (BEGIN IMMEDIATE), at once or when `take` is called, and
 * commits when told to.
 */
async function holdWriteLock (t: { teardown: (fn: () => unknown) => void }, file: string, { onCue = false } = {}) {
  const script = `
    const db = new (require(${JSON.stringify(betterSqlite)}))(${JSON.stringify(file)})
    const lock = () => { db.exec('BEGIN IMMEDIATE'); process.stdout.write('locked\\n') }
    if (${String(!onCue)}) lock()
    else process.stdout.write('ready\\n')
    require('node:readline').createInterface({ input: process.stdin }).on('line', (line) => {
      if (line === 'lock') return lock()
      const ms = Number(line)
      process.stdout.write('armed\\n')
      setTimeout(() => { db.exec('COMMIT'); db.close(); process.stdout.write('released\\n') }, ms)
    })`
  const child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] })
  t.teardown(() => { child.kill('SIGKILL') })
  let output = ''
  const waitFor = (word: string) => new Promise<void>((resolve, reject) => {
    const check = () => { if (output.includes(word)) resolve() }
    child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); check() })
    child.once('exit', (code) => reject(new Error(`lock holder exited (${code}) before "${word}"`)))
    check()
  })
  await waitFor(onCue ? 'ready' : 'locked')
  return {
    /** Takes the lock now (with `onCue`). */
    take: async () => {
      child.stdin.write('lock\n')
      await waitFor('locked')
    },
    /** Commits `ms` after the holder has confirmed the instruction (it must arrive before the app blocks). */
    releaseAfter: async (ms: number) => {
      child.stdin.write(`${ms}\n`)
      await waitFor('armed')
    },
    released: () => waitFor('released')
  }
}

async function setUp (t: Parameters<typeof holdWriteLock>[0], env: Record<string, string>) {
  const lines: string[] = []
  const logStream = new Writable({ write (chunk: Buffer, _enc, done) { lines.push(chunk.toString()); done() } })
  const { app, serverErrors } = await buildTestApp(t, { env, logStream, logLevel: 'warn' })
  const q = await addQuestion(app, 'Locked out?', -1, ['Yes', 'No'])
  const carol = new TestBrowser(app)
  await carol.login('carol')
  const token = await carol.csrfToken(`/polls/${q.id}/`)
  const htmxVote = (choice = q.choices[0]?.id) => carol.post(`/polls/${q.id}/vote/`, { choice: String(choice) }, { 'hx-request': 'true', 'x-csrf-token': token })
  const formVote = (choice = q.choices[0]?.id) => carol.post(`/polls/${q.id}/vote/`, { choice: String(choice), _csrf: token })
  return { app, serverErrors, lines, q, htmxVote, formVote }
}

const votes = (app: FastifyInstance) => app.db.$client.prepare('select choice_id as choiceId from votes').all()

t.test('a write lock held past SQLITE_BUSY_TIMEOUT_MS: 503 with Retry-After (fragment or page), then recovery', async (t) => {
  const { app, serverErrors, lines, q, htmxVote, formVote } = await setUp(t, { SQLITE_BUSY_TIMEOUT_MS: '100' })
  const lock = await holdWriteLock(t, app.config.databaseUrl)

  const fragment = await htmxVote()
  t.equal(fragment.status, 503)
  t.equal(fragment.headers['retry-after'], '2')
  t.equal(fragment.headers['hx-retarget'], '#alerts', 'htmx puts it in the page\'s alert area')
  t.notMatch(fragment.body, /<html/, 'a fragment')
  t.match(fragment.body, /busy right now and nothing was changed/)

  const page = await formVote()
  t.equal(page.status, 503)
  t.equal(page.headers['retry-after'], '2')
  t.match(page.body, /<html[\s\S]*Service unavailable[\s\S]*busy right now/, 'a whole page without JavaScript')
  t.same(votes(app), [], 'nothing written')
  t.match(lines.join(''), /"code":"SQLITE_BUSY".*database busy/, 'a warning in the log names the code')

  await lock.releaseAfter(0)
  await lock.released()
  const after = await htmxVote(q.choices[1]?.id)
  t.equal(after.status, 200, 'the next vote goes through, no restart')
  t.same(votes(app), [{ choiceId: q.choices[1]?.id }])
  t.same(serverErrors.filter((e) => !e.endsWith('503')), [], 'no 500')
})

t.test('contention shorter than the busy timeout: the vote waits and succeeds', async (t) => {
  const { app, serverErrors, q, htmxVote } = await setUp(t, {})
  t.equal(app.config.sqliteBusyTimeoutMs, 5000, 'the default')
  const lock = await holdWriteLock(t, app.config.databaseUrl)
  // Released a little after the vote starts waiting; well inside the 5 s timeout on any machine.
  await lock.releaseAfter(300)
  const voted = await htmxVote()
  t.equal(voted.status, 200)
  t.match(voted.body, /is counted/)
  t.same(votes(app), [{ choiceId: q.choices[0]?.id }])
  t.same(serverErrors, [])
})

t.test('while a vote waits for another process\'s write lock, the process goes on serving other requests', async (t) => {
  const { app, serverErrors, q, htmxVote } = await setUp(t, {})
  const reader = new TestBrowser(app)
  await reader.login('bob')
  const lock = await holdWriteLock(t, app.config.databaseUrl)
  await lock.releaseAfter(400)
  let voteSettled = false
  const voting = htmxVote().finally(() => { voteSettled = true })
  // Give the vote its turn at the lock (it finds it taken and waits).
  await new Promise((resolve) => setTimeout(resolve, 50))
  const page = await reader.get(`/polls/${q.id}/`)
  t.equal(page.status, 200, 'a page is served meanwhile')
  t.equal(voteSettled, false, 'before the vote, which is still waiting for the lock (SQLite\'s busy handler would have held up the page too)')
  const voted = await voting
  t.equal(voted.status, 200)
  t.same(votes(app), [{ choiceId: q.choices[0]?.id }], 'the vote is written once the lock is free')
  t.same(serverErrors, [])
})

/**
 * The lock is taken at the renewal's first call to the provider: after its claim (a write), before what
 * it writes from the provider's answer. The provider itself is the real one.
 */
function lockAtRenewal (app: FastifyInstance, lock: Awaited<ReturnType<typeof holdWriteLock>>, releaseAfterMs: number) {
  const connected = app.signIn.provider.connected.bind(app.signIn.provider)
  let cued = false
  app.signIn.provider.connected = async () => {
    if (!cued) {
      cued = true
      await lock.take()
      await lock.releaseAfter(releaseAfterMs)
    }
    return connected()
  }
}

const sessionCount = (app: FastifyInstance) => (app.db.$client.prepare('select count(*) as n from sessions').get() as { n: number }).n

t.test('a write lock held through a due renewal: 503, and the sign-in survives', async (t) => {
  const { app, serverErrors, lines } = await setUp(t, { SQLITE_BUSY_TIMEOUT_MS: '1000' })
  const carol = new TestBrowser(app)
  await carol.login('carol')
  t.equal(sessionCount(app), 2)
  const lock = await holdWriteLock(t, app.config.databaseUrl, { onCue: true })
  // Released after the renewal's first write has given up, and before a second one would have.
  lockAtRenewal(app, lock, 1500)
  app.db.$client.prepare('update sessions set renew_at = 0').run()

  const page = await carol.get('/user')
  t.equal(page.status, 503, 'the busy database is a 503, not a failed renewal')
  t.match(page.body, /busy right now/)
  await lock.released()
  t.equal(sessionCount(app), 2, 'no session ended')
  const after = await carol.get('/user')
  t.equal(after.status, 200)
  t.match(after.body, /<dd>carol<\/dd>/, 'still signed in once the lock is free')
  t.notMatch(lines.join(''), /session ended/, 'not logged as a refused renewal')
  t.same(serverErrors.filter((e) => !e.endsWith('503')), [], 'no 500')
})

t.test('a write lock held while a refused renewal ends the sign-in: 503, and the process goes on', async (t) => {
  const { app, serverErrors } = await setUp(t, { SQLITE_BUSY_TIMEOUT_MS: '300' })
  const carol = new TestBrowser(app)
  await carol.login('carol')
  // A refresh token the provider does not know: the renewal is refused, and ending the session is a write.
  app.db.$client.prepare('update sessions set refresh_token = ?, renew_at = 0').run(app.signIn.tokenBox.seal('not-a-refresh-token'))
  const lock = await holdWriteLock(t, app.config.databaseUrl, { onCue: true })
  lockAtRenewal(app, lock, 1500)

  const page = await carol.get('/user')
  t.equal(page.status, 503, 'answered 503 (a rejection of the renewal step is not left unhandled)')
  await lock.released()
  const after = await carol.get('/user')
  t.equal(after.status, 200, 'the process still serves')
  t.same(serverErrors.filter((e) => !e.endsWith('503')), [], 'no 500')
})
