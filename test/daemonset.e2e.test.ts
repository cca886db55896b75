/**
 * The DaemonSet fan-out end to end: the built CLI against the test API server, whose DaemonSet controller makes one
 * probe pod per target node and whose fake kubelet runs the real probe script as the pods' init container. Every test
 * ends with no probe DaemonSet, pod or namespace left in the server's store.
 */
import {execFile} from 'node:child_process'
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import type {TestApiServer} from '../test-cluster/index.js'
import {startApiServer} from '../test-cluster/index.js'
import {repoRoot} from '../test-cluster/util.js'
import {cliPath, runCli} from './helpers/cli.js'
import type {RunResult} from './helpers/cli.js'
import {captureManaged, managedNames} from './helpers/managed.js'
import {waitFor} from './helpers/wait.js'

interface Report {
  verdict: string
  findings: Array<{checkId: string; severity: string; message: string; evidence?: Record<string, unknown>}>
  data: {
    nodes: {
      probe: {fanOut: string; daemonSet?: string; podsCreated: number}
      groups: Array<{nodes: string[]; kernelVersion: string; probe: {state: string; problem?: string}; matrix: Record<string, {readiness: string}>}>
    }
  }
}

const leftovers = (server: TestApiServer) => ({
  daemonSets: managedNames(server, 'apps/daemonsets'),
  pods: managedNames(server, 'pods'),
  namespaces: managedNames(server, 'namespaces'),
  configMaps: managedNames(server, 'configmaps'),
})
const NONE = {daemonSets: [], pods: [], namespaces: [], configMaps: []}
const nodes = (server: TestApiServer, ...args: string[]) =>
  runCli(['nodes', '--kubeconfig', server.kubeconfigPath, '--istio-version', '1.29', '-o', 'json', ...args])
const json = (r: RunResult): Report => JSON.parse(r.stdout) as Report
const posts = (server: TestApiServer, from: number, resource: string) =>
  server.requests.slice(from).filter((r) => r.method === 'POST' && r.path.endsWith(`/${resource}`)).length

