import {chmodSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {parse} from 'yaml'
import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest'
import type {TestApiServer} from '../test-cluster/index.js'
import {startApiServer} from '../test-cluster/index.js'
import {CHECKED_READS} from '../src/gather/reads.js'
import {pluginPathDir, run, runCli} from './helpers/cli.js'

const tmp = mkdtempSync(path.join(tmpdir(), 'check-e2e-'))
const oneErrorLine = (stderr: string) => {
  const lines = stderr.trim().split('\n')
  expect(lines, stderr).toHaveLength(1)
  expect(lines[0]).toMatch(/^error: /)
  expect(stderr).not.toMatch(/\n\s+at /) // no stack trace
  return lines[0]!
}

const managed = (o: {metadata: {labels?: Record<string, string>}}) => o.metadata.labels?.['app.kubernetes.io/managed-by'] === 'kubectl-mesh-ready'

describe('kubectl mesh-ready check against the kind-like test cluster', () => {
  let server: TestApiServer
  beforeAll(async () => {
    server = await startApiServer({scenario: 'kind-small'})
  })
  // check runs probe pods: whatever a test did, nothing the plugin made may remain
  afterEach(() => {
    expect(
      server.store
        .list('pods')
        .filter(managed)
        .map((p) => p.metadata.name),
    ).toEqual([])
    expect(
      server.store
        .list('namespaces')
        .filter(managed)
        .map((n) => n.metadata.name),
    ).toEqual([])
  })
  afterAll(() => server?.stop())

  it('judges the cluster preflight and emits one JSON document', async () => {
    const result = await runCli(['check', '--kubeconfig', server.kubeconfigPath, '-o', 'json', '--istio-version', '1.29'])
    expect(result.stderr).toBe('')
    const report = JSON.parse(result.stdout)
    expect(report).toMatchObject({schemaVersion: 'mesh-ready.io/v1', command: 'check', istioVersion: '1.29', verdict: 'ready'})
    const byId = Object.fromEntries(report.findings.map((f: {checkId: string}) => [f.checkId, f]))
    expect(byId['cluster.api-server']).toMatchObject({severity: 'pass'})
    expect(byId['cluster.kubernetes-version']).toMatchObject({severity: 'pass', evidence: {kubernetes: '1.31', istio: '1.29'}})
    expect(byId['cluster.plugin-permissions']).toMatchObject({severity: 'pass'})
    expect(report.target.server).toBe(server.url)
    expect(result.code).toBe(0)
  })

  it('uses one SelfSubjectRulesReview per namespace rather than an access review per permission', async () => {
    const before = server.requests.length
    await runCli(['check', '--kubeconfig', server.kubeconfigPath, '-o', 'json'])
    const made = server.requests.slice(before)
    const rules = made.filter((r) => r.path.endsWith('/selfsubjectrulesreviews'))
    const access = made.filter((r) => r.path.endsWith('/selfsubjectaccessreviews'))
    // probe namespace, istio-system, kube-system and default where a row needs them; workloads are judged in every namespace
    expect(rules.length).toBe(
      new Set(
        CHECKED_READS.flatMap((p) =>
          p.scope === 'probe-namespace' ? ['probe'] : p.scope === 'istio-namespace' || p.scope === 'kube-system' || p.scope === 'default' ? [p.scope] : [],
        ),
      ).size,
    )
    // only the cluster-wide rows are asked one by one (a rules review cannot prove cluster-wide access): with no -n,
    // the workload rows are cluster-wide too
    expect(access.length).toBe(CHECKED_READS.filter((p) => p.scope === 'cluster' || p.scope === 'target').length)
  })

  it('judges the server version against the default (newest) Istio release: 1.31 is tested-only for 1.30 → warnings, exit 4', async () => {
    const result = await runCli(['check', '--kubeconfig', server.kubeconfigPath])
    expect(result.code).toBe(4)
    expect(result.stdout).toContain('cluster.kubernetes-version')
    // one line per finding with a short reason (the full message is in -o wide and explain); the fix pastes as it is
    expect(result.stdout).toMatch(/^WARN cluster\.kubernetes-version +Kubernetes 1\.31: not supported \(1\.32–1\.36\)$/m)
    expect(result.stdout).toContain('\n    kubectl mesh-ready check --istio-version 1.29\n')
    // the verdict judges Istio's default plan for the judged release, in every namespace
    // (the lines after it are the alternatives outside the plan: node scenario findings carry their mode and backend)
    const lines = result.stdout.trimEnd().split('\n')
    const at = lines.findIndex((l) => l.startsWith('READY WITH WARNINGS for '))
    expect(lines.slice(at, at + 2).join('\n')).toMatch(
      /^READY WITH WARNINGS for sidecar on iptables \(Istio 1\.30 default\)\n {2}on kind-small, all namespaces: 1 warn, \d+ pass, \d+ skip$/,
    )
    expect(lines.slice(at + 2).every((l) => l.startsWith('  — '))).toBe(true)
    expect(result.stdout).not.toMatch(/\u001b\[/)
    for (const line of result.stdout.split('\n')) expect(line.length).toBeLessThanOrEqual(80)
  })

  it.each([
    ['fail', 0],
    ['never', 0],
    ['warn', 4],
  ])('--fail-on %s turns warnings into exit %i', async (failOn, code) => {
    expect((await runCli(['check', '--kubeconfig', server.kubeconfigPath, '--fail-on', failOn])).code).toBe(code)
  })

  it('YAML output is the same document as JSON', async () => {
    // two runs: compare what must not change between them (latencies and probe pod names do)
    const args = ['check', '--kubeconfig', server.kubeconfigPath, '--istio-version', '1.29']
    // one after the other: this test is about the two formats; overlapping runs are tested in nodes.e2e
    const yaml = await runCli([...args, '-o', 'yaml'])
    const json = await runCli([...args, '-o', 'json'])
    const stable = (doc: {
      findings: Array<{checkId: string; severity: string; subject: unknown}>
      summary: unknown
      verdict: string
      schemaVersion: string
    }) => ({
      schemaVersion: doc.schemaVersion,
      verdict: doc.verdict,
      summary: doc.summary,
      findings: doc.findings.map((f) => [f.checkId, f.severity, f.subject]),
    })
    expect(stable(parse(yaml.stdout))).toEqual(stable(JSON.parse(json.stdout)))
  })

  it('runs every area: cluster, nodes (probe pods on each group), platform and workloads', async () => {
    const report = JSON.parse((await runCli(['check', '--kubeconfig', server.kubeconfigPath, '--istio-version', '1.29', '-o', 'json'])).stdout)
    expect(new Set(report.findings.map((f: {category: string}) => f.category))).toEqual(new Set(['cluster', 'node', 'platform', 'workload']))
    expect(report.data.platform).toBeDefined()
    expect(report.data.nodes.groups.length).toBeGreaterThan(0)
  })

  it('--skip leaves areas out, and their permissions with them', async () => {
    const before = server.requests.length
    const report = JSON.parse((await runCli(['check', '--kubeconfig', server.kubeconfigPath, '--skip', 'nodes', '--skip', 'pods', '-o', 'json'])).stdout)
    const categories = new Set(report.findings.map((f: {category: string}) => f.category))
    expect(categories.has('node')).toBe(false)
    expect(categories.has('workload')).toBe(false)
    expect(categories.has('platform')).toBe(true)
    const made = server.requests.slice(before)
    // no rules review for the probe namespace, and no probe pod or namespace was ever created
    // istio-system (platform's quota and dry run) and kube-system (the CNI's ConfigMap), not the probe namespace
    expect(made.filter((r) => r.path.endsWith('/selfsubjectrulesreviews')).length).toBe(2)
    expect(made.some((r) => r.method === 'POST' && (r.path === '/api/v1/namespaces' || r.path.startsWith('/api/v1/namespaces/mesh-ready-probe')))).toBe(false)
  })

  it('honours a KUBECONFIG list and --context', async () => {
    const other = server.writeKubeconfig({contextName: 'second', namespace: 'kube-system'})
    const result = await runCli(['check', '--context', 'second', '-o', 'json'], {KUBECONFIG: [server.kubeconfigPath, other].join(path.delimiter)})
    expect(JSON.parse(result.stdout).target.context).toBe('second')
  })

  it('runs an exec credential plugin from the kubeconfig, as GKE and EKS kubeconfigs do', async () => {
    const plugin = path.join(tmp, 'fake-auth-plugin.sh')
    writeFileSync(
      plugin,
      `#!/bin/sh\nprintf '{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"%s"}}' "${server.token}"\n`,
    )
    chmodSync(plugin, 0o755)
    const base = parse(readFileSync(server.writeKubeconfig({contextName: 'exec'}), 'utf8'))
    base.users = [{name: base.users[0].name, user: {exec: {apiVersion: 'client.authentication.k8s.io/v1beta1', command: plugin, interactiveMode: 'Never'}}}]
    const file = path.join(tmp, 'exec.yaml')
    writeFileSync(file, JSON.stringify(base))
    const result = await runCli(['check', '--kubeconfig', file, '-o', 'json'])
    expect(result.stderr).toBe('')
    expect(JSON.parse(result.stdout).findings.find((f: {checkId: string}) => f.checkId === 'cluster.api-server').severity).toBe('pass')
  })

  it('reports a failing API server (500 on /version) as a failed check, exit 3', async () => {
    server.addFault({path: '/version', status: 500, message: 'etcdserver: request timed out'})
    try {
      const result = await runCli(['check', '--kubeconfig', server.kubeconfigPath, '-o', 'json'])
      const finding = JSON.parse(result.stdout).findings.find((f: {checkId: string}) => f.checkId === 'cluster.api-server')
      expect(finding).toMatchObject({severity: 'fail'})
      expect(finding.message).toContain('500')
      expect(result.code).toBe(3)
    } finally {
      server.clearFaults()
    }
  })

  it('works as a kubectl plugin: kubectl mesh-ready --help through the real kubectl', async () => {
    const env = {...process.env, PATH: `${pluginPathDir()}${path.delimiter}${process.env.PATH}`}
    const help = await run('kubectl', ['mesh-ready', '--help'], {env})
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('$ kubectl mesh-ready [COMMAND]')
    expect(help.stdout).not.toContain('kubectl-mesh_ready')
    const check = await run('kubectl', ['mesh-ready', 'check', '--kubeconfig', server.kubeconfigPath, '-o', 'json', '--istio-version', '1.29'], {env})
    expect(JSON.parse(check.stdout).verdict).toBe('ready')
    const version = await run('kubectl', ['mesh-ready', '--version'], {env})
    expect(version.stdout).toMatch(/^kubectl-mesh-ready\/\d+\.\d+\.\d+/)
  })
})

describe('limited RBAC', () => {
  let server: TestApiServer
  beforeAll(async () => {
    server = await startApiServer({
      scenario: {
        ...(await import('../test-cluster/index.js')).loadScenario('kind-small'),
        rbac: {
          denied: [
            {verbs: ['list'], resources: ['nodes']},
            {verbs: ['create'], resources: ['pods'], namespaces: ['mesh-ready-probe']},
          ],
        },
      },
    })
  })
  afterAll(() => server?.stop())

  it('names each missing permission as a finding instead of failing the run', async () => {
    const result = await runCli(['check', '--kubeconfig', server.kubeconfigPath, '-o', 'json', '--istio-version', '1.29'])
    const report = JSON.parse(result.stdout)
    const messages = report.findings.filter((f: {checkId: string}) => f.checkId === 'cluster.plugin-permissions').map((f: {message: string}) => f.message)
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^not allowed to list nodes \(cluster-wide\)/),
        expect.stringMatching(/^not allowed to create pods in namespace mesh-ready-probe/),
      ]),
    )
    // no node could be listed and no probe could run: the nodes area judged nothing, so the run is incomplete
    expect(report.coverage).toContainEqual(expect.objectContaining({area: 'nodes', judged: 0}))
    expect(report.verdict).toBe('incomplete')
    expect(result.code).toBe(5)
  })
})

