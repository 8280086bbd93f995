import { Type } from '@sinclair/typebox'

export const MAX_TEXT = 200
export const IdParamsSchema = Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) })

// Form fields arrive as strings; lengths are checked here (with messages), not by the schema, so an
// over-long text gets a 422 beside its field instead of a bare 400.
const field = Type.Optional(Type.String({ maxLength: 10_000 }))
export const QuestionFormSchema = Type.Object({
  question_text: field,
  pub_date: field,
  version: field,
  choice: Type.Optional(Type.Union([Type.String({ maxLength: 10_000 }), Type.Array(Type.String({ maxLength: 10_000 }), { maxItems: 100 })])),
  _csrf: field
})
export const ChoiceFormSchema = Type.Object({ choice_text: field, _csrf: field })

export type FieldErrors = Record<string, string>

/** `YYYY-MM-DDTHH:MM[:SS]` as sent by <input type="datetime-local">, read as UTC (the console says so). */
export function parseDateTime (raw: string | undefined): Date | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(raw?.trim() ?? '')
  if (m === null) return undefined
  const [year, month, day, hour, minute, second] = m.slice(1).map((v) => Number(v ?? 0)) as [number, number, number, number, number, number]
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second))
  // Date.UTC rolls 31 February into March; a real date round-trips.
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) return undefined
  return date
}

export function formatDateTime (date: Date): string {
  return date.toISOString().slice(0, 16)
}

export function checkText (raw: string | undefined, label: string): { value: string, error?: string } {
  const value = (raw ?? '').trim()
  if (value === '') return { value, error: `${label} is required.` }
  if (!value.isWellFormed()) return { value: value.toWellFormed(), error: `${label} is not well-formed text (it has a broken character); retype it.` }
  if (/[\u0000-\u001f\u007f]/.test(value)) return { value: value.replace(/[\u0000-\u001f\u007f]/g, ''), error: `${label} must not contain control characters (such as line breaks or tabs).` }
  if ([...value].length > MAX_TEXT) return { value, error: `${label} must be at most ${MAX_TEXT} characters (it has ${[...value].length}).` }
  return { value }
}

export interface QuestionFields { questionText: string, pubDateRaw: string, pubDate?: Date, choices: string[] }

export function parseQuestionForm (body: { question_text?: string, pub_date?: string, choice?: string | string[] }): { fields: QuestionFields, errors: FieldErrors } {
  const errors: FieldErrors = {}
  const text = checkText(body.question_text, 'Question text')
  if (text.error !== undefined) errors.question_text = text.error
  const pubDateRaw = (body.pub_date ?? '').trim()
  const pubDate = parseDateTime(pubDateRaw)
  if (pubDate === undefined) errors.pub_date = pubDateRaw === '' ? 'Date published is required.' : 'Enter a valid date and time (YYYY-MM-DD HH:MM).'
  const choices = ([] as string[]).concat(body.choice ?? []).map((c) => c.trim())
  choices.forEach((choice, i) => {
    if ([...choice].length > MAX_TEXT) errors[`choice_${i}`] = `Choice text must be at most ${MAX_TEXT} characters.`
    else if (!choice.isWellFormed()) errors[`choice_${i}`] = 'Choice text is not well-formed text (it has a broken character); retype it.'
    else if (/[\u0000-\u001f\u007f]/.test(choice)) errors[`choice_${i}`] = 'Choice text must not contain control characters.'
  })
  return { fields: { questionText: text.value, pubDateRaw, pubDate, choices }, errors }
}
