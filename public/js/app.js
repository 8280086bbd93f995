// Lets the stylesheet hide controls that only work without JavaScript, and show those that need it.
document.documentElement.classList.add('js')

const isLive = (ctx) => Boolean(ctx && ctx.sourceElement && ctx.sourceElement.hasAttribute('data-live'))

// A request the user made clears the previous request's error from the alert area; a live view's
// background poll does not (it would wipe an error the user has not read yet).
document.addEventListener('htmx:before:request', (event) => {
  if (isLive(event.detail && event.detail.ctx)) return
  const alerts = document.getElementById('alerts')
  if (alerts) alerts.replaceChildren()
})

// Live views (data-live, polling with hx-trigger="every …") ask nothing while the tab is hidden, so a
// background tab costs the server nothing; they catch up at once when it shows again (visibilitychange).
// After a refusal (403, 404, 429, 5xx) the alert says why once and the view stops asking.
document.addEventListener('htmx:config:request', (event) => {
  const ctx = event.detail && event.detail.ctx
  if (isLive(ctx) && (document.hidden || ctx.sourceElement.hasAttribute('data-live-stopped'))) event.preventDefault()
})
document.addEventListener('htmx:response:error', (event) => {
  const ctx = event.detail && event.detail.ctx
  if (isLive(ctx)) ctx.sourceElement.setAttribute('data-live-stopped', '')
})

// Every htmx request carries the page's CSRF token as a header (plain forms carry the hidden field).
document.addEventListener('htmx:config:request', (event) => {
  const meta = document.querySelector('meta[name="csrf-token"]')
  const headers = event.detail && event.detail.ctx && event.detail.ctx.request && event.detail.ctx.request.headers
  if (meta && headers) headers['x-csrf-token'] = meta.getAttribute('content')
})

// After a swap, focus goes where the response marks it (data-focus): the vote's confirmation or error,
// an alert, the row's Edit link after Save or Cancel, a confirmation dialog. Without this, replacing
// the element that had focus drops keyboard and screen-reader users back at the top of the page.
// (htmx itself restores focus only to an element with the same id, and honours autofocus.)
// A live view's background update never moves focus.
document.addEventListener('htmx:after:settle', (event) => {
  const detail = event.detail || {}
  const source = detail.task && detail.task.sourceElement
  if (source && source.hasAttribute && source.hasAttribute('data-live')) return
  for (const node of detail.newContent || []) {
    if (!(node instanceof Element) || !node.isConnected) continue
    const target = node.matches('[data-focus]') ? node : node.querySelector('[data-focus]')
    if (target) {
      target.focus()
      return
    }
  }
})

// Admin conveniences; the forms work without them (select boxes one by one, three choice rows), and
// without JavaScript their controls are hidden (class js-only) rather than shown doing nothing.
document.addEventListener('change', (event) => {
  const box = event.target
  if (!(box instanceof HTMLInputElement) || !box.matches('[data-select-all]')) return
  const table = box.closest('table')
  if (table) table.querySelectorAll('input[name="ids"]').forEach((item) => { item.checked = box.checked })
})

document.addEventListener('click', (event) => {
  const button = event.target instanceof Element ? event.target.closest('[data-add-choice]') : null
  if (!button) return
  const rows = button.closest('fieldset').querySelectorAll('.field')
  const last = rows[rows.length - 1]
  const copy = last.cloneNode(true)
  const n = rows.length
  const input = copy.querySelector('input')
  const label = copy.querySelector('label')
  copy.querySelectorAll('.error').forEach((e) => e.remove())
  input.id = `add-choice-${n}`
  input.value = ''
  input.removeAttribute('aria-invalid')
  label.htmlFor = input.id
  label.textContent = `Choice ${n + 1}`
  last.after(copy)
  input.focus()
})
