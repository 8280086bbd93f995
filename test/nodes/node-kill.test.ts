// Two app processes behind nginx on one shared database (SQLite, then PostgreSQL); one is killed with kill -9 in the middle of
// mixed load (votes, pages, admin edits). Invariants: every acknowledged vote and admin edit is stored;
// no 5xx except requests that were in flight on the killed node; every session works through the other.
import t, { type Test } from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseConfig } from '../../src/config.ts'
import { openStore } from '../../src/db/open-store.ts'
import type { DevUser } from '../../src/oidc/dev-users.ts'
import { HttpBrowser, startCluster } from '../helpers/nodes.ts'
import { postgresData, sqliteData, type ClusterData } from '../helpers/cluster-data.ts'
import { freshPostgresUrl } from '../helpers/postgres.ts'

const VOTERS = 6
const users: DevUser[] = [
  ...Array.from({ length: VOTERS }, (_, i) => ({ sub: `voter-${i}`, username: `voter${i}`, email: `voter${i}@example.com`, givenName: 'Voter', familyName: String(i), roles: ['user'] })),
  { sub: 'admin-ada', username: 'ada', email: 'ada@example.com', givenName: 'Ada', familyName: 'Admin', roles: ['admin'] }
]
const HTMX = { 'hx-request': 'true' }


interface Outcome { kind: 'vote' | 'page' | 'edit', startedAt: number, status: number, upstream: string }

