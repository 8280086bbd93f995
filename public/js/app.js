// Every htmx request carries the page's CSRF token as a header (plain forms carry the hidden field).
document.addEventListener('htmx:config:request', (event) => {
  const meta = document.querySelector('meta[name="csrf-token"]')
  const headers = event.detail && event.detail.ctx && event.detail.ctx.request && event.detail.ctx.request.headers
  if (meta && headers) headers['x-csrf-token'] = meta.getAttribute('content')
})
