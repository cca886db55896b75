/**
 * `kubectl mesh-ready nodes` end to end: the built CLI against the test API server, whose fake kubelet runs the real
 * probe script on this machine with each node group's host root (real kernel data). Every test ends by checking the
 * server's store: no probe pod and no probe namespace may remain, whatever happened.
 */
import {execFile} from 'node:child_process'
import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest'
import type {KubeObject, TestApiServer} from '../test-cluster/index.js'
import {loadScenario, startApiServer} from '../test-cluster/index.js'
import {cliPath, runCli} from './helpers/cli.js'
import {captureManaged, managedNames} from './helpers/managed.js'
import {waitFor} from './helpers/wait.js'
import type {RunResult} from './helpers/cli.js'

const MANAGED = 'app.kubernetes.io/managed-by'

interface Finding {
  checkId: string
  severity: string
  subject: {kind: string; name: string}
  message: string
  remediation?: {text: string; command?: string}
  evidence?: Record<string, unknown>
}
interface Report {
  verdict: string
  coverage: Array<{area: string; judged: number; unit: string; reason?: string}>
  findings: Finding[]
  data: {
    nodes: {
      setup: {ipFamilies: string; ipFamiliesSource: string}
      probe: {podsCreated: number; image: string; namespace: string | null}
      groups: Array<{
        name: string
        kernelVersion: string
        nodes: string[]
        notReady: string[]
        probe: {state: string; problem?: string; node?: string}
        matrix: Record<string, {readiness: string}>
      }>
    }
  }
}

const leftovers = (server: TestApiServer) => ({pods: managedNames(server, 'pods'), namespaces: managedNames(server, 'namespaces')})

const nodes = (server: TestApiServer, ...args: string[]) => runCli(['nodes', '--kubeconfig', server.kubeconfigPath, '--istio-version', '1.29', ...args])
const json = (r: RunResult): Report => JSON.parse(r.stdout) as Report
// Groups are named by pool or first node (worker-0 +1); these tests find them by kernel.
const byGroup = (r: Report, kernel: string) => r.data.nodes.groups.find((g) => g.kernelVersion.startsWith(kernel))!

