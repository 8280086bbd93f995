import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { IdParamsSchema } from './forms.ts'
import { listUrl, returnQuery, tableData } from './question-views.ts'

const BulkDeleteSchema = Type.Object({
  ids: Type.Optional(Type.Union([Type.String({ maxLength: 20 }), Type.Array(Type.String({ maxLength: 20 }), { maxItems: 500 })])),
  confirm: Type.Optional(Type.String({ maxLength: 10 })),
  back: Type.Optional(Type.String({ maxLength: 1000 })),
  _csrf: Type.Optional(Type.String({ maxLength: 200 }))
})
const SingleDeleteSchema = Type.Object({ back: Type.Optional(Type.String({ maxLength: 1000 })), _csrf: Type.Optional(Type.String({ maxLength: 200 })) })

function parseIds (raw: string | string[] | undefined): number[] | undefined {
  const ids = ([] as string[]).concat(raw ?? [])
  if (!ids.every((id) => /^\d{1,15}$/.test(id))) return undefined
  return [...new Set(ids.map(Number))].filter((id) => id > 0)
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`

// Deleting one question (from its row or page) and "Delete selected questions", always after a confirmation.
const questionDeleteRoutes: FastifyPluginAsyncTypebox = async (app) => {
  async function afterDelete (request: FastifyRequest, reply: FastifyReply, back: string | undefined, message: string, status = 200) {
    const query = returnQuery(request, back)
    if (request.isHtmx) return reply.code(status).render('partials/admin/questions-table', null, await tableData(app, query, message))
    reply.flash(message)
    return reply.redirect(listUrl(query), 303)
  }

  app.get('/questions/:id/delete/', { schema: { params: IdParamsSchema } }, async (request, reply) => {
    const doomed = await app.admin.questions.deletionSummary([request.params.id])
    if (doomed.length === 0) throw app.httpErrors.notFound('There is no question with that number; it may have been deleted.')
    return reply.render('pages/admin/confirm-delete', 'partials/admin/confirm-delete', { title: 'Are you sure?', doomed, back: '/admin/questions/' })
  })

  app.post('/questions/:id/delete/', { schema: { params: IdParamsSchema, body: SingleDeleteSchema } }, async (request, reply) => {
    const [deleted] = await app.admin.questions.deleteQuestions(request.user!, [request.params.id])
    if (deleted === undefined) throw app.httpErrors.notFound('There is no question with that number; it may have been deleted.')
    return afterDelete(request, reply, request.body.back,
      `The question “${deleted.questionText}” was deleted successfully, with ${plural(deleted.choiceCount, 'choice')} and ${plural(deleted.voteCount, 'vote')}.`)
  })

  app.post('/questions/delete/', { schema: { body: BulkDeleteSchema } }, async (request, reply) => {
    const ids = parseIds(request.body.ids)
    if (ids === undefined) throw app.httpErrors.badRequest('The selection is not valid; reload the page and try again.')
    if (ids.length === 0) {
      return afterDelete(request, reply, request.body.back, 'Items must be selected in order to perform actions on them. No items have been changed.', 422)
    }
    if (request.body.confirm !== 'yes') {
      const doomed = await app.admin.questions.deletionSummary(ids)
      if (doomed.length === 0) return afterDelete(request, reply, request.body.back, 'None of the selected questions exist any more. No items have been changed.', 404)
      return reply.render('pages/admin/confirm-delete', 'partials/admin/confirm-delete', {
        title: 'Are you sure?', doomed, bulk: true, back: listUrl(returnQuery(request, request.body.back))
      })
    }
    const deleted = await app.admin.questions.deleteQuestions(request.user!, ids)
    const votes = deleted.reduce((sum, q) => sum + q.voteCount, 0)
    return afterDelete(request, reply, request.body.back, `Successfully deleted ${plural(deleted.length, 'question')} (with ${plural(votes, 'vote')}).`)
  })
}

export default questionDeleteRoutes
