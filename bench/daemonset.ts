/**
 * `npm run bench` part for `daemonset`: `kubectl mesh-ready nodes --all-nodes` on the nodes-bench cluster (5,000 nodes),
 * where `--fan-out auto` picks one DaemonSet (more than 50 nodes): the cluster's controller makes one probe pod per node,
 * the plugin reads 5,000 termination messages with bounded concurrency. Each probe is simulated to take 2 s and to
 * report what the real probe script reported on this machine (run once here first), so all 5,000 nodes are judged.
 * Goal (issue 11): the verdict within 3 × one probe, one DaemonSet, no probe pod created by the plugin, nothing left.
 * The verdict is the report on stdout, written before the teardown (which waits for the cluster to remove the pods).
 */
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {MANAGED_BY_LABEL, MANAGED_BY_VALUE} from '../src/gather/probe/labels.js'
import {probeArgs} from '../src/gather/probe/script.js'
import {loadScenario, startApiServer} from '../test-cluster/index.js'
import {repoRoot} from '../test-cluster/util.js'
import {runCli, runCommand} from './command.js'

const SCENARIO = 'nodes-bench'
const NODES = 5000
const PROBE_MS = 2000

/** The real probe script once against this machine's root (static mode): its report and its own time. */
async function realProbe(root: string): Promise<{report: string; seconds: number}> {
  const dir = mkdtempSync(path.join(tmpdir(), 'mesh-ready-bench-'))
  try {
    const message = path.join(dir, 'termination-log')
    const script = readFileSync(path.join(root, 'probe/node-probe.sh'), 'utf8')
    const probe = await runCommand('sh', ['-c', script, ...probeArgs('')], {HOST_ROOT: '/', TERMINATION_MESSAGE_PATH: message})
    if (probe.code !== 0) throw new Error(`bench: the probe script failed on this machine (exit ${probe.code}): ${probe.stderr.trim()}`)
    return {report: readFileSync(message, 'utf8'), seconds: probe.seconds}
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

export async function benchDaemonSet(): Promise<string> {
  const root = repoRoot()
  const probe = await realProbe(root)
  const scenario = loadScenario(SCENARIO)
  const server = await startApiServer({
    scenario: {...scenario, kubelet: {...scenario.kubelet, simulateOnly: true, runDelayMs: PROBE_MS, simulatedMessage: probe.report}},
  })
  const probeSeconds = PROBE_MS / 1000
  try {
    const nodes = server.store.count('nodes')
    if (nodes !== NODES) throw new Error(`bench: the ${SCENARIO} scenario has ${nodes} nodes, expected ${NODES}`)
    const startup = await runCli(['--version'])
    const lines: string[] = []
    // The default table (what a terminal shows) and JSON (what CI reads: every finding, every group's evidence).
    for (const output of ['table', 'json'] as const) {
      const before = server.requests.length
      // The cluster's share, seen from inside the test API server: the DaemonSet's creation and its last probe's end.
      const started = performance.now()
      let dsAt: number | undefined
      let lastProbeAt = 0
      const unsubscribe = server.store.subscribe((e) => {
        if (e.resource === 'apps/daemonsets' && e.type === 'ADDED') dsAt ??= performance.now()
        const init = (o: unknown) =>
          (o as {status?: {initContainerStatuses?: Array<{state?: {terminated?: unknown}}>}} | undefined)?.status?.initContainerStatuses?.[0]?.state?.terminated
        if (e.resource === 'pods' && e.type === 'MODIFIED' && init(e.object) && !init(e.previous)) lastProbeAt = performance.now()
      })
      const result = await runCli(['nodes', '--all-nodes', '--kubeconfig', server.kubeconfigPath, '-o', output])
      unsubscribe()
      const seconds = (at: number | undefined) => ((at ?? started) - started) / 1000
      if (result.stdout.trim() === '') throw new Error(`bench: nodes -o ${output} printed nothing (exit ${result.code}): ${result.stderr.trim()}`)
      const made = server.requests.slice(before)
      const posted = (re: RegExp) => made.filter((r) => r.method === 'POST' && re.test(r.path) && r.status === 201).length
      const daemonSets = posted(/\/apis\/apps\/v1\/namespaces\/[^/]+\/daemonsets$/)
      const pods = posted(/\/api\/v1\/namespaces\/[^/]+\/pods$/)
      const managed = (resource: string) => server.store.list(resource).filter((o) => o.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY_VALUE).length
      const left = managed('pods') + managed('apps/daemonsets') + managed('configmaps') + managed('namespaces')
      const verdictAt = result.firstOutput ?? result.seconds
      let verdict = /^(READY|NOT READY|WARNINGS|INCOMPLETE)\b.*$/m.exec(result.stdout)?.[0] ?? '?'
      if (output === 'json') {
        const report = JSON.parse(result.stdout) as {verdict: string; findings: Array<{severity: string}>; data: {nodes: {probe: {fanOut?: string}}}}
        const unknown = report.findings.filter((f) => f.severity === 'unknown').length
        verdict = `verdict ${report.verdict}, ${report.findings.length} findings (${unknown} unknown), fan-out ${report.data.nodes.probe.fanOut ?? '?'}, ${(result.stdout.length / 1e6).toFixed(0)} MB of JSON`
      }
      const clusterSeconds = seconds(lastProbeAt) - seconds(dsAt)
      lines.push(
        `daemonset -o ${output}: the plugin's own time ${(seconds(dsAt) + verdictAt - seconds(lastProbeAt)).toFixed(2)} s (${seconds(dsAt).toFixed(2)} s start-up, node list, DaemonSet; ${(verdictAt - seconds(lastProbeAt)).toFixed(2)} s from the last probe to the verdict); the cluster's ${clusterSeconds.toFixed(2)} s from the DaemonSet to the last probe (the simulated controller and kubelet, on the same cores, and the 2 s probe)`,
        `daemonset -o ${output}: verdict after ${verdictAt.toFixed(2)} s = ${(verdictAt / probeSeconds).toFixed(2)} × one probe (goal ≤ 3.00 ×); exit after ${result.seconds.toFixed(2)} s, teardown included (exit ${result.code})`,
        `daemonset -o ${output}: ${verdict}`,
        `daemonset -o ${output}: DaemonSets created ${daemonSets} (goal 1), probe pods POSTed by the plugin ${pods} (goal 0), objects left ${left} (goal 0), API requests ${made.length}`,
      )
    }
    return [
      `daemonset: ${NODES} nodes, nodes --all-nodes (fan-out auto), each probe simulated to take ${probeSeconds.toFixed(1)} s and report this machine's real probe output (${probe.seconds.toFixed(2)} s here); CLI start-up alone ${startup.seconds.toFixed(2)} s`,
      ...lines,
    ].join('\n')
  } finally {
    await server.stop()
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  console.log(await benchDaemonSet())
}
