import type { AppConfig } from '../config.ts'
import { openSqliteStore, type SqliteStore } from './sqlite-store.ts'

/** The store DATABASE_URL names, migrated and ready. */
export async function openStore (config: Pick<AppConfig, 'databaseUrl' | 'sqliteBusyTimeoutMs'>): Promise<SqliteStore> {
  return openSqliteStore(config.databaseUrl, { busyTimeoutMs: config.sqliteBusyTimeoutMs })
}
