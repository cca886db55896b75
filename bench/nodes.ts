/**
 * `npm run bench` part for `nodes`: the test API server with 5,000 nodes in 5 node groups, each probe simulated to
 * take 2 s (kubelet.simulateOnly + runDelayMs 2000). Runs `kubectl mesh-ready nodes` through the built CLI and
 * reports its wall time against one probe's time, and how many probe pods it created.
 * Goal: a verdict within 2 × one probe, with one pod per group.
 */
import path from 'node:path'
import {startApiServer} from '../test-cluster/index.js'
import {runCli} from './command.js'

const SCENARIO = 'nodes-bench'
const NODES = 5000
const GROUPS = 5
const PROBE_MS = 2000

export async function benchNodes(): Promise<string> {
  const server = await startApiServer({scenario: SCENARIO})
  try {
    const nodes = server.store.count('nodes')
    if (nodes !== NODES) throw new Error(`bench: the ${SCENARIO} scenario has ${nodes} nodes, expected ${NODES}`)
    const startup = await runCli(['--version'])
    const before = server.requests.length
    const run = await runCli(['nodes', '--kubeconfig', server.kubeconfigPath, '-o', 'json'])
    if (run.stdout.trim() === '') throw new Error(`bench: nodes printed nothing (exit ${run.code}): ${run.stderr.trim()}`)
    const report = JSON.parse(run.stdout) as {data: {nodes: {groups: unknown[]; probe: {podsCreated: number}}}}
    const made = server.requests.slice(before)
    const created = made.filter((r) => r.method === 'POST' && /\/namespaces\/[^/]+\/pods$/.test(r.path) && r.status === 201).length
    const left = server.store.list('pods').filter((p) => p.metadata.labels?.['app.kubernetes.io/managed-by'] === 'kubectl-mesh-ready').length
    const probeSeconds = PROBE_MS / 1000
    const ratio = run.seconds / probeSeconds
    return [
      `nodes: ${NODES} nodes in ${report.data.nodes.groups.length} groups (expected ${GROUPS}), each probe simulated to take ${probeSeconds.toFixed(1)} s`,
      `nodes: wall ${run.seconds.toFixed(2)} s = ${ratio.toFixed(2)} × one probe (goal ≤ 2.00 ×; CLI start-up alone ${startup.seconds.toFixed(2)} s)`,
      `nodes: the plugin's own time beyond start-up and one probe: ${Math.max(0, run.seconds - startup.seconds - probeSeconds).toFixed(2)} s`,
      `nodes: probe pods created ${created} (goal ${GROUPS}, one per group; the report counts ${report.data.nodes.probe.podsCreated}); left behind ${left}`,
      `nodes: API requests ${made.length} (node list pages ${made.filter((r) => r.path === '/api/v1/nodes').length})`,
    ].join('\n')
  } finally {
    await server.stop()
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  console.log(await benchNodes())
}
