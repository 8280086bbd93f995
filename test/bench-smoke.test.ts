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

// After the bench above, which built dist/: the soak's machinery for a few seconds (`npm run test:faults`
// runs it for ten minutes).
t.test('the soak (smoke run): mixed load with admin edits, no error responses, its figures printed', async (t) => {
  const root = fileURLToPath(new URL('..', import.meta.url))
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/soak.ts', '--smoke'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
  t.equal(code, 0, `the soak exits 0${code === 0 ? '' : `: ${stderr.slice(-2000)}`}`)
  const report = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as {
    ok: boolean, errorResponses: number, adminEditRounds: number, perKind: Record<string, { requests: number }>
    rssMb: { afterWarmUp: number, atEnd: number }, checks: Record<string, boolean | null>
  }
  t.ok(report.ok)
  t.equal(report.errorResponses, 0, 'no error responses')
  t.same(Object.keys(report.perKind).sort(), ['admin edit', 'admin search', 'browse index', 'browse question', 'results', 'vote'], 'every kind of request ran')
  t.ok(report.adminEditRounds > 0, 'admin edits went through')
  t.ok(report.rssMb.afterWarmUp > 0 && report.rssMb.atEnd > 0, 'RSS measured twice')
  t.same(report.checks, { noErrorResponses: true, rssGrowthUnder10Pct: null, integrityOk: true, voteTotalsMatchRows: true })
  t.match(stderr, /RSS \(lowest of each window\): [\d.]+ MB after warm-up → [\d.]+ MB at the end/, 'human-readable figures on stderr')
})
