import t from 'tap'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { TestBrowser, addQuestion, buildTestApp } from '../helpers/app.ts'

const root = fileURLToPath(new URL('../..', import.meta.url))

t.test('npm run db:backup copies the live database consistently; the copy restores the votes', async (t) => {
  const dir = t.testdir({})
  const DATABASE_URL = join(dir, 'polls.db')
  const { app } = await buildTestApp(t, { env: { DATABASE_URL } })
  const q = await addQuestion(app, 'Backed up?', -1, ['Yes', 'No'])
  const carol = new TestBrowser(app)
  await carol.login('carol')
  const token = await carol.csrfToken(`/polls/${q.id}/`)
  await carol.post(`/polls/${q.id}/vote/`, { choice: String(q.choices[0]?.id) }, { 'hx-request': 'true', 'x-csrf-token': token })

  // The app keeps serving (and voting) while the backup runs.
  const backupFile = join(dir, 'backup.db')
  const child = spawn(join(root, 'node_modules/.bin/tsx'), [join(root, 'src/db/backup-cli.ts'), backupFile], {
    cwd: dir, env: { PATH: process.env.PATH ?? '', DATABASE_URL }, stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  child.stdout.on('data', (c: Buffer) => { output += c.toString() })
  child.stderr.on('data', (c: Buffer) => { output += c.toString() })
  const during = carol.post(`/polls/${q.id}/vote/`, { choice: String(q.choices[1]?.id) }, { 'hx-request': 'true', 'x-csrf-token': token })
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
  t.equal((await during).status, 200, 'a vote during the backup succeeds')
  t.equal(code, 0, output)
  t.match(output, /Backed up .* to .*backup\.db/)

  const copy = new Database(backupFile, { readonly: true })
  t.teardown(() => copy.close())
  t.equal(copy.pragma('integrity_check', { simple: true }), 'ok')
  const votes = copy.prepare('select count(*) as n from votes where question_id = ?').get(q.id) as { n: number }
  t.equal(votes.n, 1, 'carol\'s vote is in the copy')

  const refused = spawn(join(root, 'node_modules/.bin/tsx'), [join(root, 'src/db/backup-cli.ts')], { cwd: dir, env: { PATH: process.env.PATH ?? '', DATABASE_URL } })
  t.equal(await new Promise((resolve) => refused.on('exit', resolve)), 2, 'no target → usage error')
})
