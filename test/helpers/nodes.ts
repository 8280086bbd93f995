import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startDevProvider, type DevProvider } from '../../src/oidc/dev-provider.ts'
import { defaultDevUsers, type DevUser } from '../../src/oidc/dev-users.ts'
import { startProcess, type Running } from '../../bench/processes.ts'
import { CookieJar } from './cookie-jar.ts'
import { freePort } from './free-port.ts'
import { startNginx, type Nginx } from './nginx.ts'

interface TapLike { teardown: (fn: () => unknown) => void }

/** One app process (`src/server.ts`, as production starts it) on its own loopback port. */
export interface AppNode {
  port: number
  /** The node itself, bypassing the balancer. */
  url: string
  /** The running process (undefined once killed). */
  running: () => Running | undefined
  /** kill -9, and wait until it is gone. */
  kill: () => Promise<void>
  start: () => Promise<void>
}

export interface Cluster {
  /** The balancer's URL: the public APP_URL every node is configured with. */
  url: string
  provider: DevProvider
  nodes: AppNode[]
  nginx: Nginx
}

export const CLUSTER_CLIENT = { clientId: 'polls-nodes', clientSecret: 'polls-nodes-secret' }
const PROJECT = 'polls-nodes'

export interface ClusterOptions {
  /** SQLite file or postgres:// URL shared by every node. */
  databaseUrl: string
  nodes?: number
  /** Settings over the defaults, for every node. */
  env?: Record<string, string>
  /** The provider's users (the development users by default). */
  users?: DevUser[]
}

/**
 * N app processes sharing one database and SESSION_SECRET behind nginx (round-robin), with a real
 * OpenID provider whose client redirects to the balancer; back-channel logouts reach any node through
 * it. The nodes start together, as a deployment starts its replicas.
 */
export async function startCluster (t: TapLike, options: ClusterOptions): Promise<Cluster> {
  const count = options.nodes ?? 2
  const dir = mkdtempSync(join(tmpdir(), 'polls-nodes-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const balancerPort = await freePort()
  const url = `http://127.0.0.1:${balancerPort}`
  const provider = await startDevProvider({
    projectId: PROJECT,
    users: options.users ?? defaultDevUsers(),
    clients: [{ ...CLUSTER_CLIENT, redirectUris: [`${url}/oidc/callback/`], postLogoutRedirectUris: [`${url}/`], backchannelLogoutUri: `${url}/oidc/backchannel-logout/` }]
  })
  t.teardown(() => provider.close())
  const ports: number[] = []
  for (let i = 0; i < count; i++) ports.push(await freePort())
  const nodes = ports.map((port): AppNode => {
    let running: Running | undefined
    const env = {
      NODE_ENV: 'production', HOST: '127.0.0.1', PORT: String(port), APP_URL: url, DATABASE_URL: options.databaseUrl, LOG_LEVEL: 'warn',
      SESSION_SECRET: 'nodes-session-secret-nodes-session-secret-0123456789', TRUST_PROXY: '127.0.0.1',
      OIDC_OP_BASE_URL: provider.issuer, OIDC_RP_CLIENT_ID: CLUSTER_CLIENT.clientId, OIDC_RP_CLIENT_SECRET: CLUSTER_CLIENT.clientSecret, ZITADEL_PROJECT: PROJECT,
      RATE_LIMIT_LOGINS_PER_MINUTE: '1000000', RATE_LIMIT_VOTES_PER_MINUTE: '1000000',
      ...options.env
    }
    return {
      port,
      url: `http://127.0.0.1:${port}`,
      running: () => running,
      start: async () => { running = await startProcess('src/server.ts', env, `http://127.0.0.1:${port}/healthz`, dir) },
      kill: async () => {
        const child = running?.child
        running = undefined
        if (child === undefined || child.exitCode !== null || child.signalCode !== null) return
        const gone = new Promise((resolve) => child.once('exit', resolve))
        child.kill('SIGKILL')
        await gone
      }
    }
  })
  t.teardown(async () => { await Promise.all(nodes.map(async (node) => node.running()?.stop())) })
  await Promise.all(nodes.map((node) => node.start()))
  const nginx = await startNginx(t, { port: balancerPort, upstreams: ports.map((p) => `127.0.0.1:${p}`) })
  return { url, provider, nodes, nginx }
}

/**
 * A browser without JavaScript over real HTTP: a cookie jar per origin, redirects followed by hand.
 * `via` sends the app's requests to one node instead of the balancer (same cookies: one public origin).
 */
export class HttpBrowser {
  readonly jar = new CookieJar()
  constructor (readonly appUrl: string) {}

  async request (url: string, init: { method?: string, headers?: Record<string, string>, form?: Record<string, string>, via?: string } = {}): Promise<Response> {
    const target = new URL(url, this.appUrl)
    const sent = init.via !== undefined && target.origin === this.appUrl ? new URL(target.pathname + target.search, init.via) : target
    const headers: Record<string, string> = { accept: 'text/html', cookie: this.jar.header(target), ...init.headers }
    const body = init.form === undefined ? undefined : new URLSearchParams(init.form).toString()
    if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded'
    const res = await fetch(sent, { method: init.method ?? (body === undefined ? 'GET' : 'POST'), headers, body, redirect: 'manual', signal: AbortSignal.timeout(30_000) })
    this.jar.store(target, res)
    return res
  }

  /** Sends a request and follows its redirects (as GETs) until a page is served; the page's body read. */
  async follow (url: string, init: Parameters<HttpBrowser['request']>[1] = {}): Promise<{ status: number, url: string, body: string, headers: Headers }> {
    let at = new URL(url, this.appUrl).href
    let current = await this.request(at, init)
    for (let hop = 0; hop < 20 && current.status >= 300 && current.status < 400; hop++) {
      await current.arrayBuffer()
      at = new URL(current.headers.get('location') ?? '/', at).href
      current = await this.request(at, { via: init.via })
    }
    return { status: current.status, url: at, body: await current.text(), headers: current.headers }
  }

  /** The real login flow: the app's login, the provider's sign-in form, the callback, back to the app. */
  async logIn (username: string): Promise<string> {
    const signInPage = await this.follow('/oidc/authenticate/?next=%2Fuser')
    const action = /action="([^"]*\/login)"/.exec(signInPage.body)?.[1]
    if (action === undefined) throw new Error(`no sign-in form for ${username} at ${signInPage.url} (${signInPage.status})`)
    const landed = await this.follow(new URL(action, signInPage.url).href, { form: { username } })
    if (!landed.url.startsWith(this.appUrl) || !landed.body.includes(`<dd>${username}</dd>`)) throw new Error(`login as ${username} ended at ${landed.url} (${landed.status})`)
    return this.csrfTokenOf(landed.body)
  }

  csrfTokenOf (body: string): string {
    const token = /<meta name="csrf-token" content="([^"]+)">/.exec(body)?.[1]
    if (token === undefined) throw new Error('no csrf token on the page')
    return token
  }

  /** Who the app thinks this browser is, asked of one node: a username, or undefined when signed out. */
  async whoAmI (via?: string): Promise<string | undefined> {
    const res = await this.request('/user', { via })
    const body = await res.text()
    if (res.status !== 200) return undefined
    return /<dd>([^<]+)<\/dd>/.exec(body)?.[1]
  }
}
