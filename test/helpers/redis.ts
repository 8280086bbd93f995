import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './free-port.ts'

interface TapLike { teardown: (fn: () => unknown) => void }

export interface RedisServer {
  url: string
  port: number
  /** Stops the server (SIGKILL: nothing to keep) and waits for it to be gone. */
  stop: () => Promise<void>
  /** Starts it again on the same port, empty. */
  restart: () => Promise<void>
}

const BINARY = process.env.REDIS_SERVER ?? 'redis-server'

/**
 * A throwaway redis-server on a free loopback port: nothing saved to disk, gone at teardown. Without
 * the binary the test fails with a message saying how to get it.
 */
export async function startRedis (t: TapLike): Promise<RedisServer> {
  if (spawnSync(BINARY, ['--version']).error !== undefined) {
    throw new Error(`${BINARY} not found: install it with \`apt-get install redis-server\` (.ci/run does this) or point REDIS_SERVER at one`)
  }
  const dir = mkdtempSync(join(tmpdir(), 'polls-redis-'))
  const port = await freePort()
  let child: ChildProcess | undefined
  const start = async () => {
    const started = spawn(BINARY, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--protected-mode', 'yes'], { stdio: ['ignore', 'pipe', 'pipe'] })
    child = started
    let output = ''
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server not ready in 10 s: ${output}`)), 10_000)
      const onData = (chunk: Buffer) => {
        output += chunk.toString()
        if (output.includes('Ready to accept connections')) { clearTimeout(timer); resolve() }
      }
      started.stdout?.on('data', onData)
      started.stderr?.on('data', onData)
      started.once('exit', (code) => { clearTimeout(timer); reject(new Error(`redis-server exited (${code}): ${output}`)) })
    })
  }
  const stop = async () => {
    const running = child
    if (running === undefined || running.exitCode !== null || running.signalCode !== null) return
    const gone = new Promise((resolve) => running.once('exit', resolve))
    running.kill('SIGKILL')
    await gone
  }
  await start()
  t.teardown(async () => {
    await stop()
    rmSync(dir, { recursive: true, force: true })
  })
  return { url: `redis://127.0.0.1:${port}`, port, stop, restart: start }
}
