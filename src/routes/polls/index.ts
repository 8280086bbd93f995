import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { FastifyReply } from 'fastify'
import { roleAtLeast } from '../../sign-in/claims.ts'
import type { ChoiceTally, QuestionWithChoices } from '../../db/polls.ts'
import type { User } from '../../db/schema.ts'
import { nextDayStart, pollListItems } from './poll-views.ts'
import { presenterRoutes } from './presenter.ts'

// Ids are positive integers that SQLite can hold; anything else is a 400 with a message, never a 500.
const QuestionParamsSchema = Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) })
const ArchiveQuerySchema = Type.Object({ page: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })) })
const ResultsQuerySchema = Type.Object({ view: Type.Optional(Type.Literal('present')) })
const ARCHIVE_PAGE_SIZE = 20
const VoteBodySchema = Type.Object({
  choice: Type.Optional(Type.String({ maxLength: 20 })),
  _csrf: Type.Optional(Type.String({ maxLength: 200 }))
})

/** Names a version of a question's results fragment; the live view sends it back as If-None-Match. */
export const resultsEtag = (version: number) => `"results-${version}"`

const pollsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  async function findQuestion (id: number): Promise<QuestionWithChoices> {
    const question = await app.polls.publishedQuestionWithChoices(id)
    if (question === undefined) throw app.httpErrors.notFound('No published question has that number.')
    return question
  }

  /** The tally and its ETag, for the results partial (which polls for a newer one). */
  async function versionedTally (id: number): Promise<{ results: ChoiceTally[], etag: string }> {
    const tally = await app.polls.versionedTally(id)
    if (tally === undefined) throw app.httpErrors.notFound('No published question has that number.')
    return { results: tally.results, etag: resultsEtag(tally.version) }
  }

  /** The vote component (form, confirmation, and the tally for staff): one source for page and fragment. */
  async function voteComponent (user: User, question: QuestionWithChoices, extra: { error?: string, confirmation?: string, currentChoiceId?: number } = {}) {
    const showResults = roleAtLeast(user.role, 'staff') && extra.confirmation !== undefined
    return {
      question,
      // Known after a vote (the choice just written); otherwise read.
      currentChoiceId: extra.currentChoiceId ?? await app.polls.userVote(user.id, question.id),
      ...(showResults ? await versionedTally(question.id) : {}),
      ...extra
    }
  }

  async function renderDetail (reply: FastifyReply, user: User, question: QuestionWithChoices, extra: { error?: string, confirmation?: string, currentChoiceId?: number } = {}) {
    return reply.render('pages/polls/detail', 'partials/vote', { title: question.questionText, ...await voteComponent(user, question, extra) })
  }

  // The list is the same page for every visitor who is not signed in (no user, no token, no flash),
  // so its HTML is kept until the data changes or a scheduled question comes out. Keyed by URL (the
  // login link names it); a handful of URLs at most, so a flood of query strings cannot grow it.
  // Kept encoded: sent as it is, with no UTF-8 encoding per request.
  const anonymousIndex = new Map<string, { version: string, until: number, html: Buffer }>()
  app.get('/', async (request, reply) => {
    const now = Date.now()
    const render = async () => reply.renderHtml('pages/polls/index', null, {
      title: 'Latest polls',
      polls: await pollListItems(app.polls, request.user, await app.polls.latestPublishedQuestions(5, now), now),
      showResults: request.user !== null && roleAtLeast(request.user.role, 'staff')
    })
    if (request.user !== null || request.session.get('flash') !== undefined) return reply.sendHtml(await render())
    const version = await app.polls.dataVersion()
    const kept = anonymousIndex.get(request.url)
    if (kept !== undefined && kept.version === version && now < kept.until) return reply.sendHtml(kept.html)
    // Kept until a scheduled question comes out, or midnight turns "today" into "yesterday".
    const until = Math.min(await app.polls.nextPublication(now), nextDayStart(now))
    const html = Buffer.from(await render())
    if (anonymousIndex.size >= 16) anonymousIndex.clear()
    anonymousIndex.set(request.url, { version, until, html })
    return reply.sendHtml(html)
  })

  app.get('/archive/', { schema: { querystring: ArchiveQuerySchema } }, async (request, reply) => {
    const now = Date.now()
    const total = await app.polls.publishedCount(now)
    const pages = Math.max(1, Math.ceil(total / ARCHIVE_PAGE_SIZE))
    const page = Math.min(request.query.page ?? 1, pages)
    const rows = await app.polls.publishedQuestionsPage(page, ARCHIVE_PAGE_SIZE, now)
    return reply.render('pages/polls/archive', null, {
      title: page === 1 ? 'All polls' : `All polls, page ${page}`,
      polls: await pollListItems(app.polls, request.user, rows, now),
      showResults: request.user !== null && roleAtLeast(request.user.role, 'staff'),
      total,
      page,
      pages
    })
  })

  app.get('/:id/', {
    schema: { params: QuestionParamsSchema },
    preHandler: app.requireLogin
  }, async (request, reply) => {
    const question = await findQuestion(request.params.id)
    const user = request.user as User
    // A plain-form vote redirected here (post/redirect/get) and left its confirmation in the flash;
    // shown inside the vote component (with the tally for staff) rather than as a page banner.
    const confirmation = reply.takeFlash()
    return renderDetail(reply, user, question, confirmation === undefined ? {} : { confirmation })
  })

  app.post('/:id/vote/', {
    config: { rateLimit: app.voteRateLimit },
    schema: { params: QuestionParamsSchema, body: VoteBodySchema },
    preHandler: app.requireLogin
  }, async (request, reply) => {
    const user = request.user as User
    const question = await findQuestion(request.params.id)
    const raw = request.body.choice?.trim() ?? ''
    const choiceId = /^\d{1,15}$/.test(raw) ? Number(raw) : undefined
    const error = (message: string) => renderDetail(reply.code(422), user, question, { error: message })
    if (raw === '') return error('You didn\'t select a choice.')
    if (choiceId === undefined) return error('That choice is not valid. Please pick one of the listed choices.')

    const result = await app.polls.castVote(user.id, question.id, choiceId)
    if (!result.ok) {
      if (result.reason === 'question-not-found') throw app.httpErrors.notFound('No published question has that number.')
      return error('That choice is not part of this question. Please pick one of the listed choices.')
    }
    const confirmation = `Your vote for “${result.choiceText}” is counted.`
    if (request.isHtmx) return renderDetail(reply, user, question, { confirmation, currentChoiceId: choiceId })
    // Without JavaScript: post/redirect/get, so a reload never re-posts the vote.
    reply.flash(confirmation)
    return reply.redirect(`/polls/${question.id}/`, 303)
  })

  // Staff only, like the page: the live view's polls pass the same guard, so an expired session gets
  // HX-Redirect to the login (never a login page swapped into the results) and a lost role a 403.
  // The live view polls this same URL with If-None-Match: the fragment's ETag is its results version.
  app.get('/:id/results/', {
    schema: { params: QuestionParamsSchema, querystring: ResultsQuerySchema },
    preHandler: app.requireRole('staff')
  }, async (request, reply) => {
    const shown = request.headers['if-none-match']
    if (request.isHtmx && shown !== undefined) {
      // One indexed row decides; an unchanged tally is a bodiless 304, which htmx does not swap.
      const version = await app.polls.resultsVersion(request.params.id)
      if (version === undefined) throw app.httpErrors.notFound('No published question has that number.')
      if (shown === resultsEtag(version)) {
        return reply.code(304).header('etag', shown).header('cache-control', 'no-store').header('vary', 'HX-Request').send()
      }
    }
    const question = await findQuestion(request.params.id)
    const tally = await versionedTally(question.id)
    if (request.isHtmx) reply.header('etag', tally.etag)
    // The presenter view polls with view=present: a projector shows no one's own vote.
    const presenting = request.query.view === 'present'
    return reply.render('pages/polls/results', 'partials/results', {
      title: `Results: ${question.questionText}`,
      question,
      ...tally,
      currentChoiceId: presenting ? undefined : await app.polls.userVote((request.user as User).id, question.id),
      presenting
    })
  })

  await app.register(presenterRoutes, { versionedTally })
}

export default pollsRoutes