describe('bad input: one clear line and the documented exit code', () => {
  let server: TestApiServer
  beforeAll(async () => {
    server = await startApiServer({scenario: 'kind-small'})
  })
  afterAll(() => server?.stop())

  const write = (name: string, text: string) => {
    const file = path.join(tmp, name)
    writeFileSync(file, text)
    return file
  }

  it.each([
    ['a missing kubeconfig', () => ['check', '--kubeconfig', path.join(tmp, 'nope')], /--kubeconfig .*nope: file not found/],
    ['a malformed kubeconfig', () => ['check', '--kubeconfig', write('broken.yaml', 'apiVersion: v1\nclusters: [oops\n')], /broken\.yaml: not valid YAML/],
    [
      'an unknown context',
      () => ['check', '--kubeconfig', server.kubeconfigPath, '--context', 'nope'],
      /--context "nope" is not in .* pass an existing --context/,
    ],
    [
      'an unreachable server',
      () => ['check', '--kubeconfig', server.writeKubeconfig({server: 'https://127.0.0.1:1'})],
      /cannot reach the API server at https:\/\/127\.0\.0\.1:1 \(ECONNREFUSED\)/,
    ],
    [
      'a TLS verification error',
      () => ['check', '--kubeconfig', server.writeKubeconfig({caData: 'wrong'})],
      /TLS handshake with .* failed .*certificate-authority/,
    ],
    [
      'rejected credentials (401)',
      () => ['check', '--kubeconfig', server.writeKubeconfig({token: 'wrong-token'})],
      /rejected the credentials .*401 Unauthorized/,
    ],
    ['an unknown flag', () => ['check', '--frobnicate'], /Nonexistent flag: --frobnicate/],
    ['a bad --output', () => ['check', '-o', 'xml'], /Expected --output=xml to be one of/],
    ['a bad --istio-version', () => ['check', '--kubeconfig', server.kubeconfigPath, '--istio-version', 'latest'], /--istio-version "latest" is not a version/],
    [
      'a bad --request-timeout',
      () => ['check', '--kubeconfig', server.kubeconfigPath, '--request-timeout', 'soon'],
      /--request-timeout: "soon" is not a duration/,
    ],
    ['an unknown command', () => ['frob'], /unknown command "frob"/],
    [
      'a namespace that does not exist',
      () => ['check', '--kubeconfig', server.kubeconfigPath, '-n', 'no-such-namespace'],
      /namespace "no-such-namespace" does not exist; pick one from "kubectl get namespaces"/,
    ],
    [
      'a namespace that is not a name',
      () => ['check', '--kubeconfig', server.kubeconfigPath, '-n', 'Not A Namespace'],
      /--namespace "Not A Namespace" is not a namespace name/,
    ],
  ])('%s', async (_name, args, pattern) => {
    const result = await runCli(args())
    expect(result.code).toBe(2)
    expect(result.stdout).toBe('')
    expect(oneErrorLine(result.stderr)).toMatch(pattern)
  })

  it('a request timeout names --request-timeout', async () => {
    server.addFault({path: '/version', latencyMs: 3000})
    try {
      const result = await runCli(['check', '--kubeconfig', server.kubeconfigPath, '--request-timeout', '500ms'])
      expect(result.code).toBe(2)
      expect(oneErrorLine(result.stderr)).toMatch(/timed out after 0\.5s; raise --request-timeout/)
    } finally {
      server.clearFaults()
    }
  })
})

describe('the installed Istio is the default release to judge', () => {
  let server: TestApiServer
  beforeAll(async () => {
    server = await startApiServer({scenario: 'platform-gke-quota'}) // the istiod Deployment runs docker.io/istio/pilot:1.25.2
  })
  afterAll(() => server?.stop())

  it.each([
    [['pods', '-A'], '1.25'],
    [['nodes', '--timeout', '30s'], '1.25'],
    [['check', '--skip', 'nodes'], '1.25'],
    [['pods', '-A', '--istio-version', '1.27'], '1.27'], // the flag wins
  ])('%j judges Istio %s', async (args, expected) => {
    const result = await runCli([...args, '--kubeconfig', server.kubeconfigPath, '-o', 'json'])
    expect(JSON.parse(result.stdout).istioVersion, result.stderr).toBe(expected)
  })
})
