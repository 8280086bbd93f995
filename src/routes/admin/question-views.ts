import type { FastifyInstance } from 'fastify'
import type { FastifyRequest } from 'fastify'
import { DATE_FILTERS, SORT_KEYS, type DateFilter, type QuestionListQuery, type SortKey } from '../../db/admin-questions.ts'
import { wasPublishedRecently } from '../../db/polls.ts'
import type { Question } from '../../db/schema.ts'
import { Type } from '@sinclair/typebox'
import { formatDateTime, type FieldErrors } from './forms.ts'

export const QuestionListQuerySchema = Type.Object({
  q: Type.Optional(Type.String({ maxLength: 200 })),
  date: Type.Optional(Type.Union(DATE_FILTERS.map((d) => Type.Literal(d)))),
  o: Type.Optional(Type.String({ pattern: `^-?(${SORT_KEYS.join('|')})$` })),
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 }))
})

export interface RawListQuery { q?: string, date?: DateFilter, o?: string, page?: number }

/**
 * Search text as typed, less control characters (a NUL would end the text early in SQLite), with any
 * broken UTF-16 (a lone surrogate) replaced, since the database stores UTF-8.
 */
export function cleanSearch (raw: string | undefined): string {
  return (raw ?? '').replace(/[\u0000-\u001f\u007f]/g, '').toWellFormed()
}

export function toListQuery (raw: RawListQuery): QuestionListQuery {
  const o = raw.o ?? '-pub_date'
  return {
    search: cleanSearch(raw.q),
    date: raw.date ?? 'any',
    sort: o.replace(/^-/, '') as SortKey,
    descending: o.startsWith('-'),
    page: raw.page ?? 1
  }
}

/** Builds list URLs that keep the current search, filter and sort (for links, htmx and bookmarks). */
export function listUrl (query: QuestionListQuery, change: Partial<QuestionListQuery> = {}): string {
  const next = { ...query, ...change }
  const params = new URLSearchParams()
  if (next.search !== '') params.set('q', next.search)
  if (next.date !== 'any') params.set('date', next.date)
  const o = `${next.descending ? '-' : ''}${next.sort}`
  if (o !== '-pub_date') params.set('o', o)
  if (next.page > 1) params.set('page', String(next.page))
  const qs = params.toString()
  return `/admin/questions/${qs === '' ? '' : `?${qs}`}`
}

/** What a table row shows (templates/partials/admin/question-row.eta), with the date formatted once. */
export function rowView (question: Question, now = Date.now()) {
  return {
    id: question.id,
    questionText: question.questionText,
    choiceCount: question.choiceCount,
    voteCount: question.voteCount,
    recently: wasPublishedRecently(question, now),
    pubDateIso: question.pubDate.toISOString(),
    pubDateShown: formatDateTime(question.pubDate).replace('T', ' ')
  }
}

/** Everything the questions table partial needs. */
export async function tableData (app: FastifyInstance, query: QuestionListQuery, message?: string) {
  const now = Date.now()
  const result = await app.admin.questions.listQuestions(query, new Date(now))
  const sortUrl = (key: SortKey) => listUrl(query, { sort: key, descending: query.sort === key ? !query.descending : key !== 'text', page: 1 })
  return {
    query: { ...query, page: result.page },
    rows: result.rows.map((q) => rowView(q, now)),
    total: result.total,
    pages: result.pages,
    pageUrl: (page: number) => listUrl(query, { page }),
    sortUrl,
    listUrl: listUrl({ ...query, page: result.page }),
    message
  }
}

export interface AddFormState { values: { questionText: string, pubDateRaw: string, choices: string[] }, errors: FieldErrors, open: boolean }

/** Closed and empty; a success is announced above the table, where the new row shows, not in the panel. */
export function emptyAddForm (): AddFormState {
  return { values: { questionText: '', pubDateRaw: formatDateTime(new Date()), choices: ['', '', ''] }, errors: {}, open: false }
}

/** The table view to return to, from a `back` field or htmx's current URL; only ever our own list. */
export function returnQuery (request: FastifyRequest, back: string | undefined) {
  const source = back ?? (typeof request.headers['hx-current-url'] === 'string' ? request.headers['hx-current-url'] : '')
  let raw: RawListQuery = {}
  try {
    const url = new URL(source, 'http://x.invalid')
    if (url.pathname === '/admin/questions/') {
      const p = url.searchParams
      const date = p.get('date') as DateFilter | null
      const page = Number(p.get('page') ?? '1')
      const o = p.get('o') ?? undefined
      raw = {
        q: p.get('q')?.slice(0, 200) ?? undefined,
        date: date !== null && DATE_FILTERS.includes(date) ? date : undefined,
        o: o !== undefined && /^-?(text|pub_date|choices|votes)$/.test(o) ? o : undefined,
        page: Number.isSafeInteger(page) && page > 0 ? page : 1
      }
    }
  } catch { /* an unparsable `back` just means the default view */ }
  return toListQuery(raw)
}

