import { sql, type AnyColumn, type SQL } from 'drizzle-orm'

/** Case-insensitive substring match (SQLite LIKE), with the user's % and _ taken literally. */
export function contains (column: AnyColumn, text: string): SQL {
  const pattern = `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
  return sql`${column} like ${pattern} escape '\\'`
}
