/**
 * SQLite failures that are about the database's situation, not about the request: another process holds
 * the write lock longer than the busy timeout, or the file cannot be written (disk full, read-only file
 * system, I/O error). They answer 503 with Retry-After, never 500; every write is a transaction, so a
 * failed one left nothing behind, and the next request simply tries again (no restart needed).
 */
export interface SqliteFault {
  kind: 'busy' | 'unwritable'
  /** SQLite's extended result code, e.g. SQLITE_BUSY or SQLITE_IOERR_WRITE. */
  code: string
  /** The SQLite error itself (drizzle wraps it with the query and its parameters, which are not for logs). */
  error: Error
}

const BUSY = /^SQLITE_(BUSY|LOCKED)(_|$)/
const UNWRITABLE = /^SQLITE_(FULL|READONLY|IOERR|CANTOPEN|NOLFS)(_|$)/

export function sqliteFault (err: unknown): SqliteFault | undefined {
  // better-sqlite3 throws SqliteError with the code; drizzle wraps it in DrizzleQueryError as `cause`.
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as Error & { code?: unknown }).code
    if (typeof code !== 'string') continue
    if (BUSY.test(code)) return { kind: 'busy', code, error: e }
    if (UNWRITABLE.test(code)) return { kind: 'unwritable', code, error: e }
  }
  return undefined
}
