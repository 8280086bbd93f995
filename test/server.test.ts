// `npm start` as a newcomer runs it: the real entry point, the built-in provider, a clean stop.
import t from 'tap'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { discoverProvider, ProviderUnavailableError } from '../src/sign-in/provider.ts'
import { freePort } from './helpers/free-port.ts'


const root = fileURLToPath(new URL('..', import.meta.url))

/** Runs `npm start`'s command from an empty folder, so a developer's own .env cannot change the result. */
function startServer (env: Record<string, string>) {
  const cwd = mkdtempSync(join(tmpdir(), 'polls-cwd-'))
  const child = spawn(join(root, 'node_modules/.bin/tsx'), [join(root, 'src/server.ts')], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return { child, exited, output: () => output }
}

t.test('with no provider configured it starts the development provider and serves the demo', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'polls-start-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const port = await freePort()
  const server = startServer({ PORT: String(port), DATABASE_URL: join(dir, 'polls.db') })
  t.teardown(() => { server.child.kill('SIGKILL') })
  const deadline = Date.now() + 20_000
  while (!server.output().includes('Polls is ready') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100))
  t.match(server.output(), /built-in DEVELOPMENT OpenID provider/, 'the start-up log says so')
  const home = await fetch(`http://localhost:${port}/`)
  t.equal(home.status, 200)
  t.match(await home.text(), /using the built-in development provider/, 'and so does the page footer')
  const login = await fetch(`http://localhost:${port}/oidc/authenticate/?next=%2Fpolls%2F`, { redirect: 'manual' })
  t.equal(login.status, 302)
  const provider = await fetch(String(login.headers.get('location')), { redirect: 'manual' })
  t.ok(provider.status === 302 || provider.status === 303, 'the provider takes the login')
  server.child.kill('SIGTERM')
  t.equal(await server.exited, 0, 'SIGTERM stops it cleanly')
})

t.test('production without settings refuses to start, naming what is missing', async (t) => {
  const server = startServer({ NODE_ENV: 'production' })
  t.equal(await server.exited, 1)
  for (const key of ['SESSION_SECRET', 'OIDC_OP_BASE_URL', 'OIDC_RP_CLIENT_ID', 'OIDC_RP_CLIENT_SECRET', 'ZITADEL_PROJECT']) {
    t.match(server.output(), key)
  }
})

t.test('an unreachable provider: public pages keep working, logins answer 503, no crash loop', async (t) => {
  const dead = await freePort() // nothing listens there
  const settings = { baseUrl: `http://127.0.0.1:${dead}`, httpTimeoutMs: 1000, clientId: 'polls', clientSecret: 'secret', clockToleranceSeconds: 30 }
  await t.rejects(discoverProvider(settings), ProviderUnavailableError)
  await t.rejects(discoverProvider(settings), { message: /Could not load the OpenID provider's metadata from http:\/\/127\.0\.0\.1:\d+\/\.well-known\/openid-configuration/ })

  const dir = mkdtempSync(join(tmpdir(), 'polls-start-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const port = await freePort()
  const server = startServer({
    PORT: String(port), DATABASE_URL: join(dir, 'polls.db'), OIDC_HTTP_TIMEOUT_MS: '500',
    OIDC_OP_BASE_URL: `http://127.0.0.1:${dead}`, OIDC_RP_CLIENT_ID: 'x', OIDC_RP_CLIENT_SECRET: 'y', ZITADEL_PROJECT: 'p'
  })
  t.teardown(() => { server.child.kill('SIGKILL') })
  const deadline = Date.now() + 20_000
  while (!server.output().includes('retrying with backoff') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100))
  t.match(server.output(), /Could not load the OpenID provider's metadata/, 'a clear log line')
  t.equal((await fetch(`http://localhost:${port}/healthz`)).status, 200, 'alive')
  t.equal((await fetch(`http://localhost:${port}/polls/`)).status, 200, 'public pages serve')
  const login = await fetch(`http://localhost:${port}/oidc/authenticate/`, { redirect: 'manual' })
  t.equal(login.status, 503, 'login answers 503')
  t.equal(login.headers.get('retry-after'), '30')
  t.match(await login.text(), /identity provider is unavailable/)
  server.child.kill('SIGTERM')
  t.equal(await server.exited, 0, 'and it stops cleanly')
})
