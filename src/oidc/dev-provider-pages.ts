// HTML of the built-in development provider's own pages (sign-in, sign-out, errors).
import type { ServerResponse } from 'node:http'

export const esc = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c)

const STYLE = `body{font-family:system-ui,sans-serif;background:#f4f5f7;color:#1f2328;margin:0;padding:2rem 1rem}
main{max-width:28rem;margin:0 auto;background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.15);padding:1.5rem}
h1{font-size:1.3rem;margin:0 0 .75rem}.warn{background:#fff4ce;border:1px solid #e6c200;border-radius:6px;padding:.6rem .8rem;font-size:.9rem}
form{margin:.5rem 0}button{width:100%;text-align:left;padding:.7rem .9rem;border:1px solid #c9ced6;border-radius:6px;background:#fff;font:inherit;cursor:pointer}
button:hover{background:#eef3ff;border-color:#4c7cf3}button.primary{background:#2f5fd0;color:#fff;text-align:center}
button.link{border:0;background:none;color:#555;text-align:center;text-decoration:underline}small{color:#57606a}`

export function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title><style>${STYLE}</style></head><body><main><h1>${esc(title)}</h1>
<p class="warn">Built-in <strong>DEVELOPMENT</strong> OpenID Connect provider. Not for production: anyone can sign in as any listed user, without a password.</p>
${body}</main></body></html>`
}

export function send(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
  })
  res.end(html)
}
