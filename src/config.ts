import { existsSync, readFileSync } from 'node:fs'
import { hkdfSync, randomBytes } from 'node:crypto'
import { parse as parseDotenv } from 'dotenv'

/** Everything the app reads from its environment, parsed and validated once at start. */
export interface AppConfig {
  nodeEnv: 'development' | 'production' | 'test'
  host: string
  port: number
  /** Public base URL without a trailing slash; redirect URIs are built from it. */
  appUrl: string
  secureCookies: boolean
  /** A file path (SQLite) or a postgres:// / postgresql:// URL (PostgreSQL). */
  databaseUrl: string
  databaseKind: 'sqlite' | 'postgres'
  /** PostgreSQL: connections per process, and how long a request waits for one before answering 503. */
  databasePoolSize: number
  databasePoolTimeoutMs: number
  /** How long a write waits for another connection's write lock before answering 503 (SQLITE_BUSY). */
  sqliteBusyTimeoutMs: number
  /**
   * 32-byte keys for @fastify/secure-session from SESSION_SECRET (random per start in development).
   * Several comma-separated secrets rotate without logging anyone out: the first encrypts, all decrypt.
   */
  sessionKeys: Buffer[]
  sessionSecretIsEphemeral: boolean
  logLevel: string
  /** Port of the built-in development provider (0 = any free port). */
  devProviderPort: number
  /** Processes to run (node:cluster); they share the SQLite file and need a shared SESSION_SECRET. */
  webConcurrency: number
  /** Fastify's trustProxy: false, true (only when the app is reachable solely through the proxy), or proxy addresses/CIDRs. */
  trustProxy: boolean | string
  rateLimits: { loginsPerMinute: number, votesPerMinute: number }
  /** redis:// or rediss:// URL: rate-limit counters shared by every node. Unset = each node counts alone. */
  redisUrl?: string
  /** A request whose headers and body have not arrived whole within this long is answered 408 and its connection closed. */
  requestTimeoutMs: number
  /** Open connections at most; more are closed at once, so slow clients cannot use up the file descriptors. */
  maxConnections: number
  /** Absolute lifetime from login and idle timeout since the last request, in milliseconds. */
  sessionLifetimeMs: number
  sessionIdleTimeoutMs: number
  oidc: {
    /** Unset means "start the built-in development provider" (never in production). */
    baseUrl?: string
    clientId?: string
    clientSecret?: string
    projectId: string
    scopes: string
    /** Allowed clock skew when checking exp/iat, in seconds. */
    clockToleranceSeconds: number
    /** Timeout for every call to the provider, in milliseconds. */
    httpTimeoutMs: number
    /** How long a sign-in is trusted before it is re-checked at the provider (refresh token or prompt=none). */
    renewAfterMs: number
    /** Ask for a refresh token (offline_access) so renewals happen server to server, not by redirect. */
    refreshTokens: boolean
  }
}

