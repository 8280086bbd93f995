import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { buildApp, type BuildOptions } from '../../src/app.ts'
import { parseConfig } from '../../src/config.ts'
import { startDevProvider, type DevProvider, type DevProviderOptions } from '../../src/oidc/dev-provider.ts'
import { CookieJar } from './cookie-jar.ts'
import { freshPostgresUrl } from './postgres.ts'

/** The databases the tests that touch data run on, each in its own subtest. */
export const DATABASES = ['sqlite', 'postgres'] as const
export type DatabaseKind = typeof DATABASES[number]

export const APP_URL = 'http://polls.test'
export const PROJECT_ID = '249703732336418457'
export const CLIENT = { clientId: 'polls-test', clientSecret: 'polls-test-secret-not-for-production' }

interface TapLike { teardown: (fn: () => unknown) => void }

/** A real oidc-provider on loopback with this test app registered as its client. */
export async function startTestProvider (t: TapLike, options: Partial<DevProviderOptions> & { backchannelLogoutUri?: string } = {}): Promise<DevProvider> {
  const { backchannelLogoutUri, ...rest } = options
  const provider = await startDevProvider({
    projectId: PROJECT_ID,
    clients: [{ ...CLIENT, redirectUris: [`${APP_URL}/oidc/callback/`], postLogoutRedirectUris: [`${APP_URL}/`], backchannelLogoutUri }],
    ...rest
  })
  t.teardown(() => provider.close())
  return provider
}

export interface TestApp { app: FastifyInstance, provider: DevProvider, serverErrors: string[] }

/** A fresh app on a fresh database (SQLite unless `db` says otherwise), talking to a real provider; closed when the test ends. */
export async function buildTestApp (t: TapLike, options: { provider?: DevProvider } & TestAppOptions = {}): Promise<TestApp> {
  const provider = options.provider ?? await startTestProvider(t)
  return { ...await buildTestAppFor(t, provider.issuer, options), provider }
}

interface TestAppOptions {
  /** SQLite (a fresh file, the default) or PostgreSQL (a fresh database on this process's test server). */
  db?: DatabaseKind
  env?: Record<string, string | undefined>
  logStream?: NodeJS.WritableStream
  logLevel?: string
  build?: Partial<BuildOptions>
}

/** The app of buildTestApp, for a provider that is not the development one (test/helpers/hostile-provider.ts). */
export async function buildTestAppFor (t: TapLike, issuer: string, options: TestAppOptions = {}): Promise<Omit<TestApp, 'provider'>> {
  const dir = mkdtempSync(join(tmpdir(), 'polls-test-'))
  const config = parseConfig({
    NODE_ENV: 'test',
    APP_URL,
    DATABASE_URL: options.db === 'postgres' ? await freshPostgresUrl() : join(dir, 'polls.db'),
    SESSION_SECRET: 'test-session-secret-that-is-long-enough-0123456789',
    OIDC_OP_BASE_URL: issuer,
    OIDC_RP_CLIENT_ID: CLIENT.clientId,
    OIDC_RP_CLIENT_SECRET: CLIENT.clientSecret,
    ZITADEL_PROJECT: PROJECT_ID,
    LOG_LEVEL: 'error',
    // Tests sign in and vote far faster than people do; the limits have their own test.
    RATE_LIMIT_LOGINS_PER_MINUTE: '100000',
    RATE_LIMIT_VOTES_PER_MINUTE: '100000',
    ...options.env
  })
  // Errors go to stderr so they show in the test log without disturbing TAP on stdout.
  const app = await buildApp(config, { ...options.build, logger: { level: options.logLevel ?? 'error', stream: options.logStream ?? process.stderr } })
  const serverErrors: string[] = []
  app.addHook('onResponse', async (request, reply) => {
    if (reply.statusCode >= 500) serverErrors.push(`${request.method} ${request.url} → ${reply.statusCode}`)
  })
  await app.ready()
  t.teardown(async () => {
    await app.close()
    rmSync(dir, { recursive: true, force: true })
  })
  return { app, serverErrors }
}

const DAY = 24 * 60 * 60 * 1000

