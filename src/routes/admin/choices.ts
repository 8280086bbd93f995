import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { AdminChoice } from '../../db/admin-choices.ts'
import { ChoiceFormSchema, IdParamsSchema, checkText, formatDateTime } from './forms.ts'

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`

// A question's choices, edited in place on its change page. Vote counts are shown, never edited.
const choiceRoutes: FastifyPluginAsyncTypebox = async (app) => {
  async function findChoice (id: number): Promise<AdminChoice> {
    const choice = await app.admin.choices.choiceById(id)
    if (choice === undefined) throw app.httpErrors.notFound('There is no choice with that number; it may have been deleted.')
    return choice
  }

  /** The whole choices component for htmx; the change page (with the message in the flash) otherwise. */
  async function renderChoices (request: FastifyRequest, reply: FastifyReply, questionId: number, extra: { message?: string, addError?: string, addValue?: string } = {}, status = 200) {
    if (request.isHtmx) {
      return reply.code(status).render('partials/admin/choices', null, { questionId, choices: await app.admin.choices.choicesOfQuestion(questionId), ...extra })
    }
    if (status >= 400) {
      const question = await app.admin.questions.questionById(questionId)
      if (question === undefined) throw app.httpErrors.notFound('There is no question with that number.')
      return reply.code(status).render('pages/admin/question', null, {
        title: `Change question: ${question.questionText}`,
        question,
        edit: { values: { questionText: question.questionText, pubDateRaw: formatDateTime(question.pubDate) }, version: question.version, errors: {} },
        choices: await app.admin.choices.choicesOfQuestion(questionId),
        ...extra
      })
    }
    if (extra.message !== undefined) reply.flash(extra.message)
    return reply.redirect(`/admin/questions/${questionId}/`, 303)
  }

  app.post('/questions/:id/choices/', { schema: { params: IdParamsSchema, body: ChoiceFormSchema } }, async (request, reply) => {
    const questionId = request.params.id
    if (await app.admin.questions.questionById(questionId) === undefined) throw app.httpErrors.notFound('There is no question with that number; it may have been deleted.')
    const text = checkText(request.body.choice_text, 'Choice text')
    if (text.error !== undefined) return renderChoices(request, reply, questionId, { addError: text.error, addValue: text.value }, 422)
    const choice = await app.admin.choices.addChoice(request.user!, questionId, text.value)
    if (choice === undefined) throw app.httpErrors.notFound('There is no question with that number; it may have been deleted.')
    return renderChoices(request, reply, questionId, { message: `The choice “${choice.choiceText}” was added.` })
  })

  app.get('/choices/:id/', { schema: { params: IdParamsSchema } }, async (request, reply) => {
    const choice = await findChoice(request.params.id)
    if (!request.isHtmx) return reply.redirect(`/admin/questions/${choice.questionId}/`, 303)
    return reply.render('partials/admin/choice-item', null, { choice, focusEdit: true })
  })

  app.get('/choices/:id/edit', { schema: { params: IdParamsSchema } }, async (request, reply) => {
    const choice = await findChoice(request.params.id)
    return reply.render('pages/admin/choice-edit', 'partials/admin/choice-item-edit', { title: 'Change choice', choice, value: choice.choiceText })
  })

  app.post('/choices/:id/', { schema: { params: IdParamsSchema, body: ChoiceFormSchema } }, async (request, reply) => {
    const choice = await findChoice(request.params.id)
    const text = checkText(request.body.choice_text, 'Choice text')
    if (text.error !== undefined) {
      return reply.code(422).render('pages/admin/choice-edit', 'partials/admin/choice-item-edit', { title: 'Change choice', choice, value: text.value, error: text.error })
    }
    const updated = await app.admin.choices.updateChoice(request.user!, choice.id, text.value)
    if (updated === undefined) throw app.httpErrors.notFound('There is no choice with that number; it may have been deleted.')
    if (request.isHtmx) return reply.render('partials/admin/choice-item', null, { choice: updated, focusEdit: true })
    return renderChoices(request, reply, updated.questionId, { message: `The choice “${updated.choiceText}” was changed.` })
  })

  app.get('/choices/:id/delete/', { schema: { params: IdParamsSchema } }, async (request, reply) => {
    const choice = await findChoice(request.params.id)
    return reply.render('pages/admin/choice-delete', null, { title: 'Are you sure?', choice })
  })

  app.post('/choices/:id/delete/', { schema: { params: IdParamsSchema, body: ChoiceFormSchema } }, async (request, reply) => {
    const deleted = await app.admin.choices.deleteChoice(request.user!, request.params.id)
    if (deleted === undefined) throw app.httpErrors.notFound('There is no choice with that number; it may have been deleted.')
    return renderChoices(request, reply, deleted.questionId, { message: `The choice “${deleted.choiceText}” was deleted, with ${plural(deleted.votes, 'vote')}.` })
  })
}

export default choiceRoutes
