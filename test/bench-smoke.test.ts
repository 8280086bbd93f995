// A tiny run of `npm run bench` so the benchmark itself cannot rot; the real run is `npm run bench`.
import t from 'tap'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

t.test('npm run bench -- --smoke completes, keeps the vote invariant and prints its figures', async (t) => {
  const root = fileURLToPath(new URL('..', import.meta.url))
  const child = spawn('npm', ['run', '-s', 'bench', '--', '--smoke'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
  t.equal(code, 0, `the bench exits 0${code === 0 ? '' : `: ${stderr.slice(-2000)}`}`)
  const last = stdout.trim().split('\n').pop() ?? '{}'
  const report = JSON.parse(last) as {
    ok: boolean, endpoints: Record<string, { rps: number, ceilingRps: number, ratio: number }>, serverErrors: string[],
    invariant: { violations: string[], shownEqualsStored: boolean }, peakRssMb: number, readyMs: { withoutBuiltInProvider: number }
    serverTimesMs: Record<string, number>
  }
  t.ok(report.ok)
  t.same(report.serverErrors, [], 'no 5xx')
  t.same(report.invariant.violations, [], 'every voter has exactly one vote; totals equal rows')
  t.ok(report.invariant.shownEqualsStored, 'the counts shown equal the rows stored')
  t.equal(Object.keys(report.endpoints).length, 5, 'all five endpoints measured')
  for (const [name, figure] of Object.entries(report.endpoints)) {
    t.ok(figure.rps > 0 && figure.ceilingRps > 0, `${name}: both sides measured`)
  }
  t.ok(report.peakRssMb > 0)
  t.ok(report.readyMs.withoutBuiltInProvider > 0)
  t.equal(Object.keys(report.serverTimesMs).length, 9, 'per-query admin server times')
  t.match(stderr, /req\/s/, 'human-readable figures on stderr')
})
