/**
 * Start-up of the linux/amd64 single executable: `kubectl mesh-ready --help` against `kubectl version --client`
 * (goal: at most 1.5 times). Runs are interleaved so load from other processes hits both sides alike.
 */
import {execFile} from 'node:child_process'
import path from 'node:path'
import {promisify} from 'node:util'
import {REPO_ROOT, buildRelease} from '../scripts/release/build.js'
import {NODE_VERSION, selectTargets} from '../scripts/release/targets.js'

const run = promisify(execFile)

export const STARTUP_GOAL = 1.5

export interface StartupOptions {
  /** Timed runs of each command (after 3 warm-up rounds). */
  runs?: number
  /** An already built linux/amd64 executable; default: build one into release/bench. */
  executable?: string
  kubectl?: string
}

interface Case {
  label: string
  file: string
  args: string[]
  env: NodeJS.ProcessEnv
}

async function elapsedMs({file, args, env}: Case): Promise<number> {
  const start = process.hrtime.bigint()
  await run(file, args, {env})
  return Number(process.hrtime.bigint() - start) / 1e6
}

export const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

async function measure(cases: readonly Case[], runs: number): Promise<number[][]> {
  const times = cases.map(() => [] as number[])
  for (let round = -3; round < runs; round++) {
    for (const [i, c] of cases.entries()) {
      const ms = await elapsedMs(c)
      if (round >= 0) times[i]!.push(ms)
    }
  }
  return times
}

async function builtExecutable(): Promise<string> {
  const release = await buildRelease({outDir: path.join(REPO_ROOT, 'release', 'bench'), targets: selectTargets('linux/amd64')})
  return release.archives[0]!.executable
}

const verdict = (ratio: number) => `${ratio.toFixed(2)} × kubectl (goal ≤ ${STARTUP_GOAL} ×: ${ratio <= STARTUP_GOAL ? 'met' : 'NOT met'})`

export async function benchStartup(options: StartupOptions = {}): Promise<string> {
  const runs = options.runs ?? 21
  const exe = options.executable ?? (await builtExecutable())
  const kubectl = options.kubectl ?? 'kubectl'
  const env = {...process.env}
  const {NODE_EXTRA_CA_CERTS: extraCa, ...withoutExtraCa} = env
  const cases: Case[] = [
    {label: 'kubectl version --client', file: kubectl, args: ['version', '--client'], env},
    {label: 'kubectl mesh-ready --help', file: exe, args: ['--help'], env},
    {label: 'kubectl mesh-ready --version', file: exe, args: ['--version'], env},
  ]
  if (extraCa !== undefined) cases.push({label: '--help without NODE_EXTRA_CA_CERTS', file: exe, args: ['--help'], env: withoutExtraCa})
  const times = await measure(cases, runs)
  const medians = times.map(median)
  const base = medians[0]!
  const {stderr} = await run(exe, ['--version'], {env: {...env, KUBECTL_MESH_READY_DEBUG_STARTUP: '1'}})

  const lines = [`Start-up, linux/amd64 executable (Node ${NODE_VERSION} single executable), median [fastest] of ${runs} interleaved runs:`]
  for (const [i, c] of cases.entries()) {
    const ratio = i === 1 || i === 3 ? `  ${verdict(medians[i]! / base)}` : ''
    lines.push(`  ${c.label.padEnd(36)} ${medians[i]!.toFixed(1).padStart(6)} ms [${Math.min(...times[i]!).toFixed(1)}]${ratio}`)
  }
  lines.push(`  ${stderr.trim() || 'code cache: unknown'} (V8 code cache trained at build time)`)
  if (extraCa !== undefined) {
    lines.push('  NODE_EXTRA_CA_CERTS is set here: Node 20 reads that CA file before any JavaScript runs (kubectl does not);')
    lines.push('  the row without it is what a user without that variable sees.')
  }
  return lines.join('\n')
}
