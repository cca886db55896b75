/**
 * `npm run bench` part for `daemonset`: `kubectl mesh-ready nodes --all-nodes` on the nodes-bench cluster (5,000 nodes),
 * where `--fan-out auto` picks one DaemonSet (more than 50 nodes): the cluster's controller makes one probe pod per node,
 * the plugin reads 5,000 termination messages with bounded concurrency. Each probe is simulated to take 2 s and to
 * report what the real probe script reported on this machine (run once here first), so all 5,000 nodes are judged.
 * Goal (issue 11): the verdict within 3 × one probe, one DaemonSet, no probe pod created by the plugin, nothing left.
 */
import {execFile} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {MANAGED_BY_LABEL, MANAGED_BY_VALUE} from '../src/gather/probe/labels.js'
import {probeArgs} from '../src/gather/probe/script.js'
import {loadScenario, startApiServer} from '../test-cluster/index.js'
import {repoRoot} from '../test-cluster/util.js'

const SCENARIO = 'nodes-bench'
const NODES = 5000
const PROBE_MS = 2000

interface Run {
  code: number
  stdout: string
  stderr: string
  seconds: number
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const started = performance.now()
  return new Promise((resolve) => {
    execFile(file, args, {env: {...process.env, NO_COLOR: '1', ...env}, maxBuffer: 256 * 1024 * 1024, timeout: 300_000}, (error, stdout, stderr) =>
      resolve({code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout: String(stdout), stderr: String(stderr), seconds: (performance.now() - started) / 1000}),
    )
  })
}

/** The real probe script once against this machine's root (static mode): its report and its own time. */
async function realProbe(root: string): Promise<{report: string; seconds: number}> {
  const dir = mkdtempSync(path.join(tmpdir(), 'mesh-ready-bench-'))
  try {
    const message = path.join(dir, 'termination-log')
    const script = readFileSync(path.join(root, 'probe/node-probe.sh'), 'utf8')
    const probe = await run('sh', ['-c', script, ...probeArgs('')], {HOST_ROOT: '/', TERMINATION_MESSAGE_PATH: message})
    if (probe.code !== 0) throw new Error(`bench: the probe script failed on this machine (exit ${probe.code}): ${probe.stderr.trim()}`)
    return {report: readFileSync(message, 'utf8'), seconds: probe.seconds}
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

export async function benchDaemonSet(): Promise<string> {
  const root = repoRoot()
  const cli = path.join(root, 'bin/kubectl-mesh_ready.js')
  const probe = await realProbe(root)
  const scenario = loadScenario(SCENARIO)
  const server = await startApiServer({scenario: {...scenario, kubelet: {...scenario.kubelet, simulateOnly: true, runDelayMs: PROBE_MS, simulatedMessage: probe.report}}})
  try {
    const nodes = server.store.count('nodes')
    if (nodes !== NODES) throw new Error(`bench: the ${SCENARIO} scenario has ${nodes} nodes, expected ${NODES}`)
    const startup = await run(process.execPath, [cli, '--version'])
    const before = server.requests.length
    const result = await run(process.execPath, [cli, 'nodes', '--all-nodes', '--kubeconfig', server.kubeconfigPath, '-o', 'json'])
    if (result.stdout.trim() === '') throw new Error(`bench: nodes printed nothing (exit ${result.code}): ${result.stderr.trim()}`)
    const report = JSON.parse(result.stdout) as {verdict: string; findings: Array<{severity: string}>; data: {nodes: {probe: {fanOut?: string; daemonSet?: string; podsCreated: number}}}}
    const made = server.requests.slice(before)
    const posted = (re: RegExp) => made.filter((r) => r.method === 'POST' && re.test(r.path) && r.status === 201).length
    const daemonSets = posted(/\/apis\/apps\/v1\/namespaces\/[^/]+\/daemonsets$/)
    const pods = posted(/\/api\/v1\/namespaces\/[^/]+\/pods$/)
    const managed = (resource: string) => server.store.list(resource).filter((o) => o.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY_VALUE).length
    const left = managed('pods') + managed('apps/daemonsets') + managed('namespaces')
    const unknown = report.findings.filter((f) => f.severity === 'unknown').length
    const probeSeconds = PROBE_MS / 1000
    const ratio = result.seconds / probeSeconds
    return [
      `daemonset: ${NODES} nodes, nodes --all-nodes (fan-out ${report.data.nodes.probe.fanOut ?? '?'}), each probe simulated to take ${probeSeconds.toFixed(1)} s and report this machine's real probe output (${probe.seconds.toFixed(2)} s here)`,
      `daemonset: wall ${result.seconds.toFixed(2)} s = ${ratio.toFixed(2)} × one probe (goal ≤ 3.00 ×; CLI start-up alone ${startup.seconds.toFixed(2)} s); verdict ${report.verdict} (exit ${result.code}), unknown findings ${unknown}`,
      `daemonset: DaemonSets created ${daemonSets} (goal 1), probe pods POSTed by the plugin ${pods} (goal 0; the controller made one per node), objects left ${left} (goal 0)`,
      `daemonset: API requests ${made.length} (termination-message reads come from the pod watch; log reads ${made.filter((r) => r.path.endsWith('/log')).length})`,
    ].join('\n')
  } finally {
    await server.stop()
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  console.log(await benchDaemonSet())
}