export class ConfigError extends Error {
  constructor (readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`)
    this.name = 'ConfigError'
  }
}

type Env = Record<string, string | undefined>

/** Process environment wins over `.env`, as with python-dotenv in the seed. */
export function readEnv (envFile = '.env', env: Env = process.env): Env {
  if (!existsSync(envFile)) return { ...env }
  const fromFile = parseDotenv(readFileSync(envFile))
  return { ...fromFile, ...env }
}

const OIDC_KEYS = ['OIDC_OP_BASE_URL', 'OIDC_RP_CLIENT_ID', 'OIDC_RP_CLIENT_SECRET', 'ZITADEL_PROJECT'] as const

export function parseConfig (env: Env): AppConfig {
  const problems: string[] = []
  const value = (key: string): string | undefined => {
    const v = env[key]?.trim()
    return v === '' ? undefined : v
  }

  const nodeEnvRaw = value('NODE_ENV') ?? 'development'
  let nodeEnv: AppConfig['nodeEnv'] = 'development'
  if (nodeEnvRaw === 'production' || nodeEnvRaw === 'test' || nodeEnvRaw === 'development') nodeEnv = nodeEnvRaw
  else problems.push(`NODE_ENV must be development, production or test (got "${nodeEnvRaw}")`)
  const production = nodeEnv === 'production'

  const port = parseInteger(value('PORT') ?? '8000', 'PORT', 1, 65535, problems)
  const host = value('HOST') ?? (production ? '0.0.0.0' : '127.0.0.1')

  let appUrl = `http://localhost:${port}`
  const appUrlRaw = value('APP_URL')
  if (appUrlRaw !== undefined) {
    const url = parseUrl(appUrlRaw, 'APP_URL', problems)
    if (url && url.pathname !== '/') problems.push('APP_URL must be an origin without a path (e.g. https://polls.example.com)')
    if (url) appUrl = url.origin
  }

  const sessionSecret = value('SESSION_SECRET')
  const sessionSecrets = sessionSecret?.split(',').map((part) => part.trim()) ?? []
  if (sessionSecrets.some((part) => part.length < 32)) {
    problems.push('SESSION_SECRET must be at least 32 characters (several, comma-separated, each at least 32; try: openssl rand -base64 48)')
  }
  if (production && sessionSecret === undefined) problems.push('SESSION_SECRET is required in production')
  // Redirect URIs and the Secure cookie flag come from APP_URL: a silent localhost default would break both.
  if (production && appUrlRaw === undefined) problems.push('APP_URL is required in production (the public https origin, e.g. https://polls.example.com)')

  const baseUrlRaw = value('OIDC_OP_BASE_URL')
  const baseUrl = baseUrlRaw === undefined ? undefined : parseUrl(baseUrlRaw, 'OIDC_OP_BASE_URL', problems)?.href.replace(/\/$/, '')
  const clientId = value('OIDC_RP_CLIENT_ID')
  const clientSecret = value('OIDC_RP_CLIENT_SECRET')
  const projectId = value('ZITADEL_PROJECT')
  const anyOidc = OIDC_KEYS.some((k) => value(k) !== undefined)
  if (production || anyOidc) {
    // Half a provider configuration is a mistake, not a request for the development provider.
    for (const key of OIDC_KEYS) {
      if (value(key) === undefined) {
        problems.push(production
          ? `${key} is required in production (the built-in development provider never runs there)`
          : `${key} is required when any of ${OIDC_KEYS.join(', ')} is set`)
      }
    }
  }

  const refreshTokens = parseBoolean(value('OIDC_REFRESH_TOKENS') ?? 'true', 'OIDC_REFRESH_TOKENS', problems)
  const baseScopes = (value('OIDC_RP_SCOPES') ?? 'openid email profile').split(/\s+/)
  if (!baseScopes.includes('openid')) problems.push('OIDC_RP_SCOPES must include "openid"')
  const scopes = [...new Set([...baseScopes, ...(refreshTokens ? ['offline_access'] : [])])].join(' ')
  const renewAfterSeconds = parseInteger(value('OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS') ?? '900', 'OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS', 10, 7 * 86400, problems)
  const sessionLifetimeSeconds = parseInteger(value('SESSION_LIFETIME_SECONDS') ?? '28800', 'SESSION_LIFETIME_SECONDS', 60, 30 * 86400, problems)
  const sessionIdleSeconds = parseInteger(value('SESSION_IDLE_TIMEOUT_SECONDS') ?? '3600', 'SESSION_IDLE_TIMEOUT_SECONDS', 60, 30 * 86400, problems)

  const databaseUrl = value('DATABASE_URL') ?? 'data/polls.db'
  const databaseKind = parseDatabaseKind(databaseUrl, problems)
  const databasePoolSize = parseInteger(value('DATABASE_POOL_SIZE') ?? '10', 'DATABASE_POOL_SIZE', 1, 1000, problems)
  const databasePoolTimeoutMs = parseInteger(value('DATABASE_POOL_TIMEOUT_MS') ?? '2000', 'DATABASE_POOL_TIMEOUT_MS', 10, 60_000, problems)
  const sqliteBusyTimeoutMs = parseInteger(value('SQLITE_BUSY_TIMEOUT_MS') ?? '5000', 'SQLITE_BUSY_TIMEOUT_MS', 0, 600_000, problems)
  const logLevel = value('LOG_LEVEL') ?? (nodeEnv === 'test' ? 'warn' : 'info')
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    problems.push(`LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "${logLevel}")`)
  }
  const devProviderPort = parseInteger(value('DEV_OIDC_PORT') ?? '0', 'DEV_OIDC_PORT', 0, 65535, problems)
  const webConcurrency = parseInteger(value('WEB_CONCURRENCY') ?? '1', 'WEB_CONCURRENCY', 1, 64, problems)
  const trustProxyRaw = value('TRUST_PROXY') ?? 'false'
  const trustProxy = trustProxyRaw === 'false' ? false : trustProxyRaw === 'true' ? true : trustProxyRaw
  if (typeof trustProxy === 'string' && !/^[\d.:a-fA-F/]+(\s*,\s*[\d.:a-fA-F/]+)*$/.test(trustProxy)) {
    problems.push(`TRUST_PROXY must be false, true or a comma-separated list of proxy addresses/CIDRs such as 127.0.0.1,10.0.0.0/8 (got "${trustProxyRaw}")`)
  }
  const rateLimits = {
    loginsPerMinute: parseInteger(value('RATE_LIMIT_LOGINS_PER_MINUTE') ?? '600', 'RATE_LIMIT_LOGINS_PER_MINUTE', 1, 1_000_000, problems),
    votesPerMinute: parseInteger(value('RATE_LIMIT_VOTES_PER_MINUTE') ?? '60', 'RATE_LIMIT_VOTES_PER_MINUTE', 1, 1_000_000, problems)
  }
  const redisUrlRaw = value('REDIS_URL')
  let redisUrl: string | undefined
  if (redisUrlRaw !== undefined) {
    try {
      const url = new URL(redisUrlRaw)
      if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new Error('not redis(s)')
      redisUrl = redisUrlRaw
    } catch {
      // The value may hold a password: name the key and the expected form, never echo it.
      problems.push('REDIS_URL must be a redis:// or rediss:// URL (e.g. redis://redis.internal:6379/0)')
    }
  }
  const requestTimeoutMs = parseInteger(value('REQUEST_TIMEOUT_MS') ?? '30000', 'REQUEST_TIMEOUT_MS', 1000, 300_000, problems)
  const maxConnections = parseInteger(value('MAX_CONNECTIONS') ?? '10000', 'MAX_CONNECTIONS', 16, 1_000_000, problems)
  const timeoutMs = parseInteger(value('OIDC_HTTP_TIMEOUT_MS') ?? '5000', 'OIDC_HTTP_TIMEOUT_MS', 100, 120000, problems)

