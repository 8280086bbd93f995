import type { Question, User } from '../../db/schema.ts'
import type { PollStore } from '../../db/store.ts'

const DAY = 24 * 60 * 60 * 1000
// Dates are UTC throughout the app (the admin console says so); written as people say them.
const longDate = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' })

/** "today", "yesterday", "3 days ago", then "2 December 2026". */
export function humanDate (date: Date, now = Date.now()): string {
  const days = Math.floor(now / DAY) - Math.floor(date.getTime() / DAY)
  if (days <= 0) return 'today'
  if (days === 1) return 'yesterday'
  if (days < 7) return `${days} days ago`
  return longDate.format(date)
}

/** When humanDate's words for any date change next: the next UTC midnight. */
export function nextDayStart (now = Date.now()): number {
  return (Math.floor(now / DAY) + 1) * DAY
}

export interface PollListItem { id: number, questionText: string, voteCount: number, voted: boolean, pubDateIso: string, pubDateShown: string }

/** What templates/partials/poll-list.eta shows for each question, with the user's voted state. */
export async function pollListItems (polls: PollStore, user: User | null, questions: Question[], now = Date.now()): Promise<PollListItem[]> {
  const voted = user === null ? new Set<number>() : await polls.votedQuestionIds(user.id, questions.map((q) => q.id))
  return questions.map((q) => ({
    id: q.id,
    questionText: q.questionText,
    voteCount: q.voteCount,
    voted: voted.has(q.id),
    pubDateIso: q.pubDate.toISOString(),
    pubDateShown: humanDate(q.pubDate, now)
  }))
}
