import { resolve } from 'node:path'
import { parseConfig, readEnv } from '../config.ts'
import { openDatabase } from './client.ts'

// `npm run db:backup -- <file>`: an online, consistent copy through SQLite's backup API, safe while the
// app serves traffic (WAL readers and the single writer go on). Restore: stop the app, put the copy at
// DATABASE_URL (removing any -wal/-shm files beside it), start the app.
const target = process.argv[2]
if (target === undefined || target.startsWith('-')) {
  console.error('usage: npm run db:backup -- <backup-file>')
  process.exit(2)
}
const config = parseConfig(readEnv())
if (config.databaseKind === 'postgres') {
  console.error('DATABASE_URL names PostgreSQL: back it up with pg_dump (docs/several-machines.md)')
  process.exit(2)
}
if (resolve(target) === resolve(config.databaseUrl)) {
  console.error('the backup file must not be the database itself')
  process.exit(2)
}
const db = openDatabase(config.databaseUrl, { busyTimeoutMs: config.sqliteBusyTimeoutMs })
const started = Date.now()
db.$client.backup(target).then(({ totalPages }) => {
  db.$client.close()
  console.log(`Backed up ${config.databaseUrl} to ${target} (${totalPages} pages) in ${Date.now() - started} ms.`)
}, (err: Error) => {
  console.error(`Backup failed: ${err.message}`)
  process.exit(1)
})
