import t, { type Test as TapTest } from 'tap'
import pg from 'pg'
import type { FastifyInstance } from 'fastify'
import { DATABASES, type DatabaseKind } from './app.ts'

type Test = TapTest

// count(*) is a bigint in PostgreSQL, which pg hands over as a string; the tests compare numbers.
pg.types.setTypeParser(20, Number)

/** A test that touches data, run once on each database (its own subtest, named after it). */
export function eachDatabase (name: string, fn: (t: Test, db: DatabaseKind) => Promise<void>): void {
  for (const db of DATABASES) t.test(`${name} [${db}]`, (t) => fn(t, db))
}

/**
 * A statement the test makes on the app's database directly, written once for both: `?` placeholders,
 * Dates as parameters (milliseconds on SQLite) and back (PostgreSQL's timestamps read as milliseconds).
 */
export async function sqlRows<T = Record<string, unknown>> (app: FastifyInstance, text: string, params: unknown[] = []): Promise<T[]> {
  const store = app.store
  if (store.kind === 'sqlite') {
    const stmt = store.db.$client.prepare(text)
    const values = params.map((p) => p instanceof Date ? p.getTime() : p)
    return (stmt.reader ? stmt.all(...values) : (stmt.run(...values), [])) as T[]
  }
  let n = 0
  const result = await store.pool.query(text.replace(/\?/g, () => `$${++n}`), params)
  return result.rows.map((row: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v instanceof Date ? v.getTime() : v]))) as T[]
}

export async function sqlRow<T = Record<string, unknown>> (app: FastifyInstance, text: string, params: unknown[] = []): Promise<T | undefined> {
  return (await sqlRows<T>(app, text, params))[0]
}

/** The first column of the first row (a count, an id). */
export async function sqlValue<T = number> (app: FastifyInstance, text: string, params: unknown[] = []): Promise<T> {
  const row = await sqlRow(app, text, params)
  return (row === undefined ? undefined : Object.values(row)[0]) as T
}
