// What one process knew must hold across app nodes that share the database: migrations run once when
// they start together, a session ended on one node is ended on the other at its next request, changes
// show on the other node within 2 s, and a renewal is claimed once. Two processes behind nginx; run
// by one test file per database.
import type { Test } from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { defaultDevUsers, type DevUser } from '../../src/oidc/dev-users.ts'
import { HttpBrowser, startCluster, type AppNode } from '../helpers/nodes.ts'
import type { ClusterData } from '../helpers/cluster-data.ts'

const HTMX = { 'hx-request': 'true' }
const RENEW_AFTER_S = 10 // the shortest OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS allows
const extra = (username: string): DevUser => ({ sub: `dev-${username}`, username, email: `${username}@example.com`, givenName: username, familyName: 'Tester', roles: ['user'] })
const users = [...defaultDevUsers(), ...['erin', 'frank', 'gina', 'hal'].map(extra)]

/**
 * The suite on `databaseUrl` (fresh, not migrated: the nodes migrate it as they start together);
 * `migrationsFolder` is that database's drizzle-kit folder, `data` reads it beside the app.
 */
export async function crossNodeSuite (t: Test, databaseUrl: string, migrationsFolder: string, data: ClusterData) {
  const cluster = await startCluster(t, { databaseUrl, users, env: { OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS: String(RENEW_AFTER_S) } })
  const [a, b] = cluster.nodes as [AppNode, AppNode]
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
  const notSignedIn = async (cookie: string, node: AppNode) => (await (await fetch(`${node.url}/user`, { headers: { cookie } })).text()).includes('You are not signed in')

  t.test('migrations ran once although both nodes started together on a fresh database', async (t) => {
    const journal = JSON.parse(readFileSync(join(migrationsFolder, 'meta/_journal.json'), 'utf8')) as { entries: unknown[] }
    t.equal(await data.migrationRows(), journal.entries.length, 'one row per migration')
    for (const node of [a, b]) t.equal((await fetch(`${node.url}/readyz`)).status, 200, `node on ${node.port} is ready`)
  })

  t.test('logout on one node ends the session on the other', async (t) => {
    const carol = new HttpBrowser(cluster.url)
    const token = await carol.logIn('carol')
    const cookie = carol.jar.header(new URL(cluster.url))
    t.equal(await carol.whoAmI(b.url), 'carol', 'signed in on node B')
    const out = await carol.request('/oidc/logout/', { form: { _csrf: token }, via: a.url })
    t.equal(out.status, 303, 'logged out on node A')
    t.ok(await notSignedIn(cookie, b), 'the old cookie is signed out on node B at its next request')
    t.ok(await notSignedIn(cookie, a), 'and on node A')
  })

  t.test('a back-channel logout that reaches one node ends the session on both', async (t) => {
    const frank = new HttpBrowser(cluster.url)
    await frank.logIn('frank')
    t.equal(await frank.whoAmI(a.url), 'frank')
    t.equal(await frank.whoAmI(b.url), 'frank')
    // Signed out at the provider itself; it POSTs the logout token to the balancer, so to one node.
    const confirm = await frank.follow(`${cluster.provider.issuer}/session/end`)
    const action = /<form[^>]*action="([^"]+)"/.exec(confirm.body)?.[1]
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirm.body)?.[1]
    if (action === undefined || xsrf === undefined) throw new Error(`no sign-out form at ${confirm.url}`)
    const done = await frank.follow(new URL(action, confirm.url).href, { form: { xsrf, logout: 'yes' } })
    t.equal(done.status, 200, 'signed out at the provider')
    t.equal(await frank.whoAmI(a.url), undefined, 'ended on node A')
    t.equal(await frank.whoAmI(b.url), undefined, 'ended on node B')
  })

  t.test('deactivation on one node ends the user\'s session on the other', async (t) => {
    const alice = new HttpBrowser(cluster.url)
    const adminToken = await alice.logIn('alice')
    const gina = new HttpBrowser(cluster.url)
    await gina.logIn('gina')
    t.equal(await gina.whoAmI(b.url), 'gina')
    const ginaId = await data.userId('dev-gina')
    const res = await alice.request(`/admin/users/${ginaId}/active`, { headers: { ...HTMX, 'x-csrf-token': adminToken }, form: { active: '0', confirm: 'yes' }, via: a.url })
    t.equal(res.status, 200, 'deactivated on node A')
    t.equal(await gina.whoAmI(b.url), undefined, 'her session ends on node B at its next request')
  })

  t.test('a question added on one node is in the other\'s anonymous list, a vote in its live results, within 2 s', async (t) => {
    const alice = new HttpBrowser(cluster.url)
    const adminToken = await alice.logIn('alice')
    const titles = async (node: AppNode) => (await (await fetch(`${node.url}/polls/`)).text())
    await titles(b) // node B has its list cached now
    const pubDate = new Date(Date.now() - 60_000).toISOString().slice(0, 16)
    const added = await alice.request('/admin/questions/', { headers: { ...HTMX, 'x-csrf-token': adminToken }, form: { question_text: 'Across nodes?', pub_date: pubDate, choice: 'Yes' }, via: a.url })
    t.equal(added.status, 200, 'added on node A')
    const seenBy = async (check: () => Promise<boolean>) => {
      const deadline = Date.now() + 2_000
      for (;;) {
        if (await check()) return true
        if (Date.now() > deadline) return false
        await sleep(100)
      }
    }
    t.ok(await seenBy(async () => (await titles(b)).includes('Across nodes?')), 'node B\'s anonymous list shows it within 2 s')

    const questionId = Number(/href="\/polls\/(\d+)\/">Across nodes\?/.exec(await titles(b))?.[1])
    const bob = new HttpBrowser(cluster.url)
    await bob.logIn('bob')
    const results = await bob.request(`/polls/${questionId}/results/`, { via: b.url })
    const hxHeaders = /hx-headers="([^"]*)"/.exec(await results.text())?.[1] ?? '{}'
    const tag = (JSON.parse(hxHeaders.replaceAll('&quot;', '"')) as Record<string, string>)['If-None-Match'] ?? ''
    const poll = () => bob.request(`/polls/${questionId}/results/`, { headers: { ...HTMX, 'if-none-match': tag }, via: b.url })
    t.equal((await poll()).status, 304, 'node B\'s live results: unchanged')

    const hal = new HttpBrowser(cluster.url)
    const token = await hal.logIn('hal')
    const page = await hal.request(`/polls/${questionId}/`, { via: a.url })
    const choice = /name="choice" value="(\d+)"/.exec(await page.text())?.[1] ?? ''
    t.equal((await hal.request(`/polls/${questionId}/vote/`, { headers: { ...HTMX, 'x-csrf-token': token }, form: { choice }, via: a.url })).status, 200, 'a vote on node A')
    let shown = ''
    t.ok(await seenBy(async () => {
      const res = await poll()
      shown = await res.text()
      return res.status === 200
    }), 'node B\'s live results change within 2 s')
    t.match(shown, /<span class="choice-name">Yes<\/span> — <span class="count">1 vote<\/span>/, 'with the vote counted')
  })

  t.test('a due renewal is claimed once across nodes; removed roles end the session on the other node', async (t) => {
    const erin = new HttpBrowser(cluster.url)
    await erin.logIn('erin')
    const carol = new HttpBrowser(cluster.url)
    await carol.logIn('carol')
    const firstDue = (await data.renewalsDue('dev-erin'))[0] ?? 0
    await sleep(firstDue - Date.now() + 500)
    // Due now: eight requests at once, half on each node. One claims the renewal and uses the refresh
    // token; a second use of that (rotated) token would make the provider revoke the sign-in.
    const burst = await Promise.all(Array.from({ length: 8 }, (_, i) => erin.whoAmI((i % 2 === 0 ? a : b).url)))
    t.same(burst, Array(8).fill('erin'), 'every request served signed in')
    const renewedDue = (await data.renewalsDue('dev-erin'))[0] ?? 0
    t.ok(renewedDue > Date.now() + (RENEW_AFTER_S - 2) * 1000, 'renewed: the next renewal is a full period away')

    // Carol's roles are removed at the provider; her renewal, due now too, ends the session.
    const user = cluster.provider.users.get('carol')
    if (user === undefined) throw new Error('carol missing')
    user.roles = []
    t.equal(await carol.whoAmI(a.url), undefined, 'her renewal on node A finds no role left: ended')
    t.equal(await carol.whoAmI(b.url), undefined, 'and on node B')

    await sleep(renewedDue - Date.now() + 500)
    t.equal(await erin.whoAmI(b.url), 'erin', 'the next renewal works: the refresh token was used once')
    t.ok(((await data.renewalsDue('dev-erin'))[0] ?? 0) > renewedDue, 'renewed again')
  })
}
