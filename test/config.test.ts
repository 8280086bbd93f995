import t from 'tap'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError, parseConfig, readEnv } from '../src/config.ts'

const OIDC = {
  OIDC_OP_BASE_URL: 'https://example.zitadel.cloud',
  OIDC_RP_CLIENT_ID: '249703852243222581@python',
  OIDC_RP_CLIENT_SECRET: 'secret',
  ZITADEL_PROJECT: '249703732336418457'
}

function problems (env: Record<string, string>): string[] {
  try {
    parseConfig(env)
  } catch (err) {
    if (err instanceof ConfigError) return err.problems
    throw err
  }
  return []
}

t.test('defaults: development with the built-in provider', async (t) => {
  const config = parseConfig({})
  t.equal(config.port, 8000)
  t.equal(config.appUrl, 'http://localhost:8000')
  t.equal(config.databaseUrl, 'data/polls.db')
  t.equal(config.oidc.scopes, 'openid email profile offline_access', 'a refresh token is asked for')
  t.equal(parseConfig({ OIDC_REFRESH_TOKENS: 'false' }).oidc.scopes, 'openid email profile', 'unless refresh tokens are off')
  t.equal(config.oidc.renewAfterMs, 900_000, 'OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS defaults to 900')
  t.equal(config.sessionLifetimeMs, 8 * 3600_000)
  t.equal(config.sessionIdleTimeoutMs, 3600_000)
  t.equal(config.oidc.baseUrl, undefined, 'no provider configured → development provider')
  t.equal(config.secureCookies, false)
  t.equal(config.sessionKeys[0]?.length, 32)
  t.ok(config.sessionSecretIsEphemeral)
  t.equal(parseConfig({ PORT: '9000' }).appUrl, 'http://localhost:9000', 'APP_URL follows PORT')
})

t.test('the seed\'s names configure the provider', async (t) => {
  const config = parseConfig({ ...OIDC, APP_URL: 'https://polls.example.com/', SESSION_SECRET: 'x'.repeat(40) })
  t.equal(config.oidc.baseUrl, 'https://example.zitadel.cloud')
  t.equal(config.oidc.clientId, '249703852243222581@python')
  t.equal(config.oidc.projectId, '249703732336418457')
  t.equal(config.appUrl, 'https://polls.example.com')
  t.ok(config.secureCookies)
  t.same(config.sessionKeys, parseConfig({ ...OIDC, SESSION_SECRET: 'x'.repeat(40) }).sessionKeys, 'the key is derived deterministically')
  const rotated = parseConfig({ ...OIDC, SESSION_SECRET: `${'n'.repeat(40)}, ${'x'.repeat(40)}` })
  t.equal(rotated.sessionKeys.length, 2, 'several secrets for rotation')
  t.same(rotated.sessionKeys[1], config.sessionKeys[0], 'the old key still decrypts')
})

t.test('bad values are refused with a message naming the key', async (t) => {
  t.match(problems({ PORT: 'eighty' }), [/PORT must be a whole number/])
  t.match(problems({ PORT: '70000' }), [/PORT/])
  t.match(problems({ PORT: '0' }), [/PORT/])
  t.match(problems({ LOG_LEVEL: 'loud' }), [/LOG_LEVEL must be one of/])
  t.match(problems({ DEV_OIDC_PORT: 'x' }), [/DEV_OIDC_PORT/])
  t.match(problems({ TRUST_PROXY: 'yes please' }), [/TRUST_PROXY must be false, true or a comma-separated list/])
  t.same(problems({ TRUST_PROXY: '127.0.0.1, 10.0.0.0/8' }), [])
  t.match(problems({ RATE_LIMIT_VOTES_PER_MINUTE: '0' }), [/RATE_LIMIT_VOTES_PER_MINUTE/])
  t.match(problems({ REDIS_URL: 'localhost:6379' }), [/REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL/])
  t.notMatch(problems({ REDIS_URL: 'http://:hunter2@cache:6379' }).join(), /hunter2/, 'a refused REDIS_URL is not echoed (it may hold a password)')
  t.equal(parseConfig({ REDIS_URL: 'rediss://:pw@cache.internal:6380/2' }).redisUrl, 'rediss://:pw@cache.internal:6380/2')
  t.equal(parseConfig({}).redisUrl, undefined, 'no REDIS_URL: rate limits are counted per node')
  t.match(problems({ SQLITE_BUSY_TIMEOUT_MS: '5s' }), [/SQLITE_BUSY_TIMEOUT_MS must be a whole number/])
  t.equal(parseConfig({ SQLITE_BUSY_TIMEOUT_MS: '250' }).sqliteBusyTimeoutMs, 250)
  t.match(problems({ REQUEST_TIMEOUT_MS: '0' }), [/REQUEST_TIMEOUT_MS must be a whole number from 1000/])
  t.match(problems({ MAX_CONNECTIONS: 'many' }), [/MAX_CONNECTIONS must be a whole number/])
  t.equal(parseConfig({}).requestTimeoutMs, 30_000, 'requests are bounded by default')
  t.equal(parseConfig({}).maxConnections, 10_000, 'and so are connections')
  t.match(problems({ APP_URL: 'localhost:8000' }), [/APP_URL must be an http\(s\) URL/])
  t.match(problems({ APP_URL: 'http://x.example/app' }), [/APP_URL must be an origin/])
  t.match(problems({ SESSION_SECRET: 'short' }), [/SESSION_SECRET must be at least 32/])
  t.match(problems({ SESSION_SECRET: `${'x'.repeat(40)},short` }), [/SESSION_SECRET must be at least 32/])
  t.match(problems({ NODE_ENV: 'staging' }), [/NODE_ENV/])
  t.match(problems({ OIDC_RP_SCOPES: 'email profile' }), [/OIDC_RP_SCOPES must include "openid"/])
  t.match(problems({ OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS: '5' }), [/OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS must be a whole number from 10/])
  t.match(problems({ OIDC_REFRESH_TOKENS: 'maybe' }), [/OIDC_REFRESH_TOKENS must be true or false/])
  t.match(problems({ SESSION_LIFETIME_SECONDS: '1' }), [/SESSION_LIFETIME_SECONDS/])
  t.match(problems({ SESSION_IDLE_TIMEOUT_SECONDS: 'soon' }), [/SESSION_IDLE_TIMEOUT_SECONDS/])
  t.match(problems({ OIDC_OP_BASE_URL: 'ftp://x' }).join('\n'), /OIDC_OP_BASE_URL must be an http\(s\) URL/)
  const partial = problems({ OIDC_OP_BASE_URL: 'https://example.zitadel.cloud' })
  t.match(partial.join('\n'), /OIDC_RP_CLIENT_ID is required/)
  t.match(partial.join('\n'), /OIDC_RP_CLIENT_SECRET is required/)
  t.match(partial.join('\n'), /ZITADEL_PROJECT is required/)
})

