import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { freePort } from './free-port.ts'
import { openPostgresStore } from '../../src/db/postgres/store.ts'

/**
 * A throwaway PostgreSQL server from Debian's package: initdb into a temporary directory, on a free
 * loopback port, run as the `postgres` OS user when we are root (PostgreSQL refuses to run as root).
 * One server per test process (started at the first use), a fresh database per test, cloned from a
 * migrated template; the server and its directory go when the process exits.
 */
export interface PostgresServer {
  /** postgres://… of a database on this server. */
  url: (database: string) => string
  /** A new database with every migration applied; its URL. */
  freshDatabase: () => Promise<string>
  /** A new database with nothing in it, not even the migrations. */
  emptyDatabase: () => Promise<string>
  /** The server stops (as in a restart or a crash of the database host); `up` starts it again on the same data and port. */
  down: () => Promise<void>
  up: () => Promise<void>
  stop: () => Promise<void>
}

const INSTALL_HINT = 'Install the server with `apt-get install postgresql` (Debian; .ci/run does this when it is missing), or set POSTGRES_BIN to a folder holding initdb and postgres.'

/** The folder of initdb and postgres: POSTGRES_BIN, else the newest /usr/lib/postgresql/<version>/bin. */
export function postgresBin (): string {
  const candidates = process.env.POSTGRES_BIN !== undefined
    ? [process.env.POSTGRES_BIN]
    : existsSync('/usr/lib/postgresql')
      ? readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a)).map((v) => `/usr/lib/postgresql/${v}/bin`)
      : []
  const found = candidates.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres')))
  if (found === undefined) throw new Error(`PostgreSQL's server programs (initdb, postgres) were not found in ${candidates.join(', ') || '/usr/lib/postgresql/<version>/bin'}. ${INSTALL_HINT}`)
  return found
}

/** Who runs the server: the postgres user when we are root, ourselves otherwise. */
function serverUser (): { uid: number, gid: number } | undefined {
  if (userInfo().uid !== 0) return undefined
  const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' })
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' })
  if (uid.status !== 0 || gid.status !== 0) throw new Error(`Running as root, PostgreSQL needs the \`postgres\` OS user to run as, and there is none. ${INSTALL_HINT}`)
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) }
}

export async function startPostgresServer (): Promise<PostgresServer> {
  const bin = postgresBin()
  const owner = serverUser()
  const dir = mkdtempSync(join(tmpdir(), 'polls-pg-'))
  if (owner !== undefined) chownSync(dir, owner.uid, owner.gid)
  const data = join(dir, 'data')
  const initdb = spawnSync(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync', '--no-instructions'],
    { encoding: 'utf8', ...owner })
  if (initdb.status !== 0) {
    rmSync(dir, { recursive: true, force: true })
    throw new Error(`initdb failed (${initdb.status ?? initdb.signal}): ${initdb.stderr || initdb.error?.message}`)
  }
  const port = await freePort()
  let log = ''
  let server: ChildProcess
  // fsync off: a test server's data need not survive a power cut, and its tests run faster for it
  // (a node killed with kill -9 loses nothing either way: the kernel still holds what was written).
  const spawnServer = () => {
    server = spawn(join(bin, 'postgres'), ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1',
      '-c', 'fsync=off', '-c', 'full_page_writes=off', '-c', 'max_connections=200', '-c', 'shared_buffers=64MB'], { stdio: ['ignore', 'ignore', 'pipe'], ...owner })
    server.stderr?.on('data', (chunk: Buffer) => { log = (log + chunk.toString()).slice(-4000) })
    // The server must not keep the test process alive: it is stopped when the process exits.
    server.unref()
    ;(server.stderr as unknown as { unref?: () => void } | null)?.unref?.()
  }
  const shutDown = () => new Promise<void>((resolve) => {
    if (server.exitCode !== null || server.signalCode !== null) return resolve()
    server.once('exit', () => resolve())
    server.kill('SIGINT') // fast shutdown: clients are disconnected, nothing is waited for
  })
  spawnServer()
  const removeDir = () => rmSync(dir, { recursive: true, force: true })
  const onExit = () => { server.kill('SIGKILL'); removeDir() }
  process.once('exit', onExit)
  // A test process killed by a signal runs no exit handler: a watchdog outside it stops the server
  // (immediate shutdown, by the pid file) and removes its folder once this process is gone.
  const watchdog = spawn('sh', ['-c', `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done
    pid=$(head -1 "$1/postmaster.pid" 2>/dev/null) && kill -QUIT "$pid" 2>/dev/null; sleep 1; rm -rf "$2"`, 'watchdog', data, dir],
  { detached: true, stdio: 'ignore' })
  watchdog.unref()

  const url = (database: string) => `postgres://postgres@127.0.0.1:${port}/${database}`
  await waitUntilAccepting(url('postgres'), server!, () => log)

  const admin = new pg.Pool({ connectionString: url('postgres'), max: 2, allowExitOnIdle: true })
  admin.on('error', () => {}) // its idle connections break when the server is taken down on purpose
  let template: Promise<void> | undefined
  let counter = 0
  const migratedTemplate = () => (template ??= (async () => {
    await admin.query('create database polls_template')
    const store = await openPostgresStore(url('polls_template'), { poolSize: 2 })
    await store.close()
  })())

  return {
    url,
    async freshDatabase () {
      await migratedTemplate()
      const name = `polls_${process.pid}_${++counter}`
      await admin.query(`create database ${name} template polls_template`)
      return url(name)
    },
    async emptyDatabase () {
      const name = `polls_${process.pid}_${++counter}_empty`
      await admin.query(`create database ${name} template template0`)
      return url(name)
    },
    async down () {
      await shutDown()
    },
    async up () {
      spawnServer()
      await waitUntilAccepting(url('postgres'), server, () => log)
    },
    async stop () {
      await admin.end()
      await shutDown()
      process.removeListener('exit', onExit)
      removeDir()
    }
  }
}

async function waitUntilAccepting (url: string, server: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 30_000
  for (;;) {
    if (server.exitCode !== null) throw new Error(`postgres exited (${server.exitCode}) before accepting connections: ${log()}`)
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 })
    try {
      await client.connect()
      await client.end()
      return
    } catch (err) {
      await client.end().catch(() => {})
      if (Date.now() > deadline) throw new Error(`postgres did not accept connections within 30 s: ${(err as Error).message}; ${log()}`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
}

let shared: Promise<PostgresServer> | undefined

/** This test process's server, started at the first call and stopped when the process exits. */
export function testPostgres (): Promise<PostgresServer> {
  return (shared ??= startPostgresServer())
}

/** A fresh migrated database on this process's server, for one test. */
export async function freshPostgresUrl (): Promise<string> {
  return (await testPostgres()).freshDatabase()
}
