import t from 'tap'
import { join } from 'node:path'
import { openDatabase } from '../../src/db/client.ts'
import { buildTestApp } from '../helpers/app.ts'
import type Database from 'better-sqlite3'

// kill -9 cannot show a lost write (the OS still has it), so durability is held to the settings.
function pragmas (sqlite: Database.Database) {
  return {
    journalMode: sqlite.pragma('journal_mode', { simple: true }),
    synchronous: sqlite.pragma('synchronous', { simple: true }),
    foreignKeys: sqlite.pragma('foreign_keys', { simple: true }),
    busyTimeout: sqlite.pragma('busy_timeout', { simple: true })
  }
}

const EXPECTED = { journalMode: 'wal', synchronous: 2, foreignKeys: 1 }

t.test('every connection openDatabase returns is WAL, synchronous=FULL, with foreign keys and the busy timeout', async (t) => {
  const file = join(t.testdir({}), 'polls.db')
  const fresh = openDatabase(file, { busyTimeoutMs: 1234 })
  t.match(pragmas(fresh.$client), { ...EXPECTED, busyTimeout: 1234 }, 'a new file')
  const second = openDatabase(file)
  t.match(pragmas(second.$client), { ...EXPECTED, busyTimeout: 5000 }, 'a second connection to the existing file')
  second.$client.close()
  fresh.$client.close()
  const reopened = openDatabase(file, { busyTimeoutMs: 50 })
  t.match(pragmas(reopened.$client), { ...EXPECTED, busyTimeout: 50 }, 'the file reopened')
  reopened.$client.close()
})

t.test("the app's own connection has the same settings", async (t) => {
  const { app } = await buildTestApp(t, { env: { SQLITE_BUSY_TIMEOUT_MS: '777' } })
  t.match(pragmas(app.db.$client), { ...EXPECTED, busyTimeout: 777 })
})