async function killUnderLoad (t: Test, databaseUrl: string, data: ClusterData) {
  const store = await openStore(parseConfig({ DATABASE_URL: databaseUrl }))
  await store.seedBulk({ questions: 600, votes: 0, users: 1 })
  await store.close()
  const questions = await data.openQuestions()

  const cluster = await startCluster(t, { databaseUrl, users })
  const [doomed, survivor] = cluster.nodes
  if (doomed === undefined || survivor === undefined) throw new Error('two nodes expected')

  // Signed in through the balancer: the login's steps land on both nodes in turn.
  const voters = users.slice(0, VOTERS).map(() => new HttpBrowser(cluster.url))
  const tokens = await Promise.all(voters.map((browser, i) => browser.logIn(`voter${i}`)))
  const admin = new HttpBrowser(cluster.url)
  const adminToken = await admin.logIn('ada')

  const outcomes: Outcome[] = []
  const thrown: string[] = []
  const acknowledgedVotes: Array<{ sub: string, questionId: number }> = []
  const acknowledgedEdits = new Map<number, string>()
  let stopped = false
  const record = async (kind: Outcome['kind'], send: () => Promise<Response>) => {
    const startedAt = Date.now()
    try {
      const res = await send()
      const body = await res.text()
      outcomes.push({ kind, startedAt, status: res.status, upstream: res.headers.get('x-upstream') ?? '' })
      return { status: res.status, body }
    } catch (err) {
      thrown.push(`${kind}: ${(err as Error).message}`)
      return { status: 0, body: '' }
    }
  }

  const voterLoops = voters.map(async (browser, v) => {
    for (const [n, q] of questions.entries()) {
      if (stopped) return
      const vote = await record('vote', () => browser.request(`/polls/${q.id}/vote/`, { headers: { ...HTMX, 'x-csrf-token': tokens[v] ?? '' }, form: { choice: String(q.choice) } }))
      if (vote.status === 200) acknowledgedVotes.push({ sub: `voter-${v}`, questionId: q.id })
      if (n % 3 === 0) await record('page', () => browser.request(n % 2 === 0 ? '/polls/' : `/polls/${q.id}/`))
    }
  })
  // The admin renames questions from the far end of the list, each edit from the version it just read.
  const adminLoop = (async () => {
    for (const q of [...questions].reverse()) {
      if (stopped) return
      const form = await record('page', () => admin.request(`/admin/questions/${q.id}/edit`, { headers: HTMX }))
      const version = /name="version" value="(\d+)"/.exec(form.body)?.[1]
      const pubDate = /name="pub_date"[^>]*value="([^"]+)"/.exec(form.body)?.[1] ?? /value="([^"]+)"[^>]*name="pub_date"/.exec(form.body)?.[1]
      if (version === undefined || pubDate === undefined) continue
      const text = `Renamed under load ${q.id}`
      const saved = await record('edit', () => admin.request(`/admin/questions/${q.id}/?view=row`, { headers: { ...HTMX, 'x-csrf-token': adminToken }, form: { question_text: text, pub_date: pubDate, version } }))
      if (saved.status === 200) acknowledgedEdits.set(q.id, text)
    }
  })()

  // Paced by progress, not by the clock (the machine is shared): the kill comes once both nodes have
  // acknowledged work, and the load goes on until enough requests have met the survivor alone.
  const until = async (done: () => boolean, ms = 30_000) => {
    const deadline = Date.now() + ms
    while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
  }
  await until(() => acknowledgedVotes.length >= 60 && acknowledgedEdits.size >= 4)
  const killedAt = Date.now()
  await doomed.kill()
  // Between the signal and the exit the node still held its sockets: a request sent then was in flight on it.
  const goneAt = Date.now()
  const killedAddress = `127.0.0.1:${doomed.port}`
  await until(() => outcomes.filter((o) => o.startedAt > goneAt).length >= 60)
  stopped = true
  await Promise.all([...voterLoops, adminLoop])

  const beforeKill = outcomes.filter((o) => o.startedAt < killedAt)
  t.ok(beforeKill.some((o) => o.upstream === killedAddress) && beforeKill.some((o) => o.upstream.includes(String(survivor.port))), 'before the kill both nodes served')
  const afterKill = outcomes.filter((o) => o.startedAt > goneAt)
  t.ok(afterKill.length >= 60, `the load went on after the kill (${afterKill.length} requests)`)
  t.same(thrown, [], 'the balancer answered every request')

  const serverErrors = outcomes.filter((o) => o.status >= 500)
  const notInFlight = serverErrors.filter((o) => o.startedAt > goneAt || !o.upstream.endsWith(killedAddress))
  t.same(notInFlight, [], 'no 5xx apart from requests in flight on the killed node')

  const { stored, lost, integrity } = await data.votesStored(acknowledgedVotes)
  t.equal(integrity, 'ok', 'the database is intact')
  t.ok(acknowledgedVotes.length >= 60, 'votes were acknowledged')
  t.same(lost, [], 'every acknowledged vote is stored')
  const editsLost: number[] = []
  for (const [id, text] of acknowledgedEdits) if (await data.questionText(id) !== text) editsLost.push(id)
  t.ok(acknowledgedEdits.size >= 4, `admin edits were acknowledged (${acknowledgedEdits.size})`)
  t.same(editsLost, [], 'every acknowledged admin edit is stored')
  t.comment(`votes acknowledged ${acknowledgedVotes.length}, stored ${stored}, lost ${lost.length}; admin edits acknowledged ${acknowledgedEdits.size}, lost ${editsLost.length}; ` +
    `requests ${outcomes.length} (${afterKill.length} after the kill), 5xx ${serverErrors.length} (all in flight on the killed node: ${serverErrors.map((o) => `${o.kind} ${o.status}`).join(', ') || 'none'})`)

  // Every session keeps working, through the balancer (only the survivor is left) and on the survivor.
  const everyone = [...voters.map((browser, i) => ({ browser, name: `voter${i}` })), { browser: admin, name: 'ada' }]
  const through = await Promise.all(everyone.map(({ browser }) => browser.whoAmI()))
  t.same(through, everyone.map(({ name }) => name), 'every signed-in user is still signed in through the balancer')
  const direct = await Promise.all(everyone.map(({ browser }) => browser.whoAmI(survivor.url)))
  t.same(direct, everyone.map(({ name }) => name), 'and on the surviving node itself')
  const lastVote = await voters[0]?.request(`/polls/${questions[0]?.id}/vote/`, { headers: { ...HTMX, 'x-csrf-token': tokens[0] ?? '' }, form: { choice: String(questions[0]?.choice) } })
  t.equal(lastVote?.status, 200, 'and can still vote')
}

t.test('kill -9 of one node under mixed load behind nginx, on a shared SQLite file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'polls-node-kill-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const databaseUrl = join(dir, 'polls.db')
  await killUnderLoad(t, databaseUrl, sqliteData(databaseUrl))
})

t.test('kill -9 of one node under mixed load behind nginx, on PostgreSQL', async (t) => {
  const databaseUrl = await freshPostgresUrl()
  const data = postgresData(databaseUrl)
  t.teardown(() => data.close())
  await killUnderLoad(t, databaseUrl, data)
})