describe('node groups on real kernel data (nodes-groups)', () => {
  let server: TestApiServer
  let created: KubeObject[]
  beforeAll(async () => {
    server = await startApiServer({scenario: 'nodes-groups'})
    created = captureManaged(server, 'pods')
  })
  afterEach(() => expect(leftovers(server)).toEqual({pods: [], namespaces: []}))
  afterAll(() => server?.stop())

  it('runs one probe pod per node group and judges each group from its own kernel files', async () => {
    created.length = 0
    const result = await nodes(server, '-o', 'json')
    const report = json(result)
    expect(result.code, result.stderr).toBe(3) // the Android group cannot run ambient
    expect(report.data.nodes.probe.podsCreated).toBe(3)
    expect(created.map((p) => (p.spec as {nodeName: string}).nodeName).sort()).toEqual(['android-0', 'debian-0', 'fedora-0'])
    const debian = byGroup(report, '6.1.0-56-amd64')
    expect(debian.nodes).toEqual(['debian-0', 'debian-1', 'debian-2', 'debian-notready'])
    expect(debian.notReady).toEqual(['debian-notready'])
    expect(Object.values(debian.matrix).map((m) => m.readiness)).toEqual(['ready', 'ready', 'ready', 'ready']) // br_netfilter is a note, not a warning
    const android = byGroup(report, '4.9.165')
    expect(android.matrix['ambient/iptables']?.readiness).toBe('not-ready')
    expect(android.matrix['sidecar/nftables']?.readiness).toBe('not-ready')
    // the debian-notready node has an IPv6 pod CIDR: families detected from the cluster
    expect(report.data.nodes.setup).toMatchObject({ipFamilies: 'dual', ipFamiliesSource: 'node podCIDRs and the kubernetes Service'})
  })

  it('skips Windows nodes with a finding and reports NotReady nodes as unknown', async () => {
    const report = json(await nodes(server, '-o', 'json'))
    const probe = report.findings.filter((f) => f.checkId === 'node.probe')
    expect(probe.find((f) => f.severity === 'skip')?.message).toMatch(/Windows node\(s\) win-0/)
    expect(probe.find((f) => f.severity === 'unknown')?.message).toMatch(/1 NotReady node\(s\) not judged: debian-notready/)
    // the Windows group (named by its first node) gets only the probe finding: no kernel check judges it
    const windows = report.data.nodes.groups.find((g) => g.nodes.includes('win-0'))!
    expect(report.findings.filter((f) => f.subject.name === windows.name).map((f) => f.checkId)).toEqual(['node.probe'])
  })

  it('shows the matrix by default and each module evidence with -o wide', async () => {
    const table = await nodes(server)
    expect(table.stdout).toMatch(/^Node groups: will Istio's traffic interception work\?/)
    expect(table.stdout).not.toContain('Kernel evidence')
    const wide = await nodes(server, '-o', 'wide', '--mode', 'sidecar')
    expect(wide.stdout).toContain('Kernel evidence: 6.1.0-56-amd64')
    expect(wide.stdout).toMatch(/nf_conntrack_ipv4\s+merged into/)
  })

  it('builds probe pods to the documented security posture', async () => {
    created.length = 0
    await nodes(server, '-o', 'json', 'fedora-0')
    expect(created).toHaveLength(1)
    const pod = created[0]!
    const spec = pod.spec as Record<string, any>
    expect(pod.metadata.namespace).toBe('mesh-ready-probe')
    expect(pod.metadata.labels).toMatchObject({[MANAGED]: 'kubectl-mesh-ready', 'mesh-ready.io/component': 'node-probe'})
    expect(pod.metadata.labels?.['mesh-ready.io/run']).toMatch(/^[0-9a-f]{6}$/)
    expect(spec).toMatchObject({nodeName: 'fedora-0', restartPolicy: 'Never', automountServiceAccountToken: false, enableServiceLinks: false})
    expect(spec.tolerations).toContainEqual({operator: 'Exists'}) // every taint
    expect(spec.activeDeadlineSeconds).toBe(90) // three quarters of the default 2m
    const container = spec.containers[0]
    expect(container.image).toBe('docker.io/library/busybox:1.37')
    expect(container.command.slice(0, 2)).toEqual(['sh', '-c'])
    expect(container.securityContext).toMatchObject({allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: ['ALL']}})
    expect(container.securityContext.privileged).toBeUndefined()
    expect(container.volumeMounts.every((m: {readOnly: boolean}) => m.readOnly)).toBe(true)
    expect(spec.volumes.map((v: {hostPath: {path: string}}) => v.hostPath.path)).toEqual(['/proc', '/sys/fs', '/boot', '/lib/modules', '/usr/lib/modules'])
    expect(container.resources.limits).toEqual({cpu: '200m', memory: '64Mi'})
    const ns = server.requests.find((r) => r.method === 'POST' && r.path === '/api/v1/namespaces')
    expect(ns?.status).toBe(201)
  })

  it.each([
    ['--all-nodes probes every Ready Linux node', ['--all-nodes'], 6],
    ['positional names narrow to those nodes', ['debian-1', 'android-0'], 2],
    ['-l narrows by label', ['-l', 'node.kubernetes.io/pool=fedora'], 1],
  ])('%s', async (_name, args, pods) => {
    const report = json(await nodes(server, '-o', 'json', ...args))
    expect(report.data.nodes.probe.podsCreated).toBe(pods)
  })

  it('judges IPv4 only when told so, and then Android runs sidecars through iptables-legacy', async () => {
    const report = json(await nodes(server, '-o', 'json', '--ip-families', 'ipv4', 'android-0'))
    expect(byGroup(report, '4.9.165').matrix['sidecar/iptables']?.readiness).toBe('ready') // br_netfilter is a note, not a warning
    expect(report.data.nodes.setup.ipFamiliesSource).toBe('--ip-families')
  })

  it('--keep-probes leaves the pods, and cleanup removes every leftover by label', async () => {
    const kept = await nodes(server, '--keep-probes', 'fedora-0')
    expect(kept.stderr).toMatch(/kept 1 probe pod\(s\) in namespace mesh-ready-probe .*kubectl mesh-ready cleanup/)
    expect(leftovers(server).pods).toHaveLength(1)
    const cleanup = await runCli(['cleanup', '--kubeconfig', server.kubeconfigPath, '-o', 'json'])
    expect(cleanup.code, cleanup.stderr).toBe(0)
    const removed = JSON.parse(cleanup.stdout)
      .data.cleanup.removed.map((l: {kind: string}) => l.kind)
      .sort()
    expect(removed).toEqual(['Namespace', 'Pod'])
    await waitFor(() => leftovers(server).namespaces.length === 0)
    const again = JSON.parse((await runCli(['cleanup', '--kubeconfig', server.kubeconfigPath, '-o', 'json'])).stdout)
    expect(again.findings[0].message).toBe('no probe pods or namespaces of earlier runs were found')
  })

  it('rejects unknown node names and bad flag combinations with one line, exit 2', async () => {
    for (const [args, message] of [
      [['--local', 'debian-0'], /cannot be combined with --local/],
      [['--kernel-release', '6.1.0'], /--kernel-release needs --kernel-config or --host-root/],
      [['--timeout', 'soon'], /--timeout: "soon" is not a duration/],
      [['Not_A_Node'], /"Not_A_Node" is not a node name/],
      [['debian-0', 'no-such-node'], /node "no-such-node" not found; see kubectl get nodes/],
      [['-l', 'node.kubernetes.io/pool=none'], /no node matches -l node.kubernetes.io\/pool=none/],
      [['-l', 'a b c'], /-l "a b c" is not a valid label selector/],
    ] as const) {
      const r = await nodes(server, ...args)
      expect(r.code, args.join(' ')).toBe(2)
      expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1)
      expect(r.stderr).toMatch(message)
    }
  })
})

