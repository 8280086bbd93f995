/** A tiny per-origin cookie jar for tests: honours Path prefixes and deletion (Max-Age=0 / past Expires). */
export class CookieJar {
  private readonly cookies = new Map<string, Map<string, { value: string, path: string, attrs: string[] }>>()

  storeLines (url: URL, lines: string[]): void {
    const jar = this.cookies.get(url.origin) ?? new Map()
    this.cookies.set(url.origin, jar)
    for (const line of lines) {
      const [pair = '', ...attrs] = line.split(';').map((s) => s.trim())
      const name = pair.slice(0, pair.indexOf('='))
      const value = pair.slice(pair.indexOf('=') + 1)
      const attr = (k: string): string | undefined => attrs.find((a) => a.toLowerCase().startsWith(`${k}=`))?.slice(k.length + 1)
      const expires = attr('expires')
      if (attr('max-age') === '0' || value === '' || (expires !== undefined && Date.parse(expires) < Date.now())) jar.delete(name)
      else jar.set(name, { value, path: attr('path') ?? '/', attrs })
    }
  }

  store (url: URL, res: Response): void {
    this.storeLines(url, res.headers.getSetCookie())
  }

  header (url: URL): string {
    return [...(this.cookies.get(url.origin) ?? new Map())]
      .filter(([, c]) => url.pathname.startsWith(c.path)).map(([n, c]) => `${n}=${c.value}`).join('; ')
  }

  get (origin: string, name: string): string | undefined {
    return this.cookies.get(origin)?.get(name)?.value
  }

  set (origin: string, name: string, value: string): void {
    const jar = this.cookies.get(origin) ?? new Map()
    this.cookies.set(origin, jar)
    jar.set(name, { value, path: '/', attrs: [] })
  }

  delete (origin: string, name: string): void {
    this.cookies.get(origin)?.delete(name)
  }
}
