import t from 'tap'
import { APP_URL, TestBrowser, buildTestApp, type Page } from '../helpers/app.ts'
import { MAX_NEXT_LENGTH } from '../../src/sign-in/safe-next.ts'

// Issue 13, item 5: browsers drop a cookie over 4096 bytes, and a request whose cookies outgrow the
// server's header limit gets 431. The session cookie holds the pending logins, so however long `next` is
// and however many logins are started, every Set-Cookie must stay within 4096 bytes.

const BROWSER_COOKIE_LIMIT = 4096

function setCookieSizes (page: Page): number[] {
  return ([] as string[]).concat(page.headers['set-cookie'] ?? []).map((line) => Buffer.byteLength(line))
}

t.test('every Set-Cookie stays within 4096 bytes, whatever next is and however many logins start', async (t) => {
  const { app, serverErrors } = await buildTestApp(t)
  const nexts: Array<[string, string]> = [
    ['999 emoji', `/${'😀'.repeat(999)}`],
    ['2000 characters', `/polls/?q=${'a'.repeat(1990)}`],
    ['5000 characters', `/${'b'.repeat(4999)}`],
    ['a 1000-character query of é', `/polls/?q=${'é'.repeat(1000)}`],
    ['the longest kept', `/polls/?q=${'c'.repeat(MAX_NEXT_LENGTH - 10)}`],
    ['ordinary', '/polls/']
  ]
  let largest = 0
  for (const [label, next] of nexts) {
    const browser = new TestBrowser(app)
    for (let i = 0; i < 10; i++) {
      const start = await browser.get(`/oidc/authenticate/?next=${encodeURIComponent(next)}`)
      t.equal(start.status, 302, `${label}: login ${i + 1} starts`)
      for (const size of setCookieSizes(start)) largest = Math.max(largest, size)
    }
    const landed = await browser.login('carol', next)
    for (const size of setCookieSizes(landed)) largest = Math.max(largest, size)
    t.equal(landed.status, 200, `${label}: the eleventh login completes`)
    const kept = next.length <= MAX_NEXT_LENGTH
    t.equal(landed.url, kept ? `${APP_URL}${next}` : `${APP_URL}/`, `${label}: ${kept ? 'lands on next' : 'an over-long next falls back to /'}`)
    t.ok(Buffer.byteLength(browser.jar.header(new URL(APP_URL))) <= BROWSER_COOKIE_LIMIT, `${label}: the cookie the browser sends back is within the limit`)
  }
  t.comment(`largest Set-Cookie: ${largest} bytes`)
  t.ok(largest <= BROWSER_COOKIE_LIMIT, `every Set-Cookie within ${BROWSER_COOKIE_LIMIT} bytes (largest ${largest})`)
  t.same(serverErrors, [])
})

t.test('the callback that signs in keeps the other tabs\' logins and still fits', async (t) => {
  const { app, serverErrors } = await buildTestApp(t)
  const browser = new TestBrowser(app)
  const next = `/polls/?q=${'z'.repeat(300)}`
  const tabs: Page[] = []
  for (let i = 0; i < 4; i++) tabs.push(await browser.follow(await browser.get(`/oidc/authenticate/?next=${encodeURIComponent(next)}`)))
  const pick = (page: Page) => new URL(/action="([^"]*\/login)"/.exec(page.body)?.[1] ?? '', page.url).href
  let largest = 0
  for (const tab of tabs.slice(-2)) {
    let page = await browser.post(pick(tab), { username: 'carol' })
    for (let hop = 0; hop < 15 && page.status >= 300 && page.status < 400; hop++) {
      for (const size of setCookieSizes(page)) largest = Math.max(largest, size)
      page = await browser.get(new URL(String(page.headers.location), page.url).href)
    }
    t.equal(page.url, `${APP_URL}${next}`, 'the tab lands on its next')
  }
  t.ok(largest <= BROWSER_COOKIE_LIMIT, `every Set-Cookie within ${BROWSER_COOKIE_LIMIT} bytes (largest ${largest})`)
  t.same(serverErrors, [])
})
