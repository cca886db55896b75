/** Runs the built CLI (or any command) for the benches: exit code, output, wall time and when stdout got its first byte. */
import {spawn} from 'node:child_process'
import path from 'node:path'
import {repoRoot} from '../test-cluster/util.js'

export interface CommandRun {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
  /** Until exit. */
  readonly seconds: number
  /** Until stdout's first byte (a report is written before the probe teardown starts). */
  readonly firstOutput?: number
}

/** `file args` with NO_COLOR and `env` added; killed after 5 minutes. */
export function runCommand(file: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CommandRun> {
  const started = performance.now()
  return new Promise((resolve) => {
    const child = spawn(file, args, {env: {...process.env, NO_COLOR: '1', ...env}, stdio: ['ignore', 'pipe', 'pipe']})
    const out: Buffer[] = []
    const err: Buffer[] = []
    let firstOutput: number | undefined
    child.stdout.on('data', (chunk: Buffer) => {
      firstOutput ??= (performance.now() - started) / 1000
      out.push(chunk)
    })
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk))
    const timer = setTimeout(() => child.kill('SIGKILL'), 300_000)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({
        code: code ?? 1,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
        seconds: (performance.now() - started) / 1000,
        firstOutput,
      })
    })
  })
}

/** `kubectl mesh-ready args` through bin/kubectl-mesh_ready.js (the build). */
export const runCli = (args: readonly string[]): Promise<CommandRun> =>
  runCommand(process.execPath, [path.join(repoRoot(), 'bin/kubectl-mesh_ready.js'), ...args])
