import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { chromium, type Browser, type Page } from 'playwright-core'
import { buildApp } from '../../src/app.ts'
import { parseConfig } from '../../src/config.ts'
import { startDevProvider, type DevProvider } from '../../src/oidc/dev-provider.ts'
import { PROJECT_ID, type DatabaseKind } from './app.ts'
import { freePort } from './free-port.ts'
import { freshPostgresUrl } from './postgres.ts'
import { screenshotOnFailure, type FailureAware } from './screenshots.ts'

interface TapLike { teardown: (fn: () => unknown) => void }

/** The app listening on loopback as in production, with a real provider: for browser tests. */
export interface LiveAppOptions {
  /** SQLite (a fresh file, the default) or PostgreSQL (a fresh database on this process's test server). */
  db?: DatabaseKind
  /** Another app's database (its file or URL), to run two processes on one database as WEB_CONCURRENCY does. */
  databaseUrl?: string
  /** Settings over the defaults (e.g. a low rate limit). */
  env?: Record<string, string>
  /** Where error logs go (stderr by default); a test that provokes a 500 keeps it out of the test log. */
  logStream?: NodeJS.WritableStream
}

export async function startLiveApp (t: TapLike, options: LiveAppOptions = {}): Promise<{ app: FastifyInstance, provider: DevProvider, url: string }> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const client = { clientId: 'polls-e2e', clientSecret: 'polls-e2e-secret' }
  const provider = await startDevProvider({
    projectId: PROJECT_ID,
    clients: [{ ...client, redirectUris: [`${url}/oidc/callback/`], postLogoutRedirectUris: [`${url}/`] }]
  })
  t.teardown(() => provider.close())
  const dir = mkdtempSync(join(tmpdir(), 'polls-e2e-'))
  const config = parseConfig({
    NODE_ENV: 'production',
    PORT: String(port),
    APP_URL: url,
    DATABASE_URL: options.databaseUrl ?? (options.db === 'postgres' ? await freshPostgresUrl() : join(dir, 'polls.db')),
    SESSION_SECRET: 'e2e-session-secret-that-is-long-enough-0123456789',
    OIDC_OP_BASE_URL: provider.issuer,
    OIDC_RP_CLIENT_ID: client.clientId,
    OIDC_RP_CLIENT_SECRET: client.clientSecret,
    ZITADEL_PROJECT: PROJECT_ID,
    RATE_LIMIT_LOGINS_PER_MINUTE: '100000',
    RATE_LIMIT_VOTES_PER_MINUTE: '100000',
    ...options.env
  })
  const app = await buildApp(config, { logger: { level: 'error', stream: options.logStream ?? process.stderr } })
  await app.listen({ host: '127.0.0.1', port })
  t.teardown(async () => {
    await app.close()
    rmSync(dir, { recursive: true, force: true })
  })
  return { app, provider, url }
}

/**
 * Debian's chromium, headless, with a fresh profile and no background traffic (there is no internet).
 * If the test fails, its open pages are saved as screenshots (see screenshots.ts).
 */
export async function launchChromium (t: FailureAware): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync']
  })
  t.teardown(() => browser.close())
  screenshotOnFailure(t, browser)
  return browser
}

/** Clicks "Log in" on the home page and picks `username` at the provider's sign-in page. */
export async function logIn (page: Page, url: string, username: string) {
  await page.goto(`${url}/`)
  await page.getByRole('link', { name: 'Log in' }).first().click()
  await page.locator(`form:has(input[name="username"][value="${username}"]) button`).click()
  await page.waitForURL(`${url}/`)
}
