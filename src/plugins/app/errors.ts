import fp from 'fastify-plugin'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { ProviderUnavailableError } from '../../oidc/discovery.ts'
import { sqliteFault } from '../../db/faults.ts'

const TITLES: Record<number, string> = {
  400: 'Bad request',
  401: 'Please log in',
  403: 'Forbidden',
  404: 'Page not found',
  405: 'Method not allowed',
  413: 'Request too large',
  415: 'Unsupported request',
  422: 'Please check your input',
  429: 'Too many requests',
  502: 'Identity provider unavailable',
  503: 'Service unavailable'
}

function friendlyMessage (error: FastifyError, status: number): string {
  if (error.code === 'FST_CSRF_INVALID_TOKEN' || error.code === 'FST_CSRF_MISSING_SECRET') {
    return 'This form has expired or did not come from this site. Reload the page and try again.'
  }
  if (error.validation !== undefined) {
    return `The request was not valid: ${error.validationContext ?? 'input'} ${error.validation[0]?.instancePath ?? ''} ${error.validation[0]?.message ?? ''}`.replace(/\s+/g, ' ').trim() + '.'
  }
  if (status === 429) return 'Too many requests in a short time. Please wait a minute and try again.'
  if (status >= 500) return 'Something went wrong on our side. Please try again.'
  return error.message
}

/**
 * One place turns errors into pages (or fragments for htmx): 4xx messages are shown as they are,
 * 5xx messages are hidden and logged with the request id.
 */
export default fp(async function errorsPlugin (app) {
  async function renderError (request: FastifyRequest, reply: FastifyReply, status: number, message: string) {
    reply.code(status)
    // htmx swaps error responses too: send them to the page's alert area, never into a table row
    // or a form that would then be gone.
    if (request.isHtmx) reply.header('HX-Retarget', '#alerts').header('HX-Reswap', 'innerHTML')
    if (!request.headers.accept?.includes('text/html') && !request.isHtmx && request.headers.accept?.includes('application/json')) {
      return reply.send({ statusCode: status, error: TITLES[status] ?? 'Error', message })
    }
    return reply.render('pages/error', 'partials/error', {
      title: TITLES[status] ?? 'Error',
      status,
      message,
      requestId: status >= 500 ? request.id : undefined
    })
  }

  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    if (error instanceof ProviderUnavailableError) {
      request.log.warn({ reason: error.message }, 'identity provider unavailable')
      reply.header('retry-after', '30')
      return renderError(request, reply, 503, 'The identity provider is unavailable right now, so signing in is not possible. Pages that need no sign-in keep working; please try again in a minute.')
    }
    const fault = sqliteFault(error)
    if (fault?.kind === 'busy') {
      // Contention outlasted the busy timeout: the write was not made; a moment later it will be.
      request.log.warn({ code: fault.code }, 'database busy: another process held the write lock past SQLITE_BUSY_TIMEOUT_MS')
      reply.header('retry-after', '2')
      return renderError(request, reply, 503, 'The server is busy right now and nothing was changed. Please try again in a moment.')
    }
    if (fault?.kind === 'unwritable') {
      request.log.error({ code: fault.code, err: fault.error }, `database cannot be written (${fault.code}: ${fault.error.message}): check free disk space and the file's permissions; nothing was changed`)
      reply.header('retry-after', '60')
      return renderError(request, reply, 503, 'The server cannot save anything right now, so nothing was changed. Please try again in a few minutes.')
    }
    const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500
    if (status >= 500) request.log.error({ err: error }, 'request failed')
    else request.log.info({ code: error.code, status, reason: error.message }, 'request refused')
    try {
      return await renderError(request, reply, status, friendlyMessage(error, status))
    } catch (renderFailure) {
      request.log.error({ err: renderFailure }, 'error page failed to render')
      return reply.code(status).type('text/plain; charset=utf-8').send(friendlyMessage(error, status))
    }
  })

  app.setNotFoundHandler(async (request, reply) => renderError(request, reply, 404, 'There is no page at this address.'))
}, { name: 'errors', dependencies: ['view'] })
