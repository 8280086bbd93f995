// npm run build: the production bundle in dist/ (npm run start:production runs it).
// The dependencies are bundled too, not only our code: Node then reads one file instead of resolving
// and loading several hundred from node_modules, which took about a third of the start-up time
// (to ready: ~900 → ~650 ms on a 2-core VM, measured with `npm run bench`'s start-to-ready check).
import { build } from 'esbuild'

await build({
  entryPoints: ['src/server.ts'],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  splitting: true,
  outdir: 'dist',
  sourcemap: true,
  // Stack traces map to src/ without embedding every dependency's source in the map.
  sourcesContent: false,
  logLevel: 'warning',
  external: [
    // Native addons, loaded from their own folders.
    'better-sqlite3', 'sodium-native',
    // pino starts transports in worker threads from files it resolves at run time.
    'pino', 'pino-pretty', 'thread-stream',
    // The development provider: large, loaded only when no provider is configured (never in production).
    'oidc-provider'
  ],
  // Bundled CommonJS packages call require() for Node's own modules; ESM has no require of its own.
  banner: { js: "import { createRequire as __pollsCreateRequire } from 'node:module'; const require = __pollsCreateRequire(import.meta.url);" }
})
