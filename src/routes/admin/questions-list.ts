import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { QuestionFormSchema, parseQuestionForm } from './forms.ts'
import { QuestionListQuerySchema, emptyAddForm, returnQuery, tableData, toListQuery } from './question-views.ts'

// The questions table (search, date filter, sort, pages) and the add form above it.
const questionsListRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/questions/', { schema: { querystring: QuestionListQuerySchema } }, async (request, reply) => {
    const query = toListQuery(request.query)
    return reply.render('pages/admin/questions', 'partials/admin/questions-table', {
      title: 'Questions',
      ...await tableData(app, query),
      add: emptyAddForm()
    })
  })

  app.post('/questions/', { schema: { body: QuestionFormSchema } }, async (request, reply) => {
    const { fields, errors } = parseQuestionForm(request.body)
    // The table comes back as the admin was viewing it (search, filter, sort, page).
    const query = returnQuery(request, undefined)
    if (Object.keys(errors).length > 0 || fields.pubDate === undefined) {
      const add = { values: { ...fields, choices: padChoices(fields.choices) }, errors, open: true }
      reply.code(422)
      if (request.isHtmx) return reply.render('partials/admin/question-add', null, { add })
      return reply.render('pages/admin/questions', null, { title: 'Questions', ...await tableData(app, query), add })
    }
    const question = await app.admin.questions.createQuestion(request.user!, { questionText: fields.questionText, pubDate: fields.pubDate, choices: fields.choices })
    const message = `The question “${question.questionText}” was added successfully.`
    if (request.isHtmx) {
      // The form closed and emptied (a message left inside it would greet the next add), and the table
      // (out of band) with the new row in it and the message above it.
      return reply.render('partials/admin/question-added', null, { add: emptyAddForm(), ...await tableData(app, query, message) })
    }
    reply.flash(message)
    return reply.redirect('/admin/questions/', 303)
  })
}

function padChoices (choices: string[]): string[] {
  return choices.length >= 3 ? choices : [...choices, ...Array<string>(3 - choices.length).fill('')]
}

export default questionsListRoutes