/** Like the Django tutorial's create_question: published `days` from now (negative = past). */
export async function addQuestion (app: FastifyInstance, questionText: string, days: number, choices: string[] = ['Yes', 'No']) {
  const question = await app.store.createQuestion({ questionText, pubDate: new Date(Date.now() + days * DAY), choices })
  return { ...question, choices: (await app.polls.tallyVotes(question.id)).map(({ id, choiceText }) => ({ id, choiceText })) }
}

/** Form fields as a browser sends them: a repeated name (checkboxes, choice rows) is an array. */
export type Form = Record<string, string | string[]>

function encodeForm (form: Form): string {
  const params = new URLSearchParams()
  for (const [name, value] of Object.entries(form)) {
    for (const v of ([] as string[]).concat(value)) params.append(name, v)
  }
  return params.toString()
}

export interface Page { status: number, headers: Record<string, string | string[] | undefined>, body: string, url: string }

/**
 * A browser without JavaScript: a cookie jar per origin, the app through fastify.inject and the provider
 * over real HTTP, following redirects across both the way a browser does.
 */
export class TestBrowser {
  readonly jar = new CookieJar()
  constructor (readonly app: FastifyInstance) {}

  async request (method: string, url: string, options: { form?: Form, headers?: Record<string, string> } = {}): Promise<Page> {
    const target = new URL(url, APP_URL)
    const cookie = this.jar.header(target)
    const headers: Record<string, string> = { accept: 'text/html', ...(cookie === '' ? {} : { cookie }), ...options.headers }
    const body = options.form === undefined ? undefined : encodeForm(options.form)
    if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded'
    if (target.origin === APP_URL) {
      const res = await this.app.inject({ method: method as 'GET', url: target.pathname + target.search, headers, payload: body })
      const setCookie = res.headers['set-cookie']
      this.jar.storeLines(target, setCookie === undefined ? [] : Array.isArray(setCookie) ? setCookie : [setCookie])
      return { status: res.statusCode, headers: res.headers as Page['headers'], body: res.body, url: target.href }
    }
    const res = await fetch(target, { method, headers, body, redirect: 'manual' })
    this.jar.store(target, res)
    return { status: res.status, headers: Object.fromEntries(res.headers), body: await res.text(), url: target.href }
  }

  get (url: string, headers?: Record<string, string>) { return this.request('GET', url, { headers }) }
  post (url: string, form: Form, headers?: Record<string, string>) { return this.request('POST', url, { form, headers }) }

  /** Follows redirects (303 turns into GET) until a page is served. */
  async follow (page: Page, hops = 15): Promise<Page> {
    let current = page
    for (let i = 0; i < hops && current.status >= 300 && current.status < 400; i++) {
      const location = current.headers.location
      if (typeof location !== 'string') break
      current = await this.get(new URL(location, current.url).href)
    }
    return current
  }

  /** Clicks "Log in", picks `username` at the provider's sign-in page, and returns where the app lands. */
  async login (username: string, next = '/'): Promise<Page> {
    const signIn = await this.follow(await this.get(`/oidc/authenticate/?next=${encodeURIComponent(next)}`))
    if (new URL(signIn.url).origin === APP_URL) return signIn // the provider still had a session: straight back
    const action = /action="([^"]*\/login)"/.exec(signIn.body)?.[1]
    if (action === undefined) throw new Error(`no sign-in form at ${signIn.url}: ${signIn.status}`)
    return this.follow(await this.post(new URL(action, signIn.url).href, { username }))
  }

  /** The CSRF token from a page's meta tag, as htmx reads it. */
  async csrfToken (path = '/'): Promise<string> {
    const page = await this.get(path)
    const token = /<meta name="csrf-token" content="([^"]+)">/.exec(page.body)?.[1]
    if (token === undefined) throw new Error(`no csrf token on ${path}`)
    return token
  }
}

/** A page's text without its tags, whitespace collapsed: what a reader sees, for matching words across elements. */
export function pageText (html: string): string {
  return html.replace(/<[^>]+>/g, '').replace(/\s+/g, ' ')
}
