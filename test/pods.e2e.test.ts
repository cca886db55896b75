import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type {TestApiServer} from '../test-cluster/index.js'
import {ISTIOD_SELECTOR} from '../src/gather/platform-istio.js'
import {startApiServer} from '../test-cluster/index.js'
import type {RunResult} from './helpers/cli.js'
import {runCli} from './helpers/cli.js'

interface Finding {
  checkId: string
  severity: string
  subject: {kind: string; name: string; namespace?: string}
  message: string
  remediation?: {text: string; command?: string; yaml?: string}
  evidence?: Record<string, unknown>
}
interface Workload {
  namespace: string
  kind: string
  name: string
  pods: number
  modes: string[]
  modeReason: string
  result: string
}
interface Report {
  command: string
  verdict: string
  summary: Record<string, number>
  findings: Finding[]
  data: {pods: {workloads: Workload[]; podsRead: number; istioCni: {state: string}; ztunnel: string; mode: string}}
}

const oneErrorLine = (r: RunResult) => {
  const lines = r.stderr.trim().split('\n')
  expect(lines, r.stderr).toHaveLength(1)
  expect(lines[0]).toMatch(/^error: /)
  expect(r.stderr).not.toMatch(/\n\s+at /)
  expect(r.stdout).toBe('')
  expect(r.code).toBe(2)
  return lines[0]!
}

/** The result of a check for one workload (or Service): its own finding, or the namespace's folded pass/skip. */
function outcome(report: Report, checkId: string, namespace: string, name: string): string | undefined {
  const own = report.findings.find((f) => f.checkId === checkId && f.subject.name === name && f.subject.namespace === namespace)
  if (own) return own.severity
  const folded = report.findings.find(
    (f) =>
      f.checkId === checkId &&
      f.subject.kind === 'Namespace' &&
      f.subject.name === namespace &&
      ((f.evidence?.workloads ?? f.evidence?.services) as string[] | undefined)?.includes(name),
  )
  return folded?.severity
}

function serve(scenario: string | Parameters<typeof startApiServer>[0]['scenario']) {
  const ctx = {} as {server: TestApiServer; pods: (...args: string[]) => Promise<RunResult>; json: (...args: string[]) => Promise<Report>}
  beforeAll(async () => {
    ctx.server = await startApiServer({scenario})
    ctx.pods = (...args) => runCli(['pods', '--kubeconfig', ctx.server.kubeconfigPath, ...args])
    ctx.json = async (...args) => {
      const r = await ctx.pods(...args, '-o', 'json')
      expect(r.stderr).toBe('')
      expect([0, 3, 4]).toContain(r.code)
      return JSON.parse(r.stdout) as Report
    }
  })
  afterAll(() => ctx.server?.stop())
  return ctx
}

