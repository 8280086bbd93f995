// One contract, both stores: what routes rely on, checked against SQLite and PostgreSQL alike. Two
// stores opened on the same database stand for two processes (SQLite) or two nodes (PostgreSQL).
import t, { type Test } from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openSqliteStore } from '../../src/db/sqlite-store.ts'
import { openPostgresStore } from '../../src/db/postgres/store.ts'
import { POSTGRES_MIGRATIONS } from '../../src/db/postgres/client.ts'
import { readMigrationFiles } from 'drizzle-orm/migrator'
import type { Store } from '../../src/db/store.ts'
import { DATABASES, type DatabaseKind } from '../helpers/app.ts'
import { freshPostgresUrl, testPostgres } from '../helpers/postgres.ts'

interface Pair { one: Store, other: Store }

async function openPair (t: Test, kind: DatabaseKind): Promise<Pair> {
  let open: () => Promise<Store>
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'polls-contract-'))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    open = async () => openSqliteStore(join(dir, 'polls.db'))
  } else {
    const url = await freshPostgresUrl()
    open = () => openPostgresStore(url, { poolSize: 4 })
  }
  const one = await open()
  const other = await open()
  t.teardown(async () => { await one.close(); await other.close() })
  return { one, other }
}

const DAY = 24 * 60 * 60 * 1000
const profile = (n: number, role: 'user' | 'staff' | 'admin' = 'user') => ({ sub: `sub-${n}`, username: `user${n}`, email: `u${n}@example.com`, firstName: 'U', lastName: String(n), role })

