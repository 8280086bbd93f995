// The cross-node suite (cross-node-suite.ts) with two processes on one PostgreSQL database, empty
// until the nodes migrate it as they start together.
import t from 'tap'
import pg from 'pg'
import { POSTGRES_MIGRATIONS } from '../../src/db/postgres/client.ts'
import { postgresData } from '../helpers/cluster-data.ts'
import { testPostgres } from '../helpers/postgres.ts'
import { crossNodeSuite } from './cross-node-suite.ts'

const server = await testPostgres()
const admin = new pg.Client({ connectionString: server.url('postgres') })
await admin.connect()
await admin.query('create database polls_cross_node')
await admin.end()
const databaseUrl = server.url('polls_cross_node')
const data = postgresData(databaseUrl)
t.teardown(() => data.close())
await crossNodeSuite(t, databaseUrl, POSTGRES_MIGRATIONS, data)