t.test('DATABASE_URL: a path selects SQLite, postgres:// or postgresql:// PostgreSQL, anything else is refused', async (t) => {
  t.equal(parseConfig({}).databaseKind, 'sqlite', 'the default file')
  t.equal(parseConfig({ DATABASE_URL: '/var/lib/polls/polls.db' }).databaseKind, 'sqlite')
  t.equal(parseConfig({ DATABASE_URL: 'data/polls.db' }).databaseKind, 'sqlite')
  for (const url of ['postgres://polls:secret@db.internal:5432/polls', 'postgresql://localhost/polls', 'POSTGRES://db/polls']) {
    t.equal(parseConfig({ DATABASE_URL: url }).databaseKind, 'postgres', url)
  }
  const pool = parseConfig({ DATABASE_URL: 'postgres://db/polls', DATABASE_POOL_SIZE: '25', DATABASE_POOL_TIMEOUT_MS: '500' })
  t.same([pool.databasePoolSize, pool.databasePoolTimeoutMs], [25, 500], 'pool size and acquire timeout')
  t.same([parseConfig({}).databasePoolSize, parseConfig({}).databasePoolTimeoutMs], [10, 2000], 'their defaults')
  for (const url of ['mysql://db/polls', 'file:polls.db', 'http://db/polls', 'sqlite://polls.db', 'postgres://', 'postgres://db']) {
    const found = problems({ DATABASE_URL: url })
    t.equal(found.length, 1, `${JSON.stringify(url)} refused`)
    t.match(found[0], /^DATABASE_URL must /, 'the message names DATABASE_URL')
  }
  t.match(problems({ DATABASE_URL: 'mysql://db/polls' })[0], /got a mysql: URL/, 'and says what it got')
  t.match(problems({ DATABASE_POOL_SIZE: '0' })[0], /^DATABASE_POOL_SIZE must be/)
  t.match(problems({ DATABASE_POOL_TIMEOUT_MS: 'soon' })[0], /^DATABASE_POOL_TIMEOUT_MS must be/)
})

t.test('production requires SESSION_SECRET and the OIDC settings', async (t) => {
  const missing = problems({ NODE_ENV: 'production' }).join('\n')
  for (const key of ['SESSION_SECRET', 'APP_URL', 'OIDC_OP_BASE_URL', 'OIDC_RP_CLIENT_ID', 'OIDC_RP_CLIENT_SECRET', 'ZITADEL_PROJECT']) {
    t.match(missing, new RegExp(`${key} is required in production`))
  }
  t.same(problems({ NODE_ENV: 'production', SESSION_SECRET: 'y'.repeat(48), APP_URL: 'https://polls.example.com', ...OIDC }), [])
})

t.test('.env is read, and the environment wins over it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'polls-env-'))
  const file = join(dir, '.env')
  writeFileSync(file, 'ZITADEL_PROJECT = "from-file"\nPORT=8100\n')
  const env = readEnv(file, { PORT: '8200' })
  t.equal(env.ZITADEL_PROJECT, 'from-file')
  t.equal(env.PORT, '8200')
  t.same(readEnv(join(dir, 'missing.env'), { A: '1' }), { A: '1' })
})
