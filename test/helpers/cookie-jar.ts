/**
 * A tiny per-origin cookie jar for tests: like a browser, a cookie is keyed by name and path (two
 * interactions at a provider keep two cookies of one name), sent where its Path matches, and removed
 * by Max-Age=0 or a past Expires.
 */
export class CookieJar {
  private readonly cookies = new Map<string, Map<string, { name: string, value: string, path: string, attrs: string[] }>>()

  storeLines (url: URL, lines: string[]): void {
    const jar = this.cookies.get(url.origin) ?? new Map()
    this.cookies.set(url.origin, jar)
    for (const line of lines) {
      const [pair = '', ...attrs] = line.split(';').map((s) => s.trim())
      const name = pair.slice(0, pair.indexOf('='))
      const value = pair.slice(pair.indexOf('=') + 1)
      const attr = (k: string): string | undefined => attrs.find((a) => a.toLowerCase().startsWith(`${k}=`))?.slice(k.length + 1)
      const expires = attr('expires')
      const path = attr('path') ?? '/'
      const key = `${name};${path}`
      if (attr('max-age') === '0' || value === '' || (expires !== undefined && Date.parse(expires) < Date.now())) jar.delete(key)
      else jar.set(key, { name, value, path, attrs })
    }
  }

  store (url: URL, res: Response): void {
    this.storeLines(url, res.headers.getSetCookie())
  }

  header (url: URL): string {
    return [...(this.cookies.get(url.origin)?.values() ?? [])]
      .filter((c) => url.pathname.startsWith(c.path))
      .sort((a, b) => b.path.length - a.path.length)
      .map((c) => `${c.name}=${c.value}`).join('; ')
  }

  get (origin: string, name: string): string | undefined {
    return this.cookies.get(origin)?.get(`${name};/`)?.value
  }

  set (origin: string, name: string, value: string): void {
    const jar = this.cookies.get(origin) ?? new Map()
    this.cookies.set(origin, jar)
    jar.set(`${name};/`, { name, value, path: '/', attrs: [] })
  }

  /** Forgets every cookie of an origin (e.g. a fresh session at the provider). */
  clear (origin: string): void {
    this.cookies.delete(origin)
  }
}