describe('kubectl mesh-ready pods -A against pods-mixed (no Istio installed)', () => {
  const ctx = serve('pods-mixed')
  let report: Report
  let before: number
  beforeAll(async () => {
    before = ctx.server.requests.length
    report = await ctx.json('-A')
  })

  it('reports each workload once with the number of pods it covers, resolving owners without reading them', () => {
    const seen = report.data.pods.workloads.map((w) => `${w.namespace}/${w.kind}/${w.name}=${w.pods}`)
    expect(seen.sort()).toEqual(
      [
        'edge/Deployment/gateway=1',
        'payments/Deployment/checkout=1',
        'reports/Deployment/renderer=1',
        'shop/CronJob/nightly=1',
        'shop/DaemonSet/node-agent=1',
        'shop/Deployment/api=1',
        'shop/Deployment/legacy=1',
        'shop/Deployment/web=2',
        'shop/Pod/debug=1',
        'shop/StatefulSet/orders-db=2',
      ].sort(),
    )
    expect(report.command).toBe('pods')
    // owners are resolved from ownerReferences alone: no ReplicaSet, Job or Deployment is read for them (the one
    // Deployment list allowed is the installed-Istio lookup, by the istiod label)
    const reads = ctx.server.requests.slice(before)
    expect(reads.some((r) => /replicasets|\/jobs/.test(r.path))).toBe(false)
    expect(reads.filter((r) => /deployments/.test(r.path)).every((r) => r.query.labelSelector === ISTIOD_SELECTOR)).toBe(true)
  })

  it.each([
    ['workload.uid-1337', 'shop', 'deployment/web', 'pass'],
    ['workload.uid-1337', 'shop', 'deployment/legacy', 'fail'],
    ['workload.uid-1337', 'edge', 'deployment/gateway', 'skip'],
    ['workload.app-version-labels', 'shop', 'deployment/web', 'pass'],
    ['workload.app-version-labels', 'shop', 'deployment/legacy', 'warn'],
    ['workload.app-version-labels', 'shop', 'pod/debug', 'warn'],
    ['workload.port-protocol', 'shop', 'web', 'pass'],
    ['workload.port-protocol', 'shop', 'api-metrics', 'warn'],
    ['workload.protocol-conflict', 'shop', 'deployment/web', 'pass'],
    ['workload.protocol-conflict', 'shop', 'deployment/api', 'fail'],
    ['workload.reserved-ports', 'shop', 'deployment/web', 'pass'],
    ['workload.reserved-ports', 'shop', 'deployment/legacy', 'fail'],
    ['workload.reserved-ports', 'edge', 'deployment/gateway', 'fail'],
    ['workload.server-first', 'shop', 'web', 'pass'],
    ['workload.server-first', 'shop', 'orders-db', 'fail'],
    ['workload.host-network', 'shop', 'deployment/web', 'pass'],
    ['workload.host-network', 'shop', 'daemonset/node-agent', 'warn'],
    ['workload.headless-service', 'shop', 'orders-db-headless', 'warn'],
    ['workload.udp-ports', 'shop', 'deployment/web', 'pass'],
    ['workload.udp-ports', 'shop', 'deployment/api', 'warn'],
    ['workload.uid-1337', 'shop', 'cronjob/nightly', 'pass'],
  ])('%s on %s/%s is %s', (checkId, namespace, name, severity) => {
    expect(outcome(report, checkId, namespace, name)).toBe(severity)
  })

  it.each([
    ['payments', 'fail', /enforces Pod Security "restricted", which rejects istio-init's NET_ADMIN and NET_RAW \(1 workload, 1 pod in sidecar mode\)/],
    ['reports', 'warn', /warn=baseline label will flag istio-init/],
    ['shop', 'pass', /no Pod Security enforce label .*istio-cni is not installed/],
    ['edge', 'skip', /no workload here runs in sidecar mode \(namespace label istio.io\/dataplane-mode=ambient\)/],
  ])('workload.net-admin-capabilities: namespace %s → %s', (namespace, severity, message) => {
    const f = report.findings.find((x) => x.checkId === 'workload.net-admin-capabilities' && x.subject.name === namespace)!
    expect(f.severity).toBe(severity)
    expect(f.message).toMatch(message)
  })

  it('RBAC denied on one namespace: unknown naming the permission, every other namespace still judged', () => {
    const denied = report.findings.filter((f) => f.severity === 'unknown')
    expect(denied).toEqual([
      expect.objectContaining({
        checkId: 'workload.inventory',
        subject: {kind: 'Namespace', name: 'vault'},
        message: 'its workloads were not judged: forbidden: you may not list pods in namespace vault',
      }),
    ])
    const paths = ctx.server.requests
      .slice(before)
      .filter((r) => r.method === 'GET')
      .map((r) => `${r.path} ${r.status}`)
    expect(paths).toContain('/api/v1/pods 403')
    expect(paths).toContain('/api/v1/namespaces/shop/pods 200')
    expect(paths).toContain('/api/v1/namespaces/vault/pods 403')
    expect(report.data.pods.workloads.some((w) => w.namespace === 'vault')).toBe(false)
  })

  it("leaves system namespaces and Istio's own components out, saying so", () => {
    expect(report.findings.find((f) => f.subject.name === 'kube-system')).toMatchObject({checkId: 'workload.inventory', severity: 'skip'})
    expect(report.findings.find((f) => f.checkId === 'workload.inventory' && f.severity === 'pass')?.message).toBe(
      'judged 10 workloads covering 12 pods in 4 namespaces; 1 Istio component left out',
    )
  })

  it('gives copy-pasteable fixes', () => {
    const uid = report.findings.find((f) => f.checkId === 'workload.uid-1337' && f.severity === 'fail')!
    expect(uid.remediation?.command).toBe(
      `kubectl -n shop patch deployment legacy -p '{"spec":{"template":{"spec":{"securityContext":{"runAsUser":1000},"containers":[{"name":"legacy","securityContext":{"runAsUser":1000}}]}}}}'`,
    )
    const serverFirst = report.findings.find((f) => f.checkId === 'workload.server-first' && f.severity === 'fail')!
    expect(serverFirst.remediation?.command).toBe(
      `kubectl -n shop patch service orders-db --type=json -p '[{"op":"add","path":"/spec/ports/0/appProtocol","value":"tcp"}]'`,
    )
  })

  it('exits 3 on failures and prints an 80-column table with the workloads that need attention', async () => {
    const r = await ctx.pods('-A')
    expect(r.code).toBe(3)
    expect(r.stderr).toBe('')
    expect(r.stdout).not.toMatch(/\u001b\[/)
    // The workloads view and the findings fit 80 columns (the fixes keep commands on one line to stay copy-pasteable).
    const judged = r.stdout.slice(0, r.stdout.indexOf('How to fix'))
    expect(judged.length).toBeGreaterThan(500)
    for (const line of judged.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80)
    expect(r.stdout).toMatch(/^Workloads needing attention: 5 of 10 judged \(14 pods read\)/)
    expect(r.stdout).toMatch(/deployment\/legacy\s+1 pod, sidecar mode; warn app-version-labels, fail\s/)
    // The verdict block: its first line says the verdict and the judged plan; indented lines follow.
    expect(
      r.stdout
        .trimEnd()
        .split('\n')
        .filter((l) => /^\S/.test(l))
        .at(-1),
    ).toMatch(/^NOT READY for sidecar on iptables \(Istio [\d.]+ default\)$/)
  })

  it('-n reads one namespace only', async () => {
    const start = ctx.server.requests.length
    const shop = await ctx.json('-n', 'shop')
    expect(new Set(shop.data.pods.workloads.map((w) => w.namespace))).toEqual(new Set(['shop']))
    const paths = ctx.server.requests.slice(start).map((r) => r.path)
    expect(paths).not.toContain('/api/v1/pods')
    expect(paths).toContain('/api/v1/namespaces/shop/pods')
    expect(shop.findings.some((f) => f.subject.namespace === 'payments' || f.subject.name === 'payments')).toBe(false)
  })

  it.each([
    [['deployment/legacy', '-n', 'shop'], ['shop/Deployment/legacy']],
    [['legacy', '-n', 'shop'], ['shop/Deployment/legacy']],
    [['debug', '-n', 'shop'], ['shop/Pod/debug']],
    [['pod/orders-db-1', '-n', 'shop'], ['shop/StatefulSet/orders-db']],
    [['cj/nightly', '-n', 'shop'], ['shop/CronJob/nightly']],
    [['-l', 'app=web', '-n', 'shop'], ['shop/Deployment/web']],
    [['gateway', '-A'], ['edge/Deployment/gateway']],
  ])('pods %j judges only %j', async (args, expected) => {
    const r = await ctx.json(...args)
    expect(r.data.pods.workloads.map((w) => `${w.namespace}/${w.kind}/${w.name}`)).toEqual(expected)
  })

  it('a target or selector keeps only the Services that select its pods', async () => {
    const r = await ctx.json('deployment/web', '-n', 'shop')
    const named = r.findings.flatMap((f) =>
      f.subject.kind === 'Service'
        ? [f.subject.name]
        : f.subject.kind === 'Namespace' && Array.isArray(f.evidence?.services)
          ? (f.evidence.services as string[])
          : [],
    )
    expect(new Set(named)).toEqual(new Set(['web']))
    expect(r.verdict).toBe('ready')
  })

  it.each([
    [['deploy/nope', '-n', 'shop'], /no deployment named "nope" has pods in namespace shop/],
    [['widget/x', '-n', 'shop'], /"widget" is not a workload kind/],
    [['-n', 'nowhere'], /namespace "nowhere" does not exist/],
    [['-n', 'shop', '-l', 'app in (web'], /-l\/--selector "app in \(web" was rejected by the API server/],
    [['-A', '--mode', 'sidewise'], /--mode|sidewise/],
    [['-A', '-n', 'shop'], /--namespace=shop cannot also be provided when using --all-namespaces/],
    [['-A', '--istio-namespace', 'Istio_System'], /--istio-namespace "Istio_System" is not a namespace name/],
  ])('bad input %j → one line, exit 2', async (args, message) => {
    expect(oneErrorLine(await ctx.pods(...args))).toMatch(message)
  })

  it('--mode ambient judges ztunnel ports and skips sidecar-only checks; --mode both judges both', async () => {
    const ambient = await ctx.json('-n', 'shop', '--mode', 'ambient')
    expect(outcome(ambient, 'workload.uid-1337', 'shop', 'deployment/legacy')).toBe('skip')
    expect(outcome(ambient, 'workload.reserved-ports', 'shop', 'deployment/legacy')).toBe('pass')
    expect(outcome(ambient, 'workload.server-first', 'shop', 'orders-db')).toBe('skip')
    const both = await ctx.json('-n', 'shop', '--mode', 'both')
    expect(outcome(both, 'workload.uid-1337', 'shop', 'deployment/legacy')).toBe('fail')
    expect(both.data.pods.workloads.every((w) => w.modes.join() === 'sidecar,ambient')).toBe(true)
  })
})

describe('istio-cni installed: NET_ADMIN/NET_RAW not needed, and the plugin says so', () => {
  const ctx = serve('pods-istio-cni')
  it('the restricted namespace passes because istio-init is not injected', async () => {
    const report = await ctx.json('-A')
    const payments = report.findings.find((f) => f.checkId === 'workload.net-admin-capabilities' && f.subject.name === 'payments')!
    expect(payments.severity).toBe('pass')
    expect(payments.message).toBe(
      'not needed: the sidecar injector has pilot.cni.enabled=true (DaemonSet istio-system/istio-cni-node), so pods get no istio-init (1 workload, 1 pod in sidecar mode)',
    )
    expect(report.data.pods.istioCni.state).toBe('present')
  })
})

describe('ambient installed (ztunnel): auto mode judges unlabelled namespaces for ambient', () => {
  const ctx = serve('pods-ambient')
  it('skips istio-init checks with the reason, keeps sidecar-labelled namespaces on sidecar, and --mode sidecar overrides', async () => {
    const auto = await ctx.json('-A')
    const payments = auto.findings.find((f) => f.checkId === 'workload.net-admin-capabilities' && f.subject.name === 'payments')!
    expect(payments).toMatchObject({severity: 'skip'})
    expect(payments.message).toContain('ztunnel is installed (DaemonSet istio-system/ztunnel)')
    expect(auto.data.pods.workloads.find((w) => w.name === 'web')?.modes).toEqual(['sidecar'])
    expect(auto.data.pods.ztunnel).toBe('DaemonSet istio-system/ztunnel')
    expect(outcome(auto, 'workload.uid-1337', 'payments', 'deployment/checkout')).toBe('skip')
    // --mode sidecar judges it for sidecars; the istio-cni DaemonSet (no injector to say otherwise) spares istio-init.
    const sidecar = await ctx.json('-A', '--mode', 'sidecar')
    expect(outcome(sidecar, 'workload.uid-1337', 'payments', 'deployment/checkout')).toBe('pass')
    expect(sidecar.findings.find((f) => f.checkId === 'workload.net-admin-capabilities' && f.subject.name === 'payments')?.message).toMatch(
      /^not needed: istio-cni is installed \(DaemonSet istio-system\/istio-cni-node\)/,
    )
  })
})

describe('legacy PodSecurityPolicy (Kubernetes 1.24)', () => {
  const ctx = serve('pods-psp')
  it('names the only policy that admits istio-init', async () => {
    const report = await ctx.json('-A')
    const f = report.findings.find((x) => x.checkId === 'workload.net-admin-capabilities')!
    expect(f).toMatchObject({severity: 'warn', subject: {kind: 'Namespace', name: 'shop'}})
    expect(f.message).toMatch(/only PodSecurityPolicy istio-init allows NET_ADMIN and NET_RAW/)
  })
})

describe('OpenShift SecurityContextConstraints', () => {
  const ctx = serve('pods-openshift')
  it.each([
    ['granted', 'pass', /SCC istio-init grants NET_ADMIN and NET_RAW to its service accounts/],
    ['plain', 'warn', /no SCC that allows NET_ADMIN and NET_RAW \(istio-init, privileged\) lists service account web/],
  ])('namespace %s → %s', async (namespace, severity, message) => {
    const report = await ctx.json('-A')
    const f = report.findings.find((x) => x.checkId === 'workload.net-admin-capabilities' && x.subject.name === namespace)!
    expect(f.severity).toBe(severity)
    expect(f.message).toMatch(message)
  })
})

describe('many namespaces and paginated lists (pods-scale: 18,000 pods in 30 namespaces)', () => {
  const denied = serve('pods-scale')
  it('with the all-namespaces list denied, reads namespace by namespace, two pages each, and reports the hidden one', async () => {
    const start = denied.server.requests.length
    const report = await denied.json('-A')
    const workloads = report.data.pods.workloads
    expect(workloads).toHaveLength(29 * 6)
    expect(workloads.every((w) => w.pods === 100 && w.kind === 'Deployment')).toBe(true)
    expect(report.data.pods.podsRead).toBe(29 * 600)
    expect(report.findings.filter((f) => f.severity === 'unknown').map((f) => f.subject.name)).toEqual(['scale-7'])
    const podLists = denied.server.requests.slice(start).filter((r) => /^\/api\/v1\/namespaces\/scale-\d+\/pods$/.test(r.path) && r.status === 200)
    expect(podLists).toHaveLength(29 * 2)
    expect(podLists.every((r) => r.query.limit === '500')).toBe(true)
    expect(podLists.filter((r) => r.query.continue)).toHaveLength(29)
  })

  const open = serve({name: 'pods-scale-open', extends: 'pods-scale', rbac: {}})
  it('with access everywhere, one paginated all-namespaces list of 36 pages', async () => {
    const start = open.server.requests.length
    const report = await open.json('-A')
    expect(report.data.pods.workloads).toHaveLength(30 * 6)
    expect(report.data.pods.podsRead).toBe(18_000)
    const pages = open.server.requests.slice(start).filter((r) => r.path === '/api/v1/pods')
    expect(pages).toHaveLength(36)
    expect(pages.filter((r) => r.query.continue)).toHaveLength(35)
    expect(report.summary.unknown).toBe(0)
  })
})

describe('issue 9 §4 through the CLI (pods-protocols)', () => {
  const ctx = serve('pods-protocols')
  let report: Report
  beforeAll(async () => {
    report = await ctx.json('-A')
  })
  const find = (checkId: string, name: string) => report.findings.find((f) => f.checkId === checkId && f.subject.name === name)

  it('fails an HTTP Service port on the sidecar health-check port 15021 and moves it to the targetPort', () => {
    const f = find('workload.reserved-service-ports', 'web-status')!
    expect(f).toMatchObject({severity: 'fail', mode: 'sidecar'})
    expect(f.message).toMatch(/^port 15021 "http-status" → 8080 \(http\) is on the port of every sidecar's health-check listener/)
    expect(f.remediation?.command).toBe(`kubectl -n shop patch service web-status --type=json -p '[{"op":"replace","path":"/spec/ports/0/port","value":8080}]'`)
    expect(outcome(report, 'workload.reserved-service-ports', 'shop', 'web')).toBe('pass')
  })

  it.each([
    ['queue', 'fail', /port 14222 \(unnamed\) → 4222 looks like NATS by its port 4222/],
    ['sshd', 'warn', /SSH by its image lscr.io\/linuxserver\/openssh-server:latest: both sides send at once/],
  ])('server-first: Service %s → %s', (name, severity, message) => {
    const f = find('workload.server-first', name)!
    expect(f.severity).toBe(severity)
    expect(f.message).toMatch(message)
  })

  it('MongoDB behind a sniffed port is not a server-first failure (the client speaks first)', () => {
    expect(outcome(report, 'workload.server-first', 'shop', 'docs')).toBe('pass')
  })

  it('the port-protocol fix agrees with the other findings: tcp where another Service says tcp or the protocol is not HTTP', () => {
    const exportFix = find('workload.port-protocol', 'docs-export')!
    expect(exportFix.remediation?.yaml).toContain('appProtocol: tcp')
    expect(exportFix.remediation?.text).toContain('Service docs already declares target port 9000 tcp')
    expect(find('workload.port-protocol', 'queue')!.remediation?.yaml).toMatch(/port: 14222\n\s+appProtocol: tcp/)
    expect(find('workload.port-protocol', 'docs')!.remediation?.yaml).toContain('appProtocol: tcp')
    expect(find('workload.protocol-conflict', 'deployment/docs')?.severity).toBe('fail')
  })

  it('a workload in a namespace Istio will not inject gets no label warning', () => {
    expect(outcome(report, 'workload.app-version-labels', 'plain', 'deployment/batch')).toBe('skip')
    expect(report.findings.filter((f) => f.checkId === 'workload.app-version-labels' && f.severity === 'warn')).toEqual([])
  })

  it('a pass says what was checked', () => {
    const uid = report.findings.find((f) => f.checkId === 'workload.uid-1337' && f.subject.name === 'deployment/batch')
    expect(uid?.message).toMatch(/^no container sets runAsUser or runAsGroup 1337 .*the image's own USER is not visible/)
  })
})

describe('pods coverage: nothing judged is incomplete (exit 5), naming why', () => {
  const empty = serve({name: 'pods-empty', objects: [{apiVersion: 'v1', kind: 'Namespace', metadata: {name: 'shop'}}]})
  it('0 workloads in the namespace → incomplete, exit 5, the reason in the JSON and on the verdict line', async () => {
    const r = await empty.pods('-n', 'shop', '-o', 'json')
    expect(r.code).toBe(5)
    const report = JSON.parse(r.stdout) as Report & {coverage: Array<Record<string, unknown>>}
    expect(report.verdict).toBe('incomplete')
    expect(report.coverage).toEqual([{area: 'pods', judged: 0, unit: 'workloads', reason: 'no pods in namespace shop'}])
    const table = await empty.pods('-n', 'shop')
    expect(table.code).toBe(5)
    expect(table.stdout).toMatch(/pods: 0 workloads judged \(no pods in namespace shop\)/)
  })

  const forbidden = serve({
    name: 'pods-forbidden',
    extends: 'pods-mixed',
    rbac: {denied: [{verbs: ['list', 'get', 'watch'], resources: ['pods', 'namespaces'], apiGroups: ['']}]},
  })
  it('the whole area forbidden → incomplete, exit 5, judged 0 with the verb and resource that were denied', async () => {
    const r = await forbidden.pods('-A', '-o', 'json')
    expect(r.code).toBe(5)
    const report = JSON.parse(r.stdout) as Report & {coverage: Array<{area: string; judged: number; reason?: string}>}
    expect(report.verdict).toBe('incomplete')
    expect(report.coverage).toHaveLength(1)
    expect(report.coverage[0]).toMatchObject({area: 'pods', judged: 0})
    expect(report.coverage[0]!.reason).toMatch(/forbidden: you may not list pods \(cluster-wide\); forbidden: you may not list namespaces \(cluster-wide\)/)
  })
})
