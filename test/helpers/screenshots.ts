import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { projectRoot } from '../../src/paths.ts'

export interface FailureAware { teardown: (fn: () => unknown) => void, passing: () => boolean, fullname: string }

export const SCREEN_SIZES = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } } as const

const slug = (text: string) => text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 80) || 'page'

/**
 * When the test has failed, every page still open in `browser` is saved as a full-page PNG at desktop
 * and at phone width, in test-output/<test>/ (or $SCREENSHOT_DIR). Registered after the browser's own
 * teardown, so it runs first (tap runs teardowns last-in, first-out), while the pages are still open.
 */
export function screenshotOnFailure (t: FailureAware, browser: Browser) {
  t.teardown(async () => {
    if (t.passing()) return
    const dir = join(process.env.SCREENSHOT_DIR ?? join(projectRoot, 'test-output'), slug(t.fullname))
    mkdirSync(dir, { recursive: true })
    const pages = browser.contexts().flatMap((context) => context.pages())
    for (const [i, page] of pages.entries()) {
      const name = `${i + 1}-${slug(new URL(page.url()).pathname)}`
      for (const [size, viewport] of Object.entries(SCREEN_SIZES)) {
        try {
          await page.setViewportSize(viewport)
          await page.screenshot({ path: join(dir, `${name}-${size}.png`), fullPage: true, timeout: 10_000 })
        } catch (err) {
          // A page that cannot be captured (closed, crashed) must not hide the test's own failure.
          process.stderr.write(`screenshot of ${page.url()} (${size}) failed: ${String(err)}\n`)
        }
      }
    }
    process.stderr.write(`screenshots of ${pages.length} open page(s) at desktop and phone width: ${dir}\n`)
  })
}
