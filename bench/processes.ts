import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
export { freePort } from '../test/helpers/free-port.ts'

export const root = fileURLToPath(new URL('..', import.meta.url))
// Node itself with tsx's loader (not the tsx CLI, which would add a supervising process to measure).
const tsxLoader = new URL('../node_modules/tsx/dist/loader.mjs', import.meta.url).href


/**
 * Node's flags for the built app, as `npm run start:production` gives them (package.json is the one
 * place they are written), so that the bench measures what production runs.
 */
export const productionNodeArgs: string[] = (() => {
  const script = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts['start:production'] ?? ''
  return script.split(/\s+/).filter((word) => word.startsWith('--'))
})()

// Whatever way the bench or profiler ends (a failed check exits at once), no server it started stays.
const startedChildren = new Set<ChildProcess>()
process.on('exit', () => { for (const child of startedChildren) child.kill('SIGKILL') })

export interface Running { child: ChildProcess, readyMs: number, output: () => string, stop: () => Promise<void> }

/** Starts a TypeScript entry point and waits until `url` answers 200; reports how long that took. */
export async function startProcess (script: string, env: Record<string, string>, readyUrl: string, cwd: string, nodeArgs: string[] = []): Promise<Running> {
  const started = performance.now()
  // Built JavaScript (dist/) runs as production does; TypeScript goes through tsx's loader.
  const args = [...(script.endsWith('.ts') ? ['--import', tsxLoader] : productionNodeArgs), ...nodeArgs, resolve(root, script)]
  const child = spawn(process.execPath, args, { cwd, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  startedChildren.add(child)
  child.on('exit', () => startedChildren.delete(child))
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => { output = (output + chunk.toString()).slice(-20_000) })
  child.stderr?.on('data', (chunk: Buffer) => { output = (output + chunk.toString()).slice(-20_000) })
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()))
  const deadline = Date.now() + 60_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${script} exited: ${output}`)
    try {
      if ((await fetch(readyUrl)).status === 200) break
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) throw new Error(`${script} not ready: ${output}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  const readyMs = performance.now() - started
  return {
    child,
    readyMs,
    output: () => output,
    stop: async () => {
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await exited
      clearTimeout(timer)
    }
  }
}

function descendants (pid: number): number[] {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)
    return [pid, ...children.flatMap(descendants)]
  } catch {
    return [pid]
  }
}

/** Peak resident memory (VmHWM) of a process, and of each of its descendants (cluster workers), in MB. */
export function peakRssMb (pid: number): { total: number, largest: number } {
  return memoryMb(pid, 'VmHWM')
}

/**
 * Starts a new peak: the kernel's VmHWM of the process and its descendants is set back to what they hold
 * now (clear_refs 5), so the next peakRssMb is the peak of what ran since.
 */
export function resetPeakRss (pid: number): void {
  for (const p of descendants(pid)) {
    try { writeFileSync(`/proc/${p}/clear_refs`, '5') } catch { /* gone, or not allowed: the peak stays since start */ }
  }
}

/** Resident memory right now (VmRSS) of a process and its descendants, in MB (one decimal). */
export function rssMb (pid: number): { total: number, largest: number } {
  return memoryMb(pid, 'VmRSS', 10)
}

function memoryMb (pid: number, field: 'VmHWM' | 'VmRSS', precision = 1): { total: number, largest: number } {
  let total = 0
  let largest = 0
  for (const p of descendants(pid)) {
    try {
      const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${p}/status`, 'utf8'))
      const mb = Number(match?.[1] ?? 0) / 1024
      total += mb
      largest = Math.max(largest, mb)
    } catch { /* gone */ }
  }
  return { total: Math.round(total * precision) / precision, largest: Math.round(largest * precision) / precision }
}

const clockTicks = (() => {
  const answer = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()
  return Number(answer) > 0 ? Number(answer) : 100
})()

/**
 * CPU seconds used so far by a process and its descendants (user + system, /proc/<pid>/stat), including
 * children that already exited and were reaped (cutime/cstime): a database's per-connection backends
 * come and go, and their time is still counted in the server process that reaped them.
 */
export function cpuSeconds (pid: number): number {
  let ticks = 0
  for (const p of descendants(pid)) {
    try {
      // The fields after the command name (which may hold spaces), from field 3 on.
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])
    } catch { /* gone */ }
  }
  return ticks / clockTicks
}
