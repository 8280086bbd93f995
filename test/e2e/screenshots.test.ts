// A failing browser test leaves screenshots of its open pages, at desktop and phone width.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { projectRoot } from '../../src/paths.ts'
import { SCREEN_SIZES } from '../helpers/screenshots.ts'

/** Signature, width and height from a PNG's header and IHDR chunk. */
function pngHeader (file: string): { signature: string, width: number, height: number } {
  const bytes = readFileSync(file)
  return { signature: bytes.subarray(1, 4).toString(), width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) }
}

t.test('a failed e2e test writes full-page screenshots of each open page at desktop and phone width', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'polls-screenshots-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const run = spawnSync(process.execPath, ['--import=tsx', join(projectRoot, 'test/fixtures/failing-journey.ts')], {
    cwd: projectRoot, env: { ...process.env, SCREENSHOT_DIR: dir }, encoding: 'utf8', timeout: 110_000
  })
  t.not(run.status, 0, 'the deliberately failing journey fails')
  t.match(run.stdout, /not ok \d+ - deliberately/, 'for the deliberate reason')
  const [testDir, ...others] = readdirSync(dir)
  t.same(others, [], 'one folder for the failed test')
  t.match(testDir, /a-journey-that-fails/, 'named after the test')
  const files = readdirSync(join(dir, String(testDir))).sort()
  t.same(files, ['1-admin-desktop.png', '1-admin-phone.png', '2-polls-desktop.png', '2-polls-phone.png'], 'both open pages, both widths')
  for (const file of files) {
    const size = pngHeader(join(dir, String(testDir), file))
    t.equal(size.signature, 'PNG', `${file}: a PNG`)
    const wanted = file.endsWith('-phone.png') ? SCREEN_SIZES.phone : SCREEN_SIZES.desktop
    t.equal(size.width, wanted.width, `${file}: ${wanted.width} px wide`)
    t.ok(size.height >= wanted.height, `${file}: the full page, at least one screen high`)
  }
})
