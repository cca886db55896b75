import {execFile} from 'node:child_process'
import {mkdtempSync, symlinkSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

export const repoRoot = path.resolve(import.meta.dirname, '../..')
export const cliPath = path.join(repoRoot, 'bin/kubectl-mesh_ready.js')

export interface RunResult {
  code: number
  stdout: string
  stderr: string
}

/** Runs a program asynchronously (never spawnSync: the test API server lives in this process). */
export function run(file: string, args: readonly string[], options: {env?: NodeJS.ProcessEnv; timeoutMs?: number} = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(file, [...args], {env: options.env ?? process.env, timeout: options.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024}, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0
      resolve({code, stdout: String(stdout), stderr: String(stderr)})
    })
  })
}

/** The built CLI (npm test builds before vitest runs). Colour and spinners off unless a test asks otherwise. */
export function runCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  return run(process.execPath, [cliPath, ...args], {env: {...process.env, NO_COLOR: '1', ...env}})
}

/** A PATH directory holding `kubectl-mesh_ready`, so the real kubectl finds the plugin. */
export function pluginPathDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'mesh-ready-plugin-'))
  symlinkSync(cliPath, path.join(dir, 'kubectl-mesh_ready'))
  return dir
}
