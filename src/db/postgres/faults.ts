/**
 * PostgreSQL failures that are about the database's situation, not the request: the server is down,
 * restarting or unreachable, every connection is taken, a lock or statement waited too long, the disk
 * is full. They answer 503 with Retry-After (src/plugins/app/errors.ts); every write is one statement
 * or one transaction, so a failed one left nothing behind, and the pool reconnects by itself.
 */
export interface PgFault {
  kind: 'busy' | 'unavailable' | 'unwritable'
  code: string
  error: Error
}

const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE'])
const BUSY = new Set([
  '53300', // too_many_connections
  '55P03', // lock_not_available (lock_timeout)
  '57014', // query_canceled (statement_timeout)
  '40001', // serialization_failure
  '40P01' // deadlock_detected
])
const UNWRITABLE = new Set(['53100', '25006']) // disk_full, read_only_sql_transaction

export function pgFault (err: unknown): PgFault | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as Error & { code?: unknown }).code
    if (typeof code === 'string') {
      if (NETWORK.has(code) || code.startsWith('08') || code.startsWith('57P')) return { kind: 'unavailable', code, error: e }
      if (BUSY.has(code)) return { kind: 'busy', code, error: e }
      if (UNWRITABLE.has(code)) return { kind: 'unwritable', code, error: e }
    }
    // pg and pg-pool raise these without a code.
    if (/^timeout exceeded when trying to connect$/.test(e.message)) return { kind: 'busy', code: 'POOL_TIMEOUT', error: e }
    if (/^Connection terminated|^Client has encountered a connection error|^terminating connection/.test(e.message)) return { kind: 'unavailable', code: 'CONNECTION_LOST', error: e }
  }
  return undefined
}
