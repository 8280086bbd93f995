import { sql, type AnyColumn, type SQL } from 'drizzle-orm'

/** The LIKE pattern (with `escape '\\'`) matching `text` anywhere, the user's % and _ taken literally. */
export function likePattern (text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
}

/** Case-insensitive substring match (SQLite LIKE: ASCII letters only), with % and _ taken literally. */
export function contains (column: AnyColumn, text: string): SQL {
  return sql`${column} like ${likePattern(text)} escape '\\'`
}
