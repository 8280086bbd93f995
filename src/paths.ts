import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The project folder (templates/, public/, drizzle/ live there), found from this file whether it runs
 * as TypeScript from src/ or bundled into dist/.
 */
function findProjectRoot (): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'drizzle'))) {
    const parent = dirname(dir)
    if (parent === dir) throw new Error('cannot find the project folder (package.json beside drizzle/)')
    dir = parent
  }
  return dir
}

export const projectRoot = findProjectRoot()
