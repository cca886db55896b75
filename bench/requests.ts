/**
 * `npm run bench` part for `requests`: how many API requests one `kubectl mesh-ready check -o json` makes against the
 * demo cluster (platform, three node pools with probes, the shop workloads), and which reads it makes more than once.
 * A duplicate is a second GET of the same path (any query) outside the probe's own traffic: watches, log reads, the
 * probe namespace's and probe pods' GETs and every write are the probe session polling or changing state, not reads
 * of the snapshot. Goal: 0 duplicate reads (issue 11: `check` gathers one shared snapshot for all areas).
 */
import path from 'node:path'
import {startApiServer} from '../test-cluster/index.js'
import {runCli} from './command.js'

const SCENARIO = 'demo'

/** Measured before the shared snapshot, on the same scenario and command. */
const BEFORE = {commit: '8ba0549', requests: 59, duplicates: 5} as const

interface Recorded {
  readonly method: string
  readonly path: string
  readonly query: Readonly<Record<string, string>>
}

/** Not a snapshot read: a write (POST/PATCH/DELETE, access reviews, the dry run), a watch, a log, or the probe session's GETs of its namespace and pods (polling). */
export function notARead(r: Recorded, probeNamespace: string): boolean {
  if (r.method !== 'GET') return true
  if (r.query.watch === 'true' || r.query.watch === '1') return true
  if (r.path.endsWith('/log')) return true
  if (r.path === `/api/v1/namespaces/${probeNamespace}`) return true
  return r.path.startsWith(`/api/v1/namespaces/${probeNamespace}/`)
}

/** method + path → how often, for the reads (probe traffic left out); the paths read more than once. */
export function duplicateReads(requests: readonly Recorded[], probeNamespace: string): Array<{read: string; times: number}> {
  const counts = new Map<string, number>()
  for (const r of requests) {
    if (notARead(r, probeNamespace)) continue
    const key = `${r.method} ${r.path}`
    counts.set(key, (counts.get(key) ?? 0) + 1)
  }
  return [...counts]
    .filter(([, n]) => n > 1)
    .map(([read, times]) => ({read, times}))
    .sort((a, b) => b.times - a.times || a.read.localeCompare(b.read))
}

export async function benchRequests(): Promise<string> {
  const server = await startApiServer({scenario: SCENARIO})
  try {
    const run = await runCli(['check', '--kubeconfig', server.kubeconfigPath, '-o', 'json'])
    if (run.stdout.trim() === '') throw new Error(`bench: check printed nothing (exit ${run.code}): ${run.stderr.trim()}`)
    const report = JSON.parse(run.stdout) as {data?: {nodes?: {probe?: {namespace?: string}}}}
    const probeNamespace = report.data?.nodes?.probe?.namespace ?? 'mesh-ready-probe'
    const made = server.requests.map((r) => ({method: r.method, path: r.path, query: r.query}))
    const duplicates = duplicateReads(made, probeNamespace)
    const extra = duplicates.reduce((sum, d) => sum + d.times - 1, 0)
    const other = made.filter((r) => notARead(r, probeNamespace)).length
    return [
      `requests: check -o json on the ${SCENARIO} scenario (exit ${run.code})`,
      `requests: before (commit ${BEFORE.commit}): ${BEFORE.requests} requests, ${BEFORE.duplicates} duplicate reads; now: ${made.length} requests, ${extra} duplicate reads (goal 0)`,
      `requests: reads ${made.length - other}; writes, watches, logs and probe namespace/pod GETs ${other}`,
      ...duplicates.map((d) => `requests:   ${d.times} × ${d.read}`),
    ].join('\n')
  } finally {
    await server.stop()
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  console.log(await benchRequests())
}
