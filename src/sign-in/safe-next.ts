/** Longest `next` kept, as it is stored (percent-encoded): pending logins live in the session cookie. */
export const MAX_NEXT_LENGTH = 1000

/**
 * `next` may only name a path on this site, of at most MAX_NEXT_LENGTH characters once encoded. Anything that a browser could read as another origin
 * (`//host`, `/\host`, schemes, control characters, encoded variants of those) falls back to `/`.
 */
export function safeNextPath (raw: unknown): string {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 2000) return '/'
  let once: string
  try {
    once = decodeURIComponent(raw)
  } catch {
    return '/'
  }
  // Decoding twice catches %252F-style tricks that a later redirect hop would undo; a value that does
  // not decode twice (a literal "%" in a query) is simply checked once.
  let twice = once
  try { twice = decodeURIComponent(once) } catch { /* keep the single decoding */ }
  for (const candidate of [raw, once, twice]) {
    if (!candidate.startsWith('/')) return '/'
    if (candidate.startsWith('//') || candidate.includes('\\')) return '/'
    if (/[\u0000-\u001f\u007f]/.test(candidate)) return '/'
  }
  const url = new URL(raw, 'http://same.invalid')
  if (url.origin !== 'http://same.invalid') return '/'
  // Dot segments are resolved by the parser: `/.//evil` becomes `//evil`, so check what comes out too.
  const path = url.pathname + url.search + url.hash
  if (path.startsWith('//') || path.includes('\\') || path.length > MAX_NEXT_LENGTH) return '/'
  return path
}
