import { STATUS_CODES } from 'node:http'
import fp from 'fastify-plugin'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { ProviderUnavailableError } from '../../sign-in/provider.ts'
import { sqliteFault } from '../../db/faults.ts'
import { pgFault } from '../../db/postgres/faults.ts'

const TITLES: Record<number, string> = {
  400: 'Bad request',
  401: 'Please log in',
  403: 'You can’t use this page',
  404: 'Page not found',
  405: 'Method not allowed',
  413: 'Request too large',
  415: 'Unsupported request',
  422: 'Please check your input',
  429: 'Too many requests',
  500: 'Something went wrong',
  502: 'Identity provider unavailable',
  503: 'Service unavailable'
}

/**
 * drizzle wraps database errors with the query's parameters in the message, and those can be an ID
 * token or a refresh token (session rows): the log gets the SQL and the database's own error instead.
 */
function withoutQueryParameters (error: Error): Error {
  if (!('params' in error) || !(error.cause instanceof Error)) return error
  const safe = new Error(`${error.cause.message} (in: ${String((error as { query?: unknown }).query)})`)
  safe.name = error.cause.name
  safe.stack = `${safe.name}: ${safe.message}\n${error.cause.stack?.split('\n').slice(1).join('\n') ?? ''}`
  return safe
}

interface Explanation { title: string, message: string, next?: string }

const isCsrf = (error: FastifyError) => error.code === 'FST_CSRF_INVALID_TOKEN' || error.code === 'FST_CSRF_MISSING_SECRET'

/** What happened, in words for the visitor, and what they can do about it (the page adds links home). */
function explain (error: FastifyError | undefined, status: number, signedIn: boolean): Explanation {
  const title = TITLES[status] ?? (status >= 500 ? 'Something went wrong' : 'Error')
  if (error !== undefined && isCsrf(error)) {
    return { title: 'This form has expired', message: 'This form has expired or did not come from this site. Reload the page and try again.' }
  }
  if (error?.validation !== undefined) {
    const message = `The request was not valid: ${error.validationContext ?? 'input'} ${error.validation[0]?.instancePath ?? ''} ${error.validation[0]?.message ?? ''}`.replace(/\s+/g, ' ').trim() + '.'
    return { title, message, next: 'Go back, check what you entered, and try again.' }
  }
  if (status === 415) return { title, message: 'This address takes web forms only (application/x-www-form-urlencoded); nothing was changed.', next: 'Use the form on the page.' }
  if (status === 429) return { title, message: 'Too many requests in a short time.', next: 'Wait a minute, then try again.' }
  if (status >= 500) {
    return { title, message: 'The server could not complete this request; nothing you did caused it.', next: 'Try again in a minute. If it keeps happening, tell the administrators the reference below.' }
  }
  const message = error?.message ?? 'There is no page at this address.'
  if (status === 403) {
    return signedIn
      ? { title, message, next: 'If you need it, ask an administrator to give your account that role in the identity provider, then log out and in again.' }
      : { title, message, next: 'Log in and try again.' }
  }
  if (status === 404) return { title, message, next: 'Check the address, or start again from the home page or the list of polls.' }
  if (status === 400 || status === 422) return { title, message, next: 'Go back, check what you entered, and try again.' }
  return { title, message }
}

/**
 * One place turns errors into pages (or fragments for htmx): 4xx messages are shown as they are,
 * 5xx messages are hidden and logged with the request id.
 */
export default fp(async function errorsPlugin (app) {
  async function renderError (request: FastifyRequest, reply: FastifyReply, status: number, { title, message, next }: Explanation) {
    reply.code(status)
    // htmx swaps error responses too: send them to the page's alert area, never into a table row
    // or a form that would then be gone.
    if (request.isHtmx) reply.header('HX-Retarget', '#alerts').header('HX-Reswap', 'innerHTML')
    if (!request.headers.accept?.includes('text/html') && !request.isHtmx && request.headers.accept?.includes('application/json')) {
      return reply.send({ statusCode: status, error: STATUS_CODES[status] ?? 'Error', message })
    }
    // Static files are served outside the pages' context (no session, no views): a missing one gets
    // a plain answer rather than a page.
    if (typeof reply.render !== 'function') return reply.type('text/plain; charset=utf-8').send(`${title}. ${message}`)
    return reply.render('pages/error', 'partials/error', { title, status, message, next, requestId: status >= 500 ? request.id : undefined })
  }

  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    if (error instanceof ProviderUnavailableError) {
      request.log.warn({ reason: error.message }, 'identity provider unavailable')
      reply.header('retry-after', '30')
      return renderError(request, reply, 503, {
        title: TITLES[503] as string,
        message: 'The identity provider is unavailable right now, so signing in is not possible. Pages that need no sign-in keep working.',
        next: 'Please try again in a minute.'
      })
    }
    const fault = sqliteFault(error) ?? pgFault(error)
    if (fault?.kind === 'unavailable') {
      // PostgreSQL is down, restarting or unreachable: the statement did not commit, and the pool
      // reconnects by itself once the server is back.
      request.log.error({ code: fault.code, reason: fault.error.message }, 'database unreachable; nothing was changed')
      reply.header('retry-after', '5')
      return renderError(request, reply, 503, {
        title: TITLES[503] as string,
        message: 'The database cannot be reached right now, so nothing was changed.',
        next: 'Please try again in a moment.'
      })
    }
    if (fault?.kind === 'busy') {
      // Contention outlasted the busy timeout: the write was not made; a moment later it will be.
      request.log.warn({ code: fault.code }, fault.code === 'POOL_TIMEOUT'
        ? 'database busy: no free connection within DATABASE_POOL_TIMEOUT_MS (DATABASE_POOL_SIZE)'
        : 'database busy: a lock was held past its timeout (SQLITE_BUSY_TIMEOUT_MS, or PostgreSQL\'s lock or statement timeout)')
      reply.header('retry-after', '2')
      return renderError(request, reply, 503, {
        title: TITLES[503] as string,
        message: 'The server is busy right now and nothing was changed.',
        next: 'Please try again in a moment.'
      })
    }
    if (fault?.kind === 'unwritable') {
      request.log.error({ code: fault.code, err: fault.error }, `database cannot be written (${fault.code}: ${fault.error.message}): check free disk space and the file's permissions; nothing was changed`)
      reply.header('retry-after', '60')
      return renderError(request, reply, 503, {
        title: TITLES[503] as string,
        message: 'The server cannot save anything right now, so nothing was changed.',
        next: 'Please try again in a few minutes.'
      })
    }
    const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500
    if (status >= 500) request.log.error({ err: withoutQueryParameters(error) }, 'request failed')
    else request.log.info({ code: error.code, status, reason: error.message }, 'request refused')
    const explanation = explain(error, status, request.user !== null)
    try {
      return await renderError(request, reply, status, explanation)
    } catch (renderFailure) {
      request.log.error({ err: renderFailure }, 'error page failed to render')
      return reply.code(status).type('text/plain; charset=utf-8').send(`${explanation.title}. ${explanation.message}`)
    }
  })

  app.setNotFoundHandler(async (request, reply) => renderError(request, reply, 404, explain(undefined, 404, request.user !== null)))
}, { name: 'errors', dependencies: ['view'] })
