import type { Db } from './client.ts'
import { choices, questions, type Question } from './schema.ts'
import type { NewQuestion, Store } from './store.ts'

export type { NewQuestion }

/** A question and its choices, written together or not at all. */
export function createQuestion (db: Db, input: NewQuestion): Question {
  return db.transaction((tx) => {
    const question = tx.insert(questions).values({ questionText: input.questionText, pubDate: input.pubDate }).returning().get()
    if (input.choices.length > 0) {
      tx.insert(choices).values(input.choices.map((choiceText) => ({ questionId: question.id, choiceText }))).run()
    }
    return question
  })
}

const DAY = 24 * 60 * 60 * 1000

/** Demo content for `npm run db:seed`: the Django tutorial's question and a few more. */
export async function seedDemoQuestions (store: Pick<Store, 'createQuestion'>, now = Date.now()): Promise<Question[]> {
  const demo = [
    { questionText: 'What\'s up?', pubDate: new Date(now - 2 * 60 * 1000), choices: ['Not much', 'The sky', 'Just hacking again'] },
    { questionText: 'Which identity provider do you use?', pubDate: new Date(now - DAY / 2), choices: ['ZITADEL', 'Keycloak', 'Something else'] },
    { questionText: 'Tabs or spaces?', pubDate: new Date(now - 3 * DAY), choices: ['Tabs', 'Spaces', 'Whatever the formatter says'] },
    { questionText: 'Best time for the team meeting?', pubDate: new Date(now - 10 * DAY), choices: ['Morning', 'After lunch', 'Never'] }
  ]
  const added: Question[] = []
  for (const q of demo) added.push(await store.createQuestion(q))
  return added
}