  if (problems.length > 0) throw new ConfigError(problems)

  return {
    nodeEnv,
    host,
    port,
    appUrl,
    secureCookies: appUrl.startsWith('https:'),
    databaseUrl,
    databaseKind,
    databasePoolSize,
    databasePoolTimeoutMs,
    sqliteBusyTimeoutMs,
    sessionKeys: sessionSecret === undefined ? [randomBytes(32)] : sessionSecrets.map(deriveSessionKey),
    sessionSecretIsEphemeral: sessionSecret === undefined,
    logLevel,
    devProviderPort,
    webConcurrency,
    trustProxy,
    rateLimits,
    redisUrl,
    requestTimeoutMs,
    maxConnections,
    sessionLifetimeMs: sessionLifetimeSeconds * 1000,
    sessionIdleTimeoutMs: sessionIdleSeconds * 1000,
    oidc: {
      baseUrl,
      clientId,
      clientSecret,
      projectId: projectId ?? 'polls-dev',
      scopes,
      clockToleranceSeconds: 30,
      httpTimeoutMs: timeoutMs,
      renewAfterMs: renewAfterSeconds * 1000,
      refreshTokens
    }
  }
}

/** A fast, deterministic KDF is enough: SESSION_SECRET is required to be long and random already. */
export function deriveSessionKey (secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'polls', 'secure-session-v1', 32))
}

function parseInteger (raw: string, key: string, min: number, max: number, problems: string[]): number {
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    problems.push(`${key} must be a whole number from ${min} to ${max} (got "${raw}")`)
    return min
  }
  return n
}

/**
 * postgres:// or postgresql:// selects PostgreSQL; a file path (or :memory:) selects SQLite. Any other
 * scheme is a mistake (a MySQL URL, a file: URL), refused rather than created as a file of that name.
 */
function parseDatabaseKind (raw: string, problems: string[]): 'sqlite' | 'postgres' {
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]+):/.exec(raw)?.[1]?.toLowerCase()
  if (scheme === undefined) return 'sqlite'
  if (scheme !== 'postgres' && scheme !== 'postgresql') {
    problems.push(`DATABASE_URL must be a file path (SQLite) or a postgres:// or postgresql:// URL (got a ${scheme}: URL)`)
    return 'sqlite'
  }
  let url: URL | undefined
  try { url = new URL(raw) } catch { /* reported below */ }
  if (url === undefined || url.hostname === '' || url.pathname.length < 2) {
    problems.push('DATABASE_URL must name a host and a database, as in postgres://user:password@host:5432/polls')
  }
  return 'postgres'
}

function parseBoolean (raw: string, key: string, problems: string[]): boolean {
  if (raw === 'true' || raw === '1') return true
  if (raw === 'false' || raw === '0') return false
  problems.push(`${key} must be true or false (got "${raw}")`)
  return false
}

function parseUrl (raw: string, key: string, problems: string[]): URL | undefined {
  try {
    const url = new URL(raw)
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http(s)')
    return url
  } catch {
    problems.push(`${key} must be an http(s) URL (got "${raw}")`)
    return undefined
  }
}
