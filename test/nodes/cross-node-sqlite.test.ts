// The cross-node suite (cross-node-suite.ts) with two processes on one SQLite file, created by the
// nodes as they start together.
import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SQLITE_MIGRATIONS } from '../../src/db/client.ts'
import { sqliteData } from '../helpers/cluster-data.ts'
import { crossNodeSuite } from './cross-node-suite.ts'

const dir = mkdtempSync(join(tmpdir(), 'polls-cross-node-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const databaseUrl = join(dir, 'polls.db')
await crossNodeSuite(t, databaseUrl, SQLITE_MIGRATIONS, sqliteData(databaseUrl))