for (const kind of DATABASES) {
  t.test(`${kind}: votes — one per user and question, across processes and nodes`, async (t) => {
    const { one, other } = await openPair(t, kind)
    const q = await one.createQuestion({ questionText: 'Cats or dogs?', pubDate: new Date(Date.now() - DAY), choices: ['Cats', 'Dogs'] })
    const elsewhere = await one.createQuestion({ questionText: 'Tea?', pubDate: new Date(Date.now() - DAY), choices: ['Yes'] })
    const later = await one.createQuestion({ questionText: 'Later?', pubDate: new Date(Date.now() + DAY), choices: ['Yes'] })
    const [cats, dogs] = await one.polls.tallyVotes(q.id)
    const [foreign] = await one.polls.tallyVotes(elsewhere.id)
    if (cats === undefined || dogs === undefined || foreign === undefined) throw new Error('choices missing')
    const voters = await Promise.all(Array.from({ length: 12 }, (_, i) => one.users.recordLogin(profile(i))))
    const v0 = await one.polls.resultsVersion(q.id)

    // Each voter votes six times at once, half through each store, alternating choices.
    const attempts = voters.flatMap((u) => Array.from({ length: 6 }, (_, i) => (i % 2 === 0 ? one : other).polls.castVote(u.id, q.id, i % 2 === 0 ? cats.id : dogs.id)))
    const results = await Promise.all(attempts)
    t.ok(results.every((r) => r.ok), 'every vote was accepted')
    const tally = await other.polls.tallyVotes(q.id)
    t.equal(tally.reduce((n, c) => n + c.votes, 0), voters.length, 'exactly one vote per voter')
    t.equal((await one.admin.questions.questionById(q.id))?.voteCount, voters.length, 'the stored count equals the rows')
    t.ok(((await other.polls.resultsVersion(q.id)) ?? 0) > (v0 ?? 0), 'the results version moved')

    const voter = voters[0]!
    t.same(await one.polls.castVote(voter.id, q.id, foreign.id), { ok: false, reason: 'choice-not-found' }, 'another question\'s choice is refused')
    t.same(await one.polls.castVote(voter.id, later.id, (await one.polls.tallyVotes(later.id))[0]!.id), { ok: false, reason: 'question-not-found' }, 'an unpublished question is refused')
    t.same(await one.polls.castVote(voter.id, 999_999, cats.id), { ok: false, reason: 'question-not-found' })
    // Sent together (one batch where the store groups votes), each vote is still judged on its own,
    // and of one user's votes sent in order the last is the one that stands.
    const [second, third] = voters.slice(1, 3) as [typeof voter, typeof voter]
    const together = await Promise.all([
      one.polls.castVote(second.id, q.id, cats.id),
      one.polls.castVote(second.id, q.id, foreign.id),
      one.polls.castVote(third.id, later.id, cats.id),
      one.polls.castVote(third.id, 2 ** 40, cats.id),
      one.polls.castVote(second.id, q.id, dogs.id),
      one.polls.castVote(third.id, q.id, cats.id)
    ])
    t.same(together, [
      { ok: true, choiceText: 'Cats' }, { ok: false, reason: 'choice-not-found' }, { ok: false, reason: 'question-not-found' },
      { ok: false, reason: 'question-not-found' }, { ok: true, choiceText: 'Dogs' }, { ok: true, choiceText: 'Cats' }
    ], 'each vote of a group has its own outcome')
    t.equal(await other.polls.userVote(second.id, q.id), dogs.id, 'the later of one user\'s votes stands')
    t.equal((await other.admin.questions.questionById(q.id))?.voteCount, voters.length, 'still one vote per voter')
    const version = await one.polls.resultsVersion(q.id)
    const mine = await one.polls.userVote(voter.id, q.id)
    await other.polls.castVote(voter.id, q.id, mine!)
    t.equal(await one.polls.resultsVersion(q.id), version, 'the same vote again moves nothing')
    const versioned = await other.polls.versionedTally(q.id)
    t.equal(versioned?.version, version)
    t.same(versioned?.results, await one.polls.tallyVotes(q.id), 'the versioned tally is the tally')
    t.equal(await one.polls.versionedTally(later.id), undefined, 'no results for an unpublished question')
    t.equal(await one.polls.nextPublication(), later.pubDate.getTime(), 'the next publication')
    t.same((await other.polls.latestPublishedQuestions(5)).map((x) => x.questionText), ['Tea?', 'Cats or dogs?'])
    t.same((await other.polls.publishedQuestionWithChoices(q.id))?.choices, [{ id: cats.id, choiceText: 'Cats' }, { id: dogs.id, choiceText: 'Dogs' }])
  })

  t.test(`${kind}: sessions — lifetime, renewal claimed once, endings`, async (t) => {
    const { one, other } = await openPair(t, kind)
    const user = await one.users.recordLogin(profile(1, 'staff'))
    const start = Date.now()
    const fields = { userId: user.id, idToken: 'id-token', providerSid: 'op-sid-1', refreshToken: 'sealed', lifetimeMs: 3_600_000, renewAfterMs: 900_000 }
    const id = await one.sessions.startSession(fields, start)
    const found = await other.sessions.sessionUser(id, start + 1)
    t.equal(found?.user.username, 'user1', 'the other process or node sees the session')
    t.equal(found?.hasRefreshToken, true)
    t.equal(found?.renewAt.getTime(), start + 900_000)
    t.equal(await other.sessions.sessionUser(id, start + 3_600_000), undefined, 'not past its absolute lifetime')
    t.same(await one.sessions.sessionTokens(id), { idToken: 'id-token', refreshToken: 'sealed' })
    await other.sessions.touchSession(id, start + 120_000)
    t.equal((await one.sessions.sessionUser(id, start + 120_001))?.lastSeenAt.getTime(), start + 120_000, 'activity recorded')

    const due = start + 900_000
    const claims = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? one : other).sessions.claimRenewal(id, 60_000, due)))
    t.equal(claims.filter(Boolean).length, 1, 'of ten simultaneous claims, one wins')
    t.equal(await one.sessions.claimRenewal(id, 60_000, due + 1), false, 'and a later one within the retry time loses')
    await other.sessions.recordRenewal(id, { idToken: 'id-token-2', refreshToken: null, renewAfterMs: 900_000 }, due)
    t.same(await one.sessions.sessionTokens(id), { idToken: 'id-token-2', refreshToken: null })

    const second = await one.sessions.startSession({ ...fields, providerSid: 'op-sid-2' }, start)
    const third = await one.sessions.startSession({ ...fields, providerSid: 'op-sid-2' }, start)
    t.equal(await other.sessions.endProviderSessions({ startedBy: new Date() }), 0, 'no claims, nothing ended')
    t.equal(await other.sessions.endProviderSessions({ sid: 'op-sid-2', sub: 'someone-else', startedBy: new Date() }), 0, 'sid and sub must both match')
    t.equal(await other.sessions.endProviderSessions({ sid: 'op-sid-2', startedBy: new Date() }), 2, 'by provider session')
    t.equal(await one.sessions.sessionUser(second, start + 1), undefined)
    t.equal(await one.sessions.sessionUser(third, start + 1), undefined)
    await one.sessions.startSession(fields, start)
    t.equal(await other.sessions.endProviderSessions({ sub: 'sub-1', startedBy: new Date() }), 2, 'by subject: every session of the user')
    const afterToken = await one.sessions.startSession(fields, start + 5000)
    t.equal(await other.sessions.endProviderSessions({ sub: 'sub-1', startedBy: new Date(start + 1000) }), 0, 'a sign-in after the logout token was issued stays')
    await other.sessions.endSession(afterToken)
    const expires = new Date(start + 60_000)
    const uses = await Promise.all([one, other, one, other].map((s) => s.sessions.useLogoutToken('jti-1', expires, start)))
    t.equal(uses.filter(Boolean).length, 1, 'a logout token is used once, however many nodes it reaches')
    t.equal(await one.sessions.useLogoutToken('jti-2', expires, start), true, 'another token is new')
    t.equal(await other.sessions.useLogoutToken('jti-1', new Date(start + 120_000), start + 61_000), true, 'an expired entry is swept, not kept for ever')
    const last = await one.sessions.startSession(fields, start)
    await other.sessions.endSession(last)
    t.equal(await one.sessions.sessionUser(last, start + 1), undefined, 'ended on one, gone on the other')
    await one.sessions.startSession(fields, start)
    t.equal(await other.sessions.endUserSessions(user.id), 1)
    // A login sweeps the sessions that expired.
    const old = await one.sessions.startSession({ ...fields, lifetimeMs: 1000 }, start - 10_000)
    await one.sessions.startSession(fields)
    t.same(await one.sessions.sessionTokens(old), undefined, 'expired sessions are swept at the next login')
  })

  t.test(`${kind}: users — created at first login, refreshed at each`, async (t) => {
    const { one, other } = await openPair(t, kind)
    const first = await one.users.recordLogin(profile(7), new Date(1_000_000))
    const again = await other.users.recordLogin({ ...profile(7, 'admin'), email: 'new@example.com' }, new Date(2_000_000))
    t.equal(again.id, first.id, 'the same account')
    t.same([again.role, again.email, again.lastLogin?.getTime(), again.dateJoined.getTime()], ['admin', 'new@example.com', 2_000_000, 1_000_000])
    const refreshed = await one.users.refreshProfile({ ...profile(7, 'staff') })
    t.same([refreshed?.role, refreshed?.lastLogin?.getTime()], ['staff', 2_000_000], 'a renewal keeps lastLogin')
    t.equal(await one.users.refreshProfile(profile(8)), undefined, 'no account, nothing refreshed')
    t.same(await other.users.userById(first.id), await one.users.userBySub('sub-7'))
  })

  t.test(`${kind}: admin — edits, stale edits, search, pages, deletes, users, history`, async (t) => {
    const { one, other } = await openPair(t, kind)
    const alice = await one.users.recordLogin(profile(1, 'admin'))
    const actor = { id: alice.id, username: alice.username }
    const now = new Date()
    const created = await one.admin.questions.createQuestion(actor, { questionText: 'Café au lait?', pubDate: new Date(now.getTime() - 3600_000), choices: ['Oui', ' ', 'Non'] })
    t.equal(created.choiceCount, 2, 'empty choices skipped')
    for (let i = 0; i < 120; i++) await one.createQuestion({ questionText: `Question ${String(i).padStart(3, '0')} about ${i % 3 === 0 ? 'coffee' : 'tea'}`, pubDate: new Date(now.getTime() - i * DAY), choices: [] })

    const list = (search: string, extra: Partial<{ date: 'any' | 'today' | '7d' | 'month' | 'year', sort: 'text' | 'pub_date' | 'choices' | 'votes', descending: boolean, page: number }> = {}) =>
      other.admin.questions.listQuestions({ search, date: 'any', sort: 'text', descending: false, page: 1, ...extra }, now)
    t.equal((await list('COFFEE')).total, 40, 'search is case-insensitive, substring')
    t.equal((await list('CAFÉ')).total, 1, 'beyond ASCII too')
    t.equal((await list('é')).total, 1, 'one character')
    t.equal((await list('100%')).total, 0, '% is literal')
    t.equal((await list('', { date: '7d' })).total, 9, 'date filter: the last seven days and today')
    t.equal((await list('coffee', { date: '7d' })).total, 3, 'search and date filter combine')
    const page3 = await list('', { page: 3 })
    t.same([page3.page, page3.pages, page3.total, page3.rows.length], [3, 3, 121, 21])
    t.equal((await list('', { page: 99 })).page, 3, 'a page past the end is the last')
    const byDate = await list('tea', { sort: 'pub_date', descending: true })
    t.same(byDate.rows.slice(0, 2).map((r) => r.questionText), ['Question 001 about tea', 'Question 002 about tea'], 'sorted, newest first')
    const byText = await list('', { sort: 'text', descending: true })
    t.equal(byText.rows[0]?.questionText, 'Question 119 about tea')

    const stale = created.version
    const edited = await one.admin.questions.updateQuestion(actor, created.id, stale, { questionText: 'Café crème?', pubDate: created.pubDate })
    t.ok(edited.ok && edited.changed.join() === 'question text', 'an edit')
    const conflict = await other.admin.questions.updateQuestion(actor, created.id, stale, { questionText: 'Thé?', pubDate: created.pubDate })
    t.ok(!conflict.ok && conflict.reason === 'conflict' && conflict.current.questionText === 'Café crème?', 'a stale edit is refused with the current row')
    t.same(await one.admin.questions.updateQuestion(actor, 999_999, 1, { questionText: 'x', pubDate: now }), { ok: false, reason: 'not-found' })

    // What a poll page shows of a question follows a change made through the other store (node) within
    // 2 s, and at once on the store that made it.
    const shown = async (store: Store) => (await store.polls.publishedQuestionWithChoices(created.id))?.choices.map((c) => c.choiceText).join() ?? 'not published'
    const within2s = async (store: Store, expected: string) => {
      const deadline = Date.now() + 2000
      while ((await shown(store)) !== expected && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
      return shown(store)
    }
    t.equal(await shown(one), 'Oui,Non', 'read (and kept) by one')
    const choice = await other.admin.choices.addChoice(actor, created.id, 'Peut-être')
    t.equal(await shown(other), 'Oui,Non,Peut-être', 'the node that added a choice shows it at once')
    t.equal(await within2s(one, 'Oui,Non,Peut-être'), 'Oui,Non,Peut-être', 'a choice added on the other node is shown within 2 s')
    t.equal(choice?.votes, 0)
    t.equal((await one.admin.choices.choicesOfQuestion(created.id)).length, 3)
    t.equal((await one.admin.choices.updateChoice(actor, choice!.id, 'Bof'))?.choiceText, 'Bof')
    const voter = await one.users.recordLogin(profile(2))
    await one.polls.castVote(voter.id, created.id, choice!.id)
    t.equal(await within2s(other, 'Oui,Non,Bof'), 'Oui,Non,Bof', 'a choice renamed on the other node is shown within 2 s')
    t.equal((await other.admin.choices.deleteChoice(actor, choice!.id))?.votes, 1, 'a choice goes with its votes')
    t.equal(await within2s(one, 'Oui,Non'), 'Oui,Non', 'a choice deleted on the other node is gone within 2 s')
    await other.admin.questions.updateQuestion(actor, created.id, (await other.admin.questions.questionById(created.id))!.version, { questionText: 'Café crème?', pubDate: new Date(now.getTime() + DAY) })
    t.equal(await within2s(one, 'not published'), 'not published', 'a question moved to the future on the other node is no longer shown, within 2 s')
    await other.admin.questions.updateQuestion(actor, created.id, (await other.admin.questions.questionById(created.id))!.version, { questionText: 'Café crème?', pubDate: created.pubDate })
    t.equal((await one.admin.questions.questionById(created.id))?.voteCount, 0)
    t.equal(await one.admin.choices.addChoice(actor, 999_999, 'x'), undefined)

    const sessionId = await one.sessions.startSession({ userId: voter.id, idToken: 't', lifetimeMs: 3_600_000, renewAfterMs: 900_000 })
    t.equal((await other.admin.users.setUserActive(actor, voter.id, false))?.isActive, false, 'deactivated')
    t.equal(await one.sessions.sessionUser(sessionId), undefined, 'and signed out everywhere')
    t.equal((await other.admin.users.listUsers({ search: 'USER2', role: 'any', page: 1 })).total, 1, 'user search')
    t.equal((await other.admin.users.listUsers({ search: '', role: 'admin', page: 1 })).total, 1, 'role filter')

    const doomed = await one.admin.questions.deletionSummary([created.id, 999_999])
    t.same(doomed.map((d) => d.id), [created.id])
    const deleted = await other.admin.questions.deleteQuestions(actor, [created.id, 999_999])
    t.same(deleted.map((d) => [d.id, d.choiceCount]), [[created.id, 2]], 'only what exists is deleted, with its counts')
    t.equal(await one.admin.questions.questionById(created.id), undefined)
    const history = await one.admin.log.questionHistory(created.id)
    t.same(history.map((h) => `${h.objectType} ${h.action}`), ['question delete', 'question change', 'question change', 'choice delete', 'choice change', 'choice add', 'question change', 'question add'], 'the question\'s history, newest first')
    t.equal((await other.admin.log.recentActions(3)).length, 3)
    t.same(await one.admin.counts(), { questions: 120, choices: 0, votes: 0, users: 2 })
  })
}

t.test('postgres: nodes starting together on an empty database migrate it once', async (t) => {
  const url = await (await testPostgres()).emptyDatabase()
  const nodes = await Promise.all(Array.from({ length: 4 }, () => openPostgresStore(url, { poolSize: 2 })))
  t.teardown(() => Promise.all(nodes.map((n) => n.close())))
  const applied = await Promise.all(nodes.map((n) => n.migrationsApplied()))
  const expected = readMigrationFiles({ migrationsFolder: POSTGRES_MIGRATIONS }).length
  t.same(applied, [expected, expected, expected, expected], 'every node sees each migration applied, once')
  t.equal((await nodes[0]!.pool.query("select count(*)::int as n from pg_extension where extname = 'pg_trgm'")).rows[0].n, 1, 'pg_trgm is there')
})
