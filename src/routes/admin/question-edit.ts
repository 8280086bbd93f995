import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { FastifyReply } from 'fastify'
import type { Question } from '../../db/schema.ts'
import { IdParamsSchema, QuestionFormSchema, formatDateTime, parseQuestionForm, type FieldErrors } from './forms.ts'
import { rowView } from './question-views.ts'

const ViewQuerySchema = Type.Object({ view: Type.Optional(Type.Literal('row')) })

interface EditState { values: { questionText: string, pubDateRaw: string }, version: number, errors: FieldErrors, conflict?: string }

// One question: its change page (with choices), and the table row's view/edit states.
const questionEditRoutes: FastifyPluginAsyncTypebox = async (app) => {
  async function findQuestion (id: number): Promise<Question> {
    const question = await app.admin.questions.questionById(id)
    if (question === undefined) throw app.httpErrors.notFound('There is no question with that number; it may have been deleted.')
    return question
  }

  function editState (question: Question): EditState {
    return { values: { questionText: question.questionText, pubDateRaw: formatDateTime(question.pubDate) }, version: question.version, errors: {} }
  }

  async function renderChangePage (reply: FastifyReply, question: Question, edit: EditState, message?: string) {
    return reply.render('pages/admin/question', null, {
      title: `Change question: ${question.questionText}`,
      question,
      edit,
      message,
      choices: await app.admin.choices.choicesOfQuestion(question.id)
    })
  }

  app.get('/questions/:id/', { schema: { params: IdParamsSchema } }, async (request, reply) => {
    const question = await findQuestion(request.params.id)
    return renderChangePage(reply, question, editState(question))
  })

  // The row's two states are fragments; opened directly (no htmx) they show the change page instead.
  app.get('/questions/:id/row', { schema: { params: IdParamsSchema } }, async (request, reply) => {
    const question = await findQuestion(request.params.id)
    if (!request.isHtmx) return renderChangePage(reply, question, editState(question))
    return reply.render('partials/admin/question-row', null, { row: rowView(question), rowNotice: undefined, focusEdit: true })
  })

  app.get('/questions/:id/edit', { schema: { params: IdParamsSchema } }, async (request, reply) => {
    const question = await findQuestion(request.params.id)
    if (!request.isHtmx) return renderChangePage(reply, question, editState(question))
    return reply.render('partials/admin/question-row-edit', null, { question, edit: editState(question) })
  })

  app.post('/questions/:id/', { schema: { params: IdParamsSchema, body: QuestionFormSchema, querystring: ViewQuerySchema } }, async (request, reply) => {
    const question = await findQuestion(request.params.id)
    const asRow = request.isHtmx && request.query.view === 'row'
    const { fields, errors } = parseQuestionForm(request.body)
    const version = /^\d{1,15}$/.test(request.body.version ?? '') ? Number(request.body.version) : NaN
    const edit: EditState = { values: fields, version: Number.isSafeInteger(version) ? version : question.version, errors }
    const refuse = (status: number) => asRow
      ? reply.code(status).render('partials/admin/question-row-edit', null, { question, edit })
      : renderChangePage(reply.code(status), question, edit)

    if (!Number.isSafeInteger(version)) errors.version = 'This form is missing its version; reload the page and try again.'
    if (Object.keys(errors).length > 0 || fields.pubDate === undefined) return refuse(422)

    const result = await app.admin.questions.updateQuestion(request.user!, question.id, version, { questionText: fields.questionText, pubDate: fields.pubDate })
    if (!result.ok && result.reason === 'not-found') throw app.httpErrors.notFound('There is no question with that number; it may have been deleted.')
    if (!result.ok) {
      // Keep what the admin typed; adopting the current version makes a second "Save" a deliberate overwrite.
      edit.version = result.current.version
      edit.conflict = `Someone else changed this question since you started editing. It now reads “${result.current.questionText}” (published ${formatDateTime(result.current.pubDate)} UTC). Save again to replace it with your version, or cancel.`
      return refuse(409)
    }
    const message = result.changed.length === 0 ? 'No fields changed.' : `The question “${result.question.questionText}” was changed successfully.`
    if (asRow) return reply.render('partials/admin/question-row', null, { row: rowView(result.question), rowNotice: message, focusEdit: true })
    if (request.isHtmx) return renderChangePage(reply, result.question, editState(result.question), message)
    reply.flash(message)
    return reply.redirect('/admin/questions/', 303)
  })

  app.get('/questions/:id/history/', { schema: { params: IdParamsSchema } }, async (request, reply) => {
    const id = request.params.id
    const entries = await app.admin.log.questionHistory(id)
    const question = await app.admin.questions.questionById(id)
    if (question === undefined && entries.length === 0) throw app.httpErrors.notFound('There is no question with that number.')
    return reply.render('pages/admin/history', null, { title: 'History', question, questionId: id, entries })
  })
}

export default questionEditRoutes
