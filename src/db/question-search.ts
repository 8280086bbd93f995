// The admin table's search indexes (drizzle/0009): which one a search uses, its FTS5 query, and how a
// date filter becomes a range of the index's keys (day * 2^32 + id).

const DAY_MS = 24 * 60 * 60 * 1000
const SEPARATOR = '\u0001'

export interface SearchIndex {
  /** questions_search (3+ characters) or questions_search_short (1 or 2). */
  table: 'questions_search' | 'questions_search_short'
  /** The FTS5 query: one quoted phrase, so the search text is never read as query syntax. */
  phrase: string
}

const quoted = (text: string) => `"${text.replaceAll('"', '""')}"`

/**
 * Substring search, case-insensitive (Unicode case folding, as the trigram tokenizer does it). The search
 * has no control characters (the route strips them: cleanSearch), so it never contains the separator.
 */
export function searchIndex (search: string): SearchIndex {
  const chars = [...search]
  if (chars.length >= 3) return { table: 'questions_search', phrase: quoted(search) }
  // The short index holds "·a·" for each character and "a·b" for each adjacent pair (· is char(1)).
  const token = chars.length === 1 ? `${SEPARATOR}${search}${SEPARATOR}` : chars.join(SEPARATOR)
  return { table: 'questions_search_short', phrase: quoted(token) }
}

/** Whole UTC days since 1970, as the keys count them (floored, for dates before 1970 too). */
export const dayNumber = (date: Date): number => Math.floor(date.getTime() / DAY_MS)

/**
 * SQL testing that an index row's key lies in the days [from, until): both are UTC midnights (the date
 * filters start and end at midnight), so this is exactly `pub_date >= from and pub_date < until`. The
 * multiplication happens in SQLite, in 64-bit integers (keys pass 2^53 after the year 7700). The cast
 * matters: better-sqlite3 binds JS numbers as REAL, and FTS5 takes a rowid bound only when it is an
 * INTEGER; given a REAL it reads the whole doclist and SQLite drops the rows outside afterwards (the
 * count of "coffee" this year: 2.1 ms instead of 0.8).
 */
export const KEY_IN_DAYS = 'rowid >= cast(? as integer) * 4294967296 and rowid < cast(? as integer) * 4294967296'

/** The question id inside a key. */
export const KEY_ID = 'rowid & 4294967295'

export function dayBounds (range: { from: Date, until: Date }): [number, number] {
  if (range.from.getTime() % DAY_MS !== 0 || range.until.getTime() % DAY_MS !== 0) throw new Error('date filters must start and end at UTC midnight')
  return [dayNumber(range.from), dayNumber(range.until)]
}
