import type { FastifyInstance } from 'fastify'
import { TestBrowser, buildTestApp, type DatabaseKind, type TestApp } from '../../helpers/app.ts'
import { sqlValue } from '../../helpers/databases.ts'

interface TapLike { teardown: (fn: () => unknown) => void }

export const HTMX = { 'hx-request': 'true' }

/** An app with alice (admin) signed in; `hx` adds the htmx headers with her CSRF token. */
export async function adminSession (t: TapLike, db: DatabaseKind = 'sqlite'): Promise<TestApp & { alice: TestBrowser, hx: Record<string, string>, token: string }> {
  const testApp = await buildTestApp(t, { db })
  const alice = new TestBrowser(testApp.app)
  await alice.login('alice')
  const token = await alice.csrfToken('/admin/')
  return { ...testApp, alice, token, hx: { ...HTMX, 'x-csrf-token': token } }
}

export function count (app: FastifyInstance, table: 'questions' | 'choices' | 'votes' | 'admin_log' | 'users' | 'sessions'): Promise<number> {
  return sqlValue(app, `select count(*) as n from ${table}`)
}

export function rowTitles (body: string): string[] {
  return [...body.matchAll(/<th scope="row"><a href="\/admin\/questions\/\d+\/">([^<]*)<\/a>/g)].map((m) => m[1] ?? '')
}
