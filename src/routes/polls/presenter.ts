import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import QRCode from 'qrcode'
import type { ChoiceTally } from '../../db/polls.ts'

const QuestionParamsSchema = Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) })

interface PresenterOptions { versionedTally: (id: number) => Promise<{ results: ChoiceTally[], etag: string }> }

// The presenter view: the live results full screen for a projector, with the poll's address as a short
// link and a QR code (SVG, drawn here, so the page needs nothing from elsewhere).
export const presenterRoutes: FastifyPluginAsyncTypebox<PresenterOptions> = async (app, opts) => {
  app.get('/:id/present/', {
    schema: { params: QuestionParamsSchema },
    preHandler: app.requireRole('staff')
  }, async (request, reply) => {
    const question = await app.polls.publishedQuestion(request.params.id)
    if (question === undefined) throw app.httpErrors.notFound('No published question has that number.')
    const pollUrl = new URL(`/polls/${question.id}/`, app.config.appUrl)
    const qrSvg = await QRCode.toString(pollUrl.href, { type: 'svg', margin: 1, errorCorrectionLevel: 'M', color: { dark: '#000000', light: '#ffffff' } })
    return reply.render('pages/polls/present', null, {
      title: `Presenting: ${question.questionText}`,
      bare: true,
      question,
      ...await opts.versionedTally(question.id),
      presenting: true,
      pollUrl: pollUrl.href,
      shortUrl: `${pollUrl.host}${pollUrl.pathname}`,
      qrSvg
    })
  })
}
