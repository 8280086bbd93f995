import { CookieJar } from '../test/helpers/cookie-jar.ts'

export interface SignedIn { username: string, cookie: string, csrfToken: string }

async function request (jar: CookieJar, url: string, init: RequestInit = {}): Promise<Response> {
  const target = new URL(url)
  const res = await fetch(target, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), cookie: jar.header(target) } })
  jar.store(target, res)
  return res
}

/** The real login flow over HTTP, as a browser without JavaScript does it: app → provider → app. */
export async function signIn (appUrl: string, username: string): Promise<SignedIn> {
  const jar = new CookieJar()
  let res = await request(jar, `${appUrl}/oidc/authenticate/?next=%2Fpolls%2F`)
  let url = `${appUrl}/oidc/authenticate/`
  for (let hop = 0; hop < 20; hop++) {
    if (res.status >= 300 && res.status < 400) {
      url = new URL(res.headers.get('location') ?? '', url).href
      res = await request(jar, url)
      continue
    }
    const body = await res.text()
    const action = /action="([^"]*\/login)"/.exec(body)?.[1]
    if (action === undefined || url.startsWith(appUrl)) {
      const csrfToken = /<meta name="csrf-token" content="([^"]+)">/.exec(body)?.[1]
      if (csrfToken === undefined) throw new Error(`login as ${username} did not finish: ${res.status} at ${url}`)
      return { username, cookie: jar.header(new URL(appUrl)), csrfToken }
    }
    url = new URL(action, url).href
    res = await request(jar, url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `username=${encodeURIComponent(username)}` })
  }
  throw new Error(`login as ${username}: too many redirects`)
}