describe('--fan-out daemonset', () => {
  const servers: TestApiServer[] = []
  const start = async (scenario: Parameters<typeof startApiServer>[0]['scenario']) => {
    const s = await startApiServer({scenario})
    servers.push(s)
    return s
  }
  afterAll(async () => {
    for (const s of servers) await s.stop()
  })

  it('probes every Ready node through one DaemonSet and judges each node as the bare pods do', async () => {
    const server = await start('nodes-groups')
    const daemonSets = captureManaged(server, 'apps/daemonsets')
    const pods = captureManaged(server, 'pods')
    const configMaps = captureManaged(server, 'configmaps')
    const before = server.requests.length
    const viaDs = await nodes(server, '--all-nodes', '--fan-out', 'daemonset')
    const report = json(viaDs)
    expect(report.data.nodes.probe).toMatchObject({fanOut: 'daemonset', podsCreated: 0})
    expect(daemonSets).toHaveLength(1)
    expect(posts(server, before, 'pods')).toBe(0) // the controller made them, not the plugin
    expect(posts(server, before, 'daemonsets')).toBe(1)
    const ds = daemonSets[0]!
    const template = (ds.spec as {template: {spec: Record<string, unknown>}}).template.spec
    expect(template.restartPolicy).toBe('Always')
    expect(template.activeDeadlineSeconds).toBeUndefined()
    expect((template.initContainers as Array<{name: string}>).map((c) => c.name)).toEqual(['probe'])
    // The script is in one ConfigMap owned by the DaemonSet, not in every pod: the pods ran it from the mounted file.
    const script = readFileSync(path.join(repoRoot(), 'probe/node-probe.sh'), 'utf8')
    expect(configMaps).toHaveLength(1)
    expect(configMaps[0]!.data).toEqual({'node-probe.sh': script})
    expect(configMaps[0]!.metadata.ownerReferences).toEqual([expect.objectContaining({kind: 'DaemonSet', name: ds.metadata.name, uid: ds.metadata.uid})])
    const probe = (template.initContainers as Array<{command: string[]}>)[0]!
    expect(probe.command.slice(0, 2)).toEqual(['sh', '/mesh-ready/node-probe.sh'])
    expect(JSON.stringify(pods[0])).not.toContain(script.slice(0, 200))
    expect(JSON.stringify(pods[0]).length).toBeLessThan(script.length)
    const names = JSON.stringify(template.affinity).match(/"values":\[([^\]]*)\]/)![1]!
    const probed = report.data.nodes.groups.filter((g) => g.probe.state === 'ok')
    expect(pods.map((p) => (p.spec as {nodeName: string}).nodeName).sort()).toEqual(JSON.parse(`[${names}]`).sort())
    expect(probed.length).toBe(pods.length)
    expect(leftovers(server)).toEqual(NONE)

    // The same verdict and matrix as one bare pod per node.
    const viaPods = json(await nodes(server, '--all-nodes', '--fan-out', 'pods'))
    expect(viaPods.data.nodes.probe.fanOut).toBe('pods')
    expect(report.verdict).toBe(viaPods.verdict)
    const matrices = (r: Report) => Object.fromEntries(r.data.nodes.groups.map((g) => [g.nodes.join(','), g.matrix]))
    expect(matrices(report)).toEqual(matrices(viaPods))
    expect(leftovers(server)).toEqual(NONE)
  })

  it('auto uses bare pods per node group and for a few nodes, a DaemonSet above 50 nodes', async () => {
    const small = await start('nodes-groups')
    expect(json(await nodes(small)).data.nodes.probe.fanOut).toBe('pods')
    expect(json(await nodes(small, '--all-nodes')).data.nodes.probe.fanOut).toBe('pods')
    const big = await start({
      name: 'ds-auto',
      kubelet: {simulateOnly: true, nodes: {'big-*': {hostRoot: '/'}}},
      generate: {nodeGroups: [{namePrefix: 'big', count: 60, kernelVersion: '6.1.0-56-amd64', osImage: 'Debian GNU/Linux 12 (bookworm)'}]},
    })
    const pods = captureManaged(big, 'pods')
    const result = json(await nodes(big, '--all-nodes'))
    expect(result.data.nodes.probe.fanOut).toBe('daemonset')
    expect(new Set(pods.map((p) => (p.spec as {nodeName: string}).nodeName)).size).toBe(60)
    expect(result.data.nodes.groups).toHaveLength(60)
    expect(leftovers(big)).toEqual(NONE)
  })

  it('a refused script ConfigMap is one probe failure naming create configmaps, and the DaemonSet is removed', async () => {
    const server = await start({name: 'ds-no-configmaps', extends: 'nodes-groups', rbac: {denied: [{verbs: ['create'], resources: ['configmaps']}]}})
    const started = Date.now()
    const report = json(await nodes(server, '--all-nodes', '--fan-out', 'daemonset', '--timeout', '60s'))
    expect(Date.now() - started).toBeLessThan(30_000)
    const probe = report.findings.filter((f) => f.checkId === 'node.probe' && f.severity === 'unknown')
    expect(probe.length).toBeGreaterThan(0)
    expect(probe[0]!.message).toMatch(/create configmaps/)
    expect(report.verdict).toBe('incomplete')
    expect(leftovers(server)).toEqual(NONE)
  })

  it('pods that admission refuses are reported from the FailedCreate event, naming the policy, without waiting for --timeout', async () => {
    const server = await start('nodes-admission')
    const started = Date.now()
    const report = json(await nodes(server, '--all-nodes', '--fan-out', 'daemonset', '--timeout', '60s'))
    expect(Date.now() - started).toBeLessThan(30_000)
    const refused = report.findings.filter((f) => f.checkId === 'node.probe' && f.evidence?.problem === 'admission')
    expect(refused.length).toBeGreaterThan(0)
    expect(refused[0]!.message).toContain('PodSecurity "baseline:latest"')
    expect(leftovers(server)).toEqual(NONE)
  })

  it('a run past --timeout reports the unfinished probes as unknown and removes the DaemonSet', async () => {
    // no kubelet: the pods are made but never start
    const server = await start({
      name: 'ds-pending',
      generate: {nodeGroups: [{namePrefix: 'pending', count: 3, kernelVersion: '6.1.0-56-amd64', osImage: 'Debian GNU/Linux 12 (bookworm)'}]},
    })
    const report = json(await nodes(server, '--all-nodes', '--fan-out', 'daemonset', '--timeout', '5s'))
    const probes = report.findings.filter((f) => f.checkId === 'node.probe')
    expect(probes.length).toBe(3)
    for (const p of probes) expect(p).toMatchObject({severity: 'unknown', evidence: {problem: 'timeout'}})
    expect(leftovers(server)).toEqual(NONE)
  })

  it('a SIGTERM mid-run deletes the DaemonSet, its pods and the namespace before exit', async () => {
    const server = await start('nodes-slow')
    const child = new Promise<RunResult>((resolve) => {
      const p = execFile(
        process.execPath,
        [cliPath, 'nodes', '--kubeconfig', server.kubeconfigPath, '--all-nodes', '--fan-out', 'daemonset', '--timeout', '5m'],
        {env: {...process.env, NO_COLOR: '1'}},
        (error, stdout, stderr) =>
          resolve({code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout: String(stdout), stderr: String(stderr)}),
      )
      void waitFor(() => server.store.list('pods', 'mesh-ready-probe').length >= 3, 20_000).then(() => p.kill('SIGTERM'))
    })
    const result = await child
    expect(result.code, result.stderr).toBe(143)
    expect(result.stdout).toBe('')
    expect(leftovers(server)).toEqual(NONE)
  })

  it('--keep-probes leaves the DaemonSet; cleanup removes it and its pods', async () => {
    const server = await start('nodes-groups')
    const kept = await nodes(server, '--all-nodes', '--fan-out', 'daemonset', '--keep-probes')
    expect(kept.stderr).toMatch(/kept DaemonSet mesh-ready-probe\/mesh-ready-probe-[0-9a-f]+ and its probe pods/)
    expect(leftovers(server).daemonSets).toHaveLength(1)
    const cleanup = await runCli(['cleanup', '--kubeconfig', server.kubeconfigPath, '-o', 'json'])
    expect(cleanup.code, cleanup.stderr).toBe(0)
    const removed = (JSON.parse(cleanup.stdout) as {data: {cleanup: {removed: Array<{kind: string}>}}}).data.cleanup.removed.map((l) => l.kind)
    expect(removed).toContain('DaemonSet')
    expect(removed).not.toContain('Pod') // they go with their DaemonSet
    await waitFor(() => leftovers(server).pods.length === 0 && leftovers(server).namespaces.length === 0, 10_000)
    expect(leftovers(server)).toEqual(NONE)
  })
})
