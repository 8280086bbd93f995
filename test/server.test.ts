// `npm start` as a newcomer runs it: the real entry point, the built-in provider, a clean stop.
import t from 'tap'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { discoverProvider, ProviderUnavailableError } from '../src/oidc/discovery.ts'

async function freePort (): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const address = probe.address()
      probe.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0))
    })
  })
}

function startServer (env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import=tsx', 'src/server.ts'], {
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

t.test('an unreachable provider is a clear error at start, not a crash loop', async (t) => {
  const port = await freePort() // nothing listens there
  await t.rejects(discoverProvider(`http://127.0.0.1:${port}`, 1000), ProviderUnavailableError)
  await t.rejects(discoverProvider(`http://127.0.0.1:${port}`, 1000), { message: /Could not load the OpenID provider's metadata from http:\/\/127\.0\.0\.1:\d+\/\.well-known\/openid-configuration/ })

  const server = startServer({
    OIDC_OP_BASE_URL: `http://127.0.0.1:${port}`, OIDC_RP_CLIENT_ID: 'x', OIDC_RP_CLIENT_SECRET: 'y', ZITADEL_PROJECT: 'p', OIDC_HTTP_TIMEOUT_MS: '1000'
  })
  t.equal(await server.exited, 1, 'exits with an error code')
  t.match(server.output(), /Polls could not start: Could not load the OpenID provider's metadata/)
})
