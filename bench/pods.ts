/**
 * `npm run bench` part for `pods`: starts the test API server in its own process holding 100,000 pods in 2,000
 * workloads, then runs `kubectl mesh-ready pods -A -o json` and `kubectl get pods -A -o json` against it, one after
 * the other, and reports wall time and peak RSS of each and their ratio. Goal: ratio ≤ 1.0, peak < 256 MiB.
 */
import type {ChildProcess} from 'node:child_process'
import {spawn} from 'node:child_process'
import {existsSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {createInterface} from 'node:readline'
import {repoRoot} from '../test-cluster/util.js'

const SCENARIO = 'pods-bench'
const EXPECTED = {pods: 100_000, workloads: 2_000}
const GOAL_MIB = 256
const TIME = '/usr/bin/time'

interface Measured {
  seconds: number
  peakMiB: number
  code: number
  stderr: string
}

/** Peak RSS of a process from /proc (VmHWM is the high-water mark, so sampling only risks missing the very end). */
function sampleHighWater(pid: number, onSample: (kib: number) => void): () => void {
  const timer = setInterval(() => {
    try {
      const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
      if (match) onSample(Number(match[1]))
    } catch {
      // the process has exited
    }
  }, 20)
  return () => clearInterval(timer)
}

/** Runs a command with stdout to a file, measuring wall time and peak RSS (GNU time when present, else /proc sampling). */
function measure(command: string, args: readonly string[], stdoutFile: string): Promise<Measured> {
  const useTime = existsSync(TIME)
  const out = openSync(stdoutFile, 'w')
  const started = performance.now()
  const child = useTime
    ? spawn(TIME, ['-f', 'bench-peak-kib %M', command, ...args], {stdio: ['ignore', out, 'pipe']})
    : spawn(command, [...args], {stdio: ['ignore', out, 'pipe']})
  let sampled = 0
  const stop = useTime ? () => {} : sampleHighWater(child.pid!, (kib) => (sampled = Math.max(sampled, kib)))
  let stderr = ''
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code) => {
      stop()
      closeSync(out)
      const seconds = (performance.now() - started) / 1000
      const timed = /bench-peak-kib (\d+)/.exec(stderr)
      const kib = timed ? Number(timed[1]) : sampled
      resolve({seconds, peakMiB: kib / 1024, code: code ?? 1, stderr: stderr.replace(/^bench-peak-kib \d+\n?/m, '').trim()})
    })
  })
}

async function startServer(root: string): Promise<{child: ChildProcess; kubeconfig: string; cacheDir: string}> {
  const cli = path.join(root, 'dist/test-cluster/cli.js')
  if (!existsSync(cli)) throw new Error(`bench: ${cli} is missing; run npm run build first`)
  const child = spawn(process.execPath, [cli, '--scenario', SCENARIO], {stdio: ['ignore', 'pipe', 'inherit']})
  const line = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({input: child.stdout!})
    lines.once('line', resolve)
    child.once('exit', (code) => reject(new Error(`bench: the test API server exited (${code}) before listening`)))
  })
  const info = JSON.parse(line) as {kubeconfig: string; cacheDir: string}
  return {child, kubeconfig: info.kubeconfig, cacheDir: info.cacheDir}
}

const row = (label: string, m: Measured) =>
  `${label.padEnd(40)} ${m.seconds.toFixed(2).padStart(7)} s  ${m.peakMiB.toFixed(0).padStart(5)} MiB peak RSS  (exit ${m.code})`

export async function benchPods(): Promise<string> {
  const root = repoRoot()
  const work = mkdtempSync(path.join(tmpdir(), 'bench-pods-'))
  const server = await startServer(root)
  try {
    const kubeconfig = ['--kubeconfig', server.kubeconfig]
    const oursFile = path.join(work, 'pods.json')
    const ours = await measure(process.execPath, [path.join(root, 'bin/kubectl-mesh_ready.js'), 'pods', '-A', '-o', 'json', ...kubeconfig], oursFile)
    if (ours.code !== 0 && ours.code !== 3 && ours.code !== 4) throw new Error(`bench: mesh-ready pods exited ${ours.code}: ${ours.stderr}`)
    const report = JSON.parse(readFileSync(oursFile, 'utf8')) as {data: {pods: {podsRead: number; workloads: unknown[]}}}
    const {podsRead, workloads} = report.data.pods
    if (podsRead !== EXPECTED.pods || workloads.length !== EXPECTED.workloads) {
      throw new Error(`bench: mesh-ready read ${podsRead} pods in ${workloads.length} workloads, expected ${EXPECTED.pods} in ${EXPECTED.workloads}`)
    }
    const kubectl = await measure(
      'kubectl',
      ['get', 'pods', '-A', '-o', 'json', '--cache-dir', server.cacheDir, ...kubeconfig],
      path.join(work, 'kubectl.json'),
    )
    if (kubectl.code !== 0) throw new Error(`bench: kubectl exited ${kubectl.code}: ${kubectl.stderr}`)
    const time = ours.seconds / kubectl.seconds
    const memory = ours.peakMiB / kubectl.peakMiB
    const met = time <= 1 && memory <= 1 && ours.peakMiB < GOAL_MIB
    return [
      `pods: ${EXPECTED.pods} pods in ${EXPECTED.workloads} workloads (scenario ${SCENARIO}, API server in its own process; peak RSS via ${existsSync(TIME) ? TIME : '/proc VmHWM sampling'})`,
      row('kubectl mesh-ready pods -A -o json', ours),
      row('kubectl get pods -A -o json', kubectl),
      `pods: ratio mesh-ready/kubectl: time ${time.toFixed(2)}, peak memory ${memory.toFixed(2)}; goal ≤ 1.00 and < ${GOAL_MIB} MiB: ${met ? 'met' : 'NOT met'}`,
    ].join('\n')
  } finally {
    server.child.kill('SIGTERM')
    rmSync(work, {recursive: true, force: true})
  }
}