describe('faults: nothing is left behind', () => {
  const servers: TestApiServer[] = []
  const start = async (scenario: string) => {
    const s = await startApiServer({scenario})
    servers.push(s)
    return s
  }
  afterAll(async () => {
    for (const s of servers) await s.stop()
  })

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('a %s sent to the CLI mid-run deletes every probe pod and the namespace before exit', async (signal, code) => {
    const server = await start('nodes-slow')
    const child = new Promise<RunResult>((resolve) => {
      const p = execFile(
        process.execPath,
        [cliPath, 'nodes', '--kubeconfig', server.kubeconfigPath, '--timeout', '5m'],
        {env: {...process.env, NO_COLOR: '1'}},
        (error, stdout, stderr) =>
          resolve({code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout: String(stdout), stderr: String(stderr)}),
      )
      void waitFor(
        () => server.store.list('pods', 'mesh-ready-probe').filter((pod) => (pod.status as {phase?: string})?.phase === 'Running').length === 3,
        20_000,
      ).then(() => p.kill(signal))
    })
    const result = await child
    expect(result.code, result.stderr).toBe(code)
    expect(result.stderr).toContain(`${signal} received: cleaning up`)
    expect(result.stdout).toBe('')
    expect(leftovers(server)).toEqual({pods: [], namespaces: []})
  })

  it('two runs at once share the probe namespace: both finish their probes and the last one out removes it', async () => {
    const base = loadScenario('nodes-slow')
    const server = await startApiServer({scenario: {...base, kubelet: {...base.kubelet, runDelayMs: 1500}}})
    servers.push(server)
    const first = nodes(server, '-o', 'json')
    await waitFor(() => server.store.list('pods', 'mesh-ready-probe').length > 0, 20_000) // the second starts mid-run
    const second = nodes(server, '-o', 'json')
    for (const result of await Promise.all([first, second])) {
      const report = json(result)
      const probes = report.data.nodes.groups.filter((g) => g.probe.state !== 'skipped' && g.notReady.length < g.nodes.length)
      expect(probes.length).toBeGreaterThan(0)
      for (const group of probes) expect(group.probe, JSON.stringify(group.probe)).toMatchObject({state: 'ok'})
    }
    expect(leftovers(server)).toEqual({pods: [], namespaces: []})
  })

  it('a run past --timeout reports the unfinished probes as unknown and cleans up', async () => {
    // no kubelet: the probe pod is never started, so only --timeout ends the wait
    const server = await startApiServer({
      scenario: {
        name: 'nodes-pending',
        generate: {nodeGroups: [{namePrefix: 'pending', count: 2, kernelVersion: '6.1.0-56-amd64', osImage: 'Debian GNU/Linux 12 (bookworm)'}]},
      },
    })
    servers.push(server)
    const started = Date.now()
    const result = await nodes(server, '-o', 'json', '--timeout', '6s')
    expect(Date.now() - started).toBeLessThan(15_000)
    const probe = json(result).findings.find((f) => f.checkId === 'node.probe')!
    expect(probe).toMatchObject({severity: 'unknown', evidence: {problem: 'timeout'}})
    expect(probe.message).toMatch(/did not finish within --timeout 6s on node pending-0/)
    expect(leftovers(server)).toEqual({pods: [], namespaces: []})
  })

  it('a probe pod past its deadline is reported as deadline exceeded', async () => {
    const server = await start('nodes-slow')
    const result = await nodes(server, '-o', 'json', '--timeout', '8s', 'fedora-0')
    const probe = json(result).findings.find((f) => f.checkId === 'node.probe')!
    expect(probe).toMatchObject({severity: 'unknown', evidence: {problem: 'deadline'}})
    expect(probe.message).toMatch(/ran past its activeDeadlineSeconds/)
    expect(probe.remediation?.text).toMatch(/--timeout/)
    expect(leftovers(server)).toEqual({pods: [], namespaces: []})
  })

  it('an image pull failure names the image and --image', async () => {
    const server = await start('nodes-image-pull')
    const result = await nodes(server, '-o', 'json', 'debian-0')
    const probe = json(result).findings.find((f) => f.checkId === 'node.probe')!
    expect(probe).toMatchObject({severity: 'unknown', evidence: {problem: 'image-pull'}})
    expect(probe.message).toContain('docker.io/library/busybox:1.37 could not be pulled on node debian-0')
    expect(probe.remediation?.command).toMatch(/--image <your-registry>\/busybox:1\.37 --image-pull-secret/)
    // the kernel checks cannot judge without evidence: unknown, never missing
    expect(
      json(result)
        .findings.filter((f) => f.checkId === 'node.iptables-backend')
        .map((f) => f.severity),
    ).toEqual(['unknown'])
    expect(leftovers(server)).toEqual({pods: [], namespaces: []})
  })

  it('an admission rejection names the policy', async () => {
    const server = await start('nodes-admission')
    const report = json(await nodes(server, '-o', 'json'))
    const probes = report.findings.filter((f) => f.checkId === 'node.probe' && f.severity === 'unknown' && f.evidence?.problem === 'admission')
    expect(probes).toHaveLength(3)
    expect(probes[0]!.message).toContain('rejected by PodSecurity "baseline:latest"')
    expect(probes[0]!.remediation?.command).toBe('kubectl mesh-ready nodes --probe-namespace <namespace>')
    expect(report.data.nodes.probe.podsCreated).toBe(0)
    expect(leftovers(server)).toEqual({pods: [], namespaces: []})
  })

  it('an RBAC denial names the verb and the resource, and the run still ends cleanly', async () => {
    const server = await start('nodes-rbac')
    const result = await nodes(server, '-o', 'json')
    const probes = json(result).findings.filter((f) => f.checkId === 'node.probe' && f.evidence?.problem === 'forbidden')
    expect(probes).toHaveLength(3)
    expect(probes[0]!.message).toContain('forbidden: you may not create pods in namespace mesh-ready-probe')
    // no probe ran, so nothing was judged: incomplete (exit 5), never ready or mere warnings
    expect(json(result).verdict).toBe('incomplete')
    expect(result.code).toBe(5)
    expect(leftovers(server)).toEqual({pods: [], namespaces: []})
  })

  it('needs no list on pods: create, watch and delete are enough', async () => {
    const server = await startApiServer({
      scenario: {name: 'nodes-no-pod-list', extends: 'nodes-groups', rbac: {denied: [{verbs: ['list'], resources: ['pods']}]}},
    })
    servers.push(server)
    const report = json(await nodes(server, '-o', 'json'))
    expect(report.data.nodes.groups.filter((g) => g.probe.state === 'ok')).toHaveLength(3)
    expect(leftovers(server)).toEqual({pods: [], namespaces: []})
  })

  it('a denied node list is one unknown finding naming list nodes', async () => {
    const server = await startApiServer({scenario: {name: 'nodes-no-list', extends: 'nodes-groups', rbac: {denied: [{verbs: ['list'], resources: ['nodes']}]}}})
    servers.push(server)
    const report = json(await nodes(server, '-o', 'json'))
    expect(report.findings).toHaveLength(1)
    expect(report.findings[0]).toMatchObject({checkId: 'node.probe', severity: 'unknown', subject: {kind: 'Cluster'}})
    expect(report.findings[0]!.message).toContain('forbidden: you may not list nodes (cluster-wide)')
    expect(report.verdict).toBe('incomplete')
    expect(report.coverage).toEqual([{area: 'nodes', judged: 0, unit: 'node groups', reason: expect.stringContaining('list nodes')}])
  })

  it('a dropped watch is resumed and a failing pod create is reported, with nothing left behind', async () => {
    const server = await startApiServer({scenario: {name: 'nodes-slower', extends: 'nodes-groups', kubelet: {runDelayMs: 600}}})
    servers.push(server)
    server.addFault({path: '/api/v1/namespaces/mesh-ready-probe/pods', method: 'POST', status: 500, times: 1})
    server.addFault({path: '/api/v1/namespaces/mesh-ready-probe/pods', method: 'GET', dropWatchAfterMs: 50})
    const result = await nodes(server, '-o', 'json')
    expect(result.stdout, result.stderr).not.toBe('')
    const report = json(result)
    const groups = report.data.nodes.groups.filter((g) => g.probe.state !== 'skipped')
    expect(groups.filter((g) => g.probe.state === 'ok')).toHaveLength(2)
    expect(groups.find((g) => g.probe.state === 'failed')?.probe.problem).toBe('failed')
    const watches = server.requests.filter((r) => r.path === '/api/v1/namespaces/mesh-ready-probe/pods' && r.query.watch === 'true')
    expect(watches.length).toBeGreaterThan(1) // the watch was cut and resumed
    expect(leftovers(server)).toEqual({pods: [], namespaces: []})
  })
})
