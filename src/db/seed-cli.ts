import { parseConfig, readEnv } from '../config.ts'
import { openDatabase } from './client.ts'
import { seedDemoQuestions } from './seed.ts'

// `npm run db:seed`: adds demo questions to the configured database (the app works with none too).
const config = parseConfig(readEnv())
const db = openDatabase(config.databaseUrl)
const added = seedDemoQuestions(db)
db.$client.close()
console.log(`Added ${added.length} demo questions to ${config.databaseUrl}.`)
