import type { AppConfig } from '../config.ts'
import { openSqliteStore, type SqliteStore } from './sqlite-store.ts'
import { openPostgresStore, type PostgresStore } from './postgres/store.ts'

type DatabaseConfig = Pick<AppConfig, 'databaseUrl' | 'databaseKind' | 'sqliteBusyTimeoutMs' | 'databasePoolSize' | 'databasePoolTimeoutMs'>

/** The store DATABASE_URL names, migrated and ready. */
export async function openStore (config: DatabaseConfig, onBackgroundError?: (err: Error) => void): Promise<SqliteStore | PostgresStore> {
  if (config.databaseKind === 'postgres') {
    return openPostgresStore(config.databaseUrl, { poolSize: config.databasePoolSize, poolTimeoutMs: config.databasePoolTimeoutMs, onBackgroundError })
  }
  return openSqliteStore(config.databaseUrl, { busyTimeoutMs: config.sqliteBusyTimeoutMs })
}
