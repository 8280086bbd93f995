// A new request clears the previous request's error from the alert area.
document.addEventListener('htmx:before:request', () => {
  const alerts = document.getElementById('alerts')
  if (alerts) alerts.replaceChildren()
})

// Every htmx request carries the page's CSRF token as a header (plain forms carry the hidden field).
document.addEventListener('htmx:config:request', (event) => {
  const meta = document.querySelector('meta[name="csrf-token"]')
  const headers = event.detail && event.detail.ctx && event.detail.ctx.request && event.detail.ctx.request.headers
  if (meta && headers) headers['x-csrf-token'] = meta.getAttribute('content')
})

// Admin conveniences; the forms work without them (select boxes one by one, three choice rows).
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
