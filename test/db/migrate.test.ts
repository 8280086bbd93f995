// Migrations at start: several processes on a fresh file apply them once; a failure changes nothing.
import t from 'tap'
import Database from 'better-sqlite3'
import { spawn } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openDatabase } from '../../src/db/client.ts'
import { MigrationError } from '../../src/db/migrate.ts'
import { projectRoot } from '../../src/paths.ts'
import { freePort } from '../helpers/free-port.ts'

const tsxLoader = new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url).href
const journalPath = (folder: string) => join(folder, 'meta/_journal.json')
const realEntries = (JSON.parse(readFileSync(journalPath(join(projectRoot, 'drizzle')), 'utf8')) as { entries: Array<{ tag: string }> }).entries

function tempDir (t: { teardown: (fn: () => unknown) => void }, prefix: string) {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** Everything a migration could change: the schema and drizzle's bookkeeping. */
function snapshot (file: string) {
  const db = new Database(file, { readonly: true })
  try {
    const schema = db.prepare("select type, name, sql from sqlite_master where name not like 'sqlite_%' order by type, name").all()
    const hasLog = db.prepare("select 1 from sqlite_master where name = '__drizzle_migrations'").get() !== undefined
    const applied = hasLog ? db.prepare('select hash, created_at from "__drizzle_migrations" order by created_at').all() : []
    return { schema, applied }
  } finally {
    db.close()
  }
}

/** A copy of drizzle/ with only the first `keep` migrations, plus any extra ones, as drizzle-kit writes them. */
function migrationsFolder (dir: string, keep: number, extra: Array<{ tag: string, sql: string }> = []) {
  const folder = join(dir, 'drizzle')
  cpSync(join(projectRoot, 'drizzle'), folder, { recursive: true })
  const journal = JSON.parse(readFileSync(journalPath(folder), 'utf8')) as { entries: Array<{ idx: number, when: number, tag: string }> }
  journal.entries = journal.entries.slice(0, keep)
  for (const migration of extra) {
    const last = journal.entries[journal.entries.length - 1]
    journal.entries.push({ ...last, idx: journal.entries.length, when: (last?.when ?? 0) + 1000, tag: migration.tag } as typeof journal.entries[number])
    writeFileSync(join(folder, `${migration.tag}.sql`), migration.sql)
  }
  writeFileSync(journalPath(folder), JSON.stringify(journal))
  return folder
}

t.test('several processes starting together on a fresh file: all succeed, each migration applied once', async (t) => {
  const dir = tempDir(t, 'polls-migrate-')
  const file = join(dir, 'polls.db')
  // The real migrations and one that takes a while, as a large table rewrite would: the others start
  // while the first is still migrating.
  const folder = migrationsFolder(dir, realEntries.length, [
    { tag: '0005_slow', sql: 'CREATE TABLE `numbers` AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300000) SELECT i FROM n;' }
  ])
  const script = `
    import { openDatabase } from ${JSON.stringify(join(projectRoot, 'src/db/client.ts'))}
    process.stdout.write('loaded\\n')
    process.stdin.once('data', () => {
      try {
        openDatabase(${JSON.stringify(file)}, { migrationsFolder: ${JSON.stringify(folder)} }).$client.close()
        process.stdout.write('migrated\\n')
        process.exit(0)
      } catch (err) {
        process.stderr.write(String(err.message) + '\\n')
        process.exit(1)
      }
    })`
  const starters = Array.from({ length: 6 }, () => {
    const child = spawn(process.execPath, ['--import', tsxLoader, '--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'pipe'] })
    let output = ''
    const loaded = new Promise<void>((resolve) => child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes('loaded')) resolve()
    }))
    child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
    t.teardown(() => { child.kill('SIGKILL') })
    return { child, loaded, exited, output: () => output }
  })
  // Modules loaded everywhere first, then one signal: the processes open the fresh file together.
  await Promise.all(starters.map((s) => s.loaded))
  for (const s of starters) s.child.stdin.end('go\n')
  const codes = await Promise.all(starters.map((s) => s.exited))
  starters.forEach((s, i) => t.equal(codes[i], 0, `process ${i + 1} started: ${s.output().trim().replace(/\s+/g, ' ')}`))
  const { schema, applied } = snapshot(file)
  t.equal(applied.length, realEntries.length + 1, 'each migration recorded once')
  t.ok(schema.some((o) => (o as { name: string }).name === 'votes'), 'the schema is there')
  const db = new Database(file, { readonly: true })
  t.equal(db.prepare('select count(*) from numbers').pluck().get(), 300000, 'the slow one ran once')
  t.equal(db.pragma('integrity_check', { simple: true }), 'ok')
  t.equal(db.pragma('journal_mode', { simple: true }), 'wal')
  db.close()
})

t.test('a failing migration changes nothing, even the ones before it in the same start, and is named', async (t) => {
  const dir = tempDir(t, 'polls-migrate-')
  const file = join(dir, 'polls.db')
  openDatabase(file, { migrationsFolder: migrationsFolder(dir, 3) }).$client.close()
  const before = snapshot(file)
  t.equal(before.applied.length, 3)

  const broken = migrationsFolder(join(dir, 'broken'), realEntries.length, [
    { tag: '0005_fine', sql: 'CREATE TABLE `tags` (`id` integer PRIMARY KEY);\n--> statement-breakpoint\nALTER TABLE `questions` ADD `tag_id` integer;' },
    { tag: '0006_broken', sql: 'CREATE INDEX `tags_id` ON `tags` (`id`);\n--> statement-breakpoint\nINSERT INTO `no_such_table` VALUES (1);' }
  ])
  t.throws(() => openDatabase(file, { migrationsFolder: broken }), MigrationError)
  t.throws(() => openDatabase(file, { migrationsFolder: broken }), { message: /^Migration 0006_broken failed, so no migration was applied and the database is as it was: no such table: no_such_table/ })
  t.same(snapshot(file), before, 'schema and migration log exactly as before (0003 and 0004 rolled back too)')

  const fresh = join(dir, 'fresh.db')
  t.throws(() => openDatabase(fresh, { migrationsFolder: broken }), { message: /0006_broken/ })
  t.same(snapshot(fresh), { schema: [], applied: [] }, 'a fresh file stays empty')

  const db = openDatabase(file)
  t.equal(snapshot(file).applied.length, realEntries.length, 'the good folder still applies afterwards')
  db.$client.close()
})

t.test('the app refuses to start on a failing migration, says which, and leaves the file as it was', async (t) => {
  const dir = tempDir(t, 'polls-migrate-')
  const file = join(dir, 'polls.db')
  // The newest migration that creates a table; the database has every migration before it.
  const creates = (tag: string) => /CREATE (?:VIRTUAL )?TABLE `(\w+)`/.exec(readFileSync(join(projectRoot, 'drizzle', `${tag}.sql`), 'utf8'))?.[1]
  const upTo = realEntries.map((entry) => creates(entry.tag) !== undefined).lastIndexOf(true)
  t.ok(upTo > 0, 'a migration that creates a table')
  openDatabase(file, { migrationsFolder: migrationsFolder(dir, upTo) }).$client.close()
  // Someone made by hand a table that the next migration creates.
  const lastTag = realEntries[upTo]?.tag ?? ''
  const created = creates(lastTag) ?? ''
  const manual = new Database(file)
  manual.exec(`CREATE TABLE \`${created}\` (x)`)
  manual.close()
  const before = snapshot(file)

  const child = spawn(process.execPath, ['--import', tsxLoader, join(projectRoot, 'src/server.ts')], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', PORT: String(await freePort()), DATABASE_URL: file, OIDC_OP_BASE_URL: 'http://127.0.0.1:9', OIDC_RP_CLIENT_ID: 'x', OIDC_RP_CLIENT_SECRET: 'y', ZITADEL_PROJECT: 'p' },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  t.teardown(() => { child.kill('SIGKILL') })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
  t.equal(code, 1, 'the start stops')
  t.match(output, `Polls could not start: Migration ${lastTag} failed, so no migration was applied and the database is as it was: table \`${created}\` already exists`)
  t.same(snapshot(file), before, 'the database is unchanged')
})

t.test('0009: questions already there are searchable afterwards, by text, one or two characters, and date', async (t) => {
  const dir = tempDir(t, 'polls-migrate-')
  const file = join(dir, 'polls.db')
  const upTo = realEntries.findIndex((entry) => entry.tag.startsWith('0009_'))
  t.ok(upTo > 0, 'the migration is in the journal')
  const before = openDatabase(file, { migrationsFolder: migrationsFolder(dir, upTo) })
  const insert = before.$client.prepare('insert into questions (question_text, pub_date) values (?, ?)')
  insert.run('Old question about Été?', Date.UTC(2020, 4, 6, 7, 8))
  insert.run('Before 1970?', -1)
  before.$client.close()

  const db = openDatabase(file)
  const sqlite = db.$client
  const count = (table: string, phrase: string, days?: [number, number]) => sqlite.prepare(`select count(*) from ${table} where ${table} match ?${days === undefined ? '' : ' and rowid >= ? * 4294967296 and rowid < ? * 4294967296'}`)
    .pluck().get(`"${phrase}"`, ...(days ?? [])) as number
  const day = (ms: number) => Math.floor(ms / (24 * 60 * 60 * 1000))
  t.equal(count('questions_search', 'question about été'), 1, 'by text, any case')
  t.equal(count('questions_search_short', '\u0001?\u0001'), 2, 'one character')
  t.equal(count('questions_search_short', 'É\u0001t'), 1, 'two characters')
  t.equal(count('questions_search', 'question', [day(Date.UTC(2020, 4, 6)), day(Date.UTC(2020, 4, 7))]), 1, 'on its day')
  t.equal(count('questions_search', '1970', [-1, 0]), 1, 'a date before 1970 on its day')
  t.equal(count('questions_search', 'question', [day(Date.UTC(2020, 4, 7)), day(Date.UTC(2020, 4, 8))]), 0, 'and not the next')
  t.equal(sqlite.prepare("select count(*) from sqlite_master where name like 'questions_fts%'").pluck().get(), 0, 'the old index and its triggers are gone')
  t.equal(sqlite.pragma('integrity_check', { simple: true }), 'ok')
  sqlite.close()
})
