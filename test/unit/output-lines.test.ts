import {execFileSync} from 'node:child_process'
import {describe, expect, it} from 'vitest'
import {matrixView, shortOs} from '../../src/render/views/nodes.js'
import type {Finding} from '../../src/model/finding.js'
import {known} from '../../src/model/finding.js'
import {resolvePlan} from '../../src/model/plan.js'
import {buildReport} from '../../src/model/report.js'
import type {NodeGroup, NodeSummary, NodesSetup} from '../../src/gather/nodes.js'
import {groupNames, groupNodes, summarizeNode} from '../../src/gather/nodes.js'
import type {WidthSources} from '../../src/render/color.js'
import {outputWidth, painter, unicodeEnabled} from '../../src/render/color.js'
import {render} from '../../src/render/index.js'
import {nameList, shortReason, truncate, truncateMiddle} from '../../src/render/short.js'
import {collectFixes, commandLines, findingLines} from '../../src/render/table.js'

const finding = (over: Partial<Finding>): Finding => ({
  checkId: 'node.iptables-backend',
  title: 't',
  category: 'node',
  docsUrl: 'u',
  mode: null,
  backend: null,
  planned: true,
  severity: 'fail',
  subject: {kind: 'NodeGroup', name: 'pool-a'},
  message: 'm',
  ...over,
})
const plain = painter(false)

describe('short reasons (one line at 80 columns)', () => {
  const scenario = finding({
    mode: 'ambient',
    backend: 'iptables',
    message:
      'ambient on iptables (DNS capture): will not work via iptables-legacy — missing xt_set: CONFIG_NETFILTER_XT_SET is not in the kernel config; ip_set: …',
    evidence: {readiness: 'not-ready', missing: ['xt_set', 'ip_set', 'ip_set_hash_ip', 'NF_CONNTRACK_ZONES'], unknown: [], warnings: []},
  })
  it.each([
    ['a node scenario names the configuration and what is missing', scenario, 45, 'ambient/iptables: missing xt_set, ip_set (+2)'],
    ['as many names as fit', scenario, 80, 'ambient/iptables: missing xt_set, ip_set, ip_set_hash_ip, NF_CONNTRACK_ZONES'],
    [
      'the configuration comes from the message when the finding lacks mode/backend',
      {...scenario, mode: null, backend: null},
      45,
      'ambient/iptables: missing xt_set, ip_set (+2)',
    ],
    [
      'a warning',
      finding({
        severity: 'warn',
        mode: 'sidecar',
        backend: 'iptables',
        message: 'sidecar on iptables: ready, with warnings',
        evidence: {readiness: 'warnings', missing: [], unknown: [], warnings: ['br_netfilter']},
      }),
      60,
      'sidecar/iptables: warnings: br_netfilter',
    ],
    ['a message that fits stays whole', finding({message: 'uses hostNetwork'}), 40, 'uses hostNetwork'],
    [
      'asides go first',
      finding({message: 'Kubernetes 1.30 is newer than Istio 1.30 supports (1.32–1.36)'}),
      50,
      'Kubernetes 1.30 is newer than Istio 1.30 supports',
    ],
    [
      'then the leading clause',
      finding({message: 'uses hostNetwork: Istio neither injects a sidecar into nor redirects the traffic of pods in the node network namespace'}),
      40,
      'uses hostNetwork',
    ],
    [
      'a leading mode is kept',
      finding({message: 'ambient: NetworkPolicy default-deny restricts ingress without admitting 169.254.7.127: kubelet probes fail'}),
      70,
      'ambient: NetworkPolicy default-deny restricts ingress without…',
    ],
    [
      'the check’s own summary wins',
      finding({
        message: 'Kubernetes 1.30 was tested with Istio 1.30 but is not supported (supported: 1.32–1.36)',
        summary: 'Kubernetes 1.30: not supported (1.32–1.36)',
      }),
      45,
      'Kubernetes 1.30: not supported (1.32–1.36)',
    ],
  ])('%s', (_name, f, room, expected) => {
    const text = shortReason(f as Finding, room as number)
    expect(text).toBe(expected)
    expect([...text].length).toBeLessThanOrEqual(room as number)
  })

  it('truncates at a word with …, and names in the middle', () => {
    expect(truncate('port 6379 has no recognised protocol, so Istio sniffs it', 30)).toBe('port 6379 has no recognised…')
    expect(truncateMiddle('data/pod/redis-6c9f7d5b4a-z8x6v', 20)).toBe('data/pod/redi…-z8x6v')
    expect(nameList(['nf_tables', 'nft_nat', 'nft_ct'], 12)).toBe('nf_tables +2')
  })
})

describe('finding lines', () => {
  it.each([true, false])('align the ids (ascii: %s) and fit the width', (ascii) => {
    const out = findingLines(
      [
        finding({
          checkId: 'workload.protocol-conflict',
          category: 'workload',
          subject: {kind: 'Workload', name: 'pod/redis-6c9f7d5b4a-z8x6v', namespace: 'data'},
          message: 'Services disagree on the protocol of the same port of its pods: target port 9090/TCP',
        }),
        finding({
          checkId: 'workload.port-protocol',
          category: 'workload',
          severity: 'warn',
          subject: {kind: 'Service', name: 'redis', namespace: 'data'},
          message: 'port 6379 has no recognised protocol, so Istio sniffs it',
        }),
      ],
      {width: 80, paint: plain, ascii},
    )
    const at = (l: string) => l.indexOf(l.includes('conflict') ? 'data/pod' : 'service')
    expect(at(out[0]!)).toBe(at(out[1]!))
    for (const l of out) expect([...l].length).toBeLessThanOrEqual(80)
  })
})

describe('How to fix', () => {
  const yamlA = {text: 'Declare the protocol.', yaml: 'ports:\n  - port: 80\n    appProtocol: http\n'}
  const findings = [
    finding({
      severity: 'warn',
      checkId: 'node.iptables-backend',
      subject: {kind: 'NodeGroup', name: 'pool-a'},
      remediation: {text: 'Load br_netfilter.', command: 'sudo modprobe br_netfilter'},
    }),
    finding({
      severity: 'warn',
      checkId: 'node.iptables-backend',
      subject: {kind: 'NodeGroup', name: 'pool-b'},
      remediation: {text: 'Load br_netfilter.', command: 'sudo modprobe br_netfilter'},
    }),
    finding({
      severity: 'warn',
      checkId: 'workload.port-protocol',
      category: 'workload',
      subject: {kind: 'Service', name: 'web', namespace: 'shop'},
      remediation: yamlA,
    }),
    finding({
      severity: 'warn',
      checkId: 'workload.port-protocol',
      category: 'workload',
      subject: {kind: 'Service', name: 'api', namespace: 'shop'},
      remediation: {...yamlA, yaml: 'ports:\n  - port: 81\n    appProtocol: tcp\n'},
    }),
    finding({
      severity: 'fail',
      checkId: 'cluster.kubernetes-version',
      category: 'cluster',
      subject: {kind: 'Cluster', name: 'cluster'},
      remediation: {text: 'Upgrade.'},
    }),
  ]
  it('one entry per distinct fix with every subject, worst first; same check, other YAML stays its own entry', () => {
    const fixes = collectFixes(findings)
    expect(fixes.map((f) => [f.text, f.findings.map((x) => x.subject.name)])).toEqual([
      ['Upgrade.', ['cluster']],
      ['Load br_netfilter.', ['pool-a', 'pool-b']],
      ['Declare the protocol.', ['web']],
      ['Declare the protocol.', ['api']],
    ])
    const text = render(buildReport({command: 'check', istioVersion: '1.30', plan: resolvePlan({istioVersion: '1.30'}), target: {}, findings}), 'table', {
      paint: plain,
      width: 80,
    })
    expect(text).toContain('node.iptables-backend: pool-a, pool-b\n')
    expect(text).toContain('appProtocol: http')
    expect(text).toContain('appProtocol: tcp')
    expect(text.indexOf('Upgrade.')).toBeLessThan(text.indexOf('Load br_netfilter.'))
  })

  it('long commands continue with \\ at spaces outside quotes, and a shell reads them as the same command', () => {
    const command = `sudo modprobe -a br_netfilter xt_REDIRECT && printf '%s\\n' br_netfilter xt_REDIRECT | sudo tee /etc/modules-load.d/istio.conf && kubectl patch svc web --type json -p '[{"op": "add", "path": "/spec/ports/0/appProtocol", "value": "tcp"}]'`
    const lines = commandLines(command, 80)
    expect(lines.length).toBeGreaterThan(1)
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80)
    // The shell removes backslash-newline outside quotes: the words are the original ones.
    const words = (script: string) =>
      execFileSync('bash', ['-c', `set -f; eval 'words() { printf "%s\\n" "$@"; }'; words ${script.replaceAll('&&', '"&&"').replaceAll('|', '"|"')}`], {
        encoding: 'utf8',
      })
    expect(words(lines.join('\n'))).toBe(words(command))
    expect(commandLines('kubectl get --raw /readyz', 80)).toEqual(['    kubectl get --raw /readyz'])
  })
})

describe('output width', () => {
  it.each([
    ['COLUMNS wins', 'table', {env: {COLUMNS: '100'}, stdoutColumns: 132}, 100],
    ['the terminal stdout writes to', 'table', {env: {}, stdoutColumns: 132}, 132],
    ['a pipe: 80 for the table', 'table', {env: {}, stderrColumns: 150, terminal: () => 160}, 80],
    ['a pipe: wide asks the terminal on stderr', 'wide', {env: {}, stderrColumns: 150, terminal: () => 160}, 150],
    ['a pipe: wide asks /dev/tty when stderr is redirected too', 'wide', {env: {}, terminal: () => 160}, 160],
    ['no terminal at all: 80', 'wide', {env: {}, terminal: () => undefined}, 80],
    ['a bad COLUMNS is ignored', 'wide', {env: {COLUMNS: 'wide'}, terminal: () => undefined}, 80],
  ] as Array<[string, string, WidthSources, number]>)('%s', (_name, format, sources, expected) => expect(outputWidth(format, sources)).toBe(expected))

  it.each([
    [{LANG: 'en_US.UTF-8'}, false, true],
    [{LC_ALL: 'C', LANG: 'en_US.UTF-8'}, false, false],
    [{LC_CTYPE: 'C.utf8'}, false, true],
    [{}, false, false],
    [{LANG: 'C.UTF-8', NO_COLOR: '1'}, false, false],
    [{LANG: 'C.UTF-8', NO_COLOR: ''}, false, true],
    [{LANG: 'C.UTF-8'}, true, false],
    [{LANG: 'C.UTF-8', TERM: 'dumb'}, false, false],
  ])('glyphs with %j, --no-color %s → %s', (env, flag, expected) => expect(unicodeEnabled({noColorFlag: flag, env})).toBe(expected))
})

const node = (name: string, labels: Record<string, string> = {}, kernel = '6.1.0'): NodeSummary =>
  summarizeNode({
    metadata: {name, labels},
    status: {nodeInfo: {kernelVersion: kernel, osImage: 'Debian GNU/Linux 12 (bookworm)', architecture: 'amd64', containerRuntimeVersion: 'containerd://1.7'}},
  })

describe('node group names', () => {
  it.each([
    [
      'EKS node group',
      [[node('ip-1', {'eks.amazonaws.com/nodegroup': 'ng-general'}), node('ip-2', {'eks.amazonaws.com/nodegroup': 'ng-general'})]],
      ['ng-general'],
    ],
    ['GKE node pool', [[node('gke-a', {'cloud.google.com/gke-nodepool': 'default-pool'})]], ['default-pool']],
    ['AKS agent pool', [[node('aks-1', {agentpool: 'nodepool1'})]], ['nodepool1']],
    ['two pools in one group', [[node('a', {'cloud.google.com/gke-nodepool': 'p1'}), node('b', {'cloud.google.com/gke-nodepool': 'p2'})]], ['p1, p2']],
    ['instance type without a pool', [[node('a', {'node.kubernetes.io/instance-type': 'm5.large'})]], ['m5.large']],
    ['nothing: the first node and a count', [[node('worker-0'), node('worker-1'), node('worker-2')]], ['worker-0 +2']],
    ['a single node', [[node('solo')]], ['solo']],
    [
      'one pool on two kernels: the zone tells them apart',
      [[node('a', {agentpool: 'np', 'topology.kubernetes.io/zone': 'z1'})], [node('b', {agentpool: 'np', 'topology.kubernetes.io/zone': 'z2'}, '6.2.0')]],
      ['np, z1', 'np, z2'],
    ],
    ['one pool on two kernels in one zone: the kernel', [[node('a', {agentpool: 'np'})], [node('b', {agentpool: 'np'}, '6.2.0')]], ['np, 6.1.0', 'np, 6.2.0']],
  ])('%s', (_name, groups, expected) => expect(groupNames(groups as NodeSummary[][])).toEqual(expected))

  it('groupNodes names NodeGroup subjects that way; --all-nodes keeps node names', () => {
    const nodes = [node('ip-1', {'eks.amazonaws.com/nodegroup': 'ng-a'}), node('ip-2', {'eks.amazonaws.com/nodegroup': 'ng-b'}, '5.10.0')]
    expect(groupNodes(nodes, false).map((g) => g.subject)).toEqual([
      {kind: 'NodeGroup', name: 'ng-a'},
      {kind: 'NodeGroup', name: 'ng-b'},
    ])
    expect(groupNodes(nodes, true).map((g) => g.subject)).toEqual([
      {kind: 'Node', name: 'ip-1'},
      {kind: 'Node', name: 'ip-2'},
    ])
  })
})

describe('node group matrix', () => {
  const setup: NodesSetup = {
    istioVersion: '1.30',
    modes: ['sidecar'],
    backends: ['iptables'],
    ipFamilies: 'ipv4',
    ipFamiliesSource: 'x',
    dnsCapture: {sidecar: false, ambient: true},
    interception: 'redirect',
    functional: false,
  }
  const group = (name: string, over: Partial<NodeGroup>): NodeGroup => ({
    id: 'g',
    subject: {kind: 'NodeGroup', name},
    kernelVersion: '6.1.0-56-amd64',
    osImage: 'Debian GNU/Linux 12 (bookworm)',
    architecture: 'amd64',
    containerRuntime: 'containerd://1.7',
    nodes: ['a', 'b'],
    notReady: [],
    windows: false,
    probe: {state: 'ok', source: 'pod'},
    ...over,
  })
  it('names, kernel and OS in their own columns; arch only where groups differ and the kernel name lacks it', () => {
    const view = matrixView(
      [
        {group: group('ng-general', {}), kernel: {state: 'unavailable', reason: 'x'}, matrix: {state: 'unavailable', reason: 'x'}},
        {
          group: group('edge-0 +1', {kernelVersion: '4.9.165', architecture: 'arm64', osImage: 'Android 10 (vendor)'}),
          kernel: {state: 'unavailable', reason: 'x'},
          matrix: {state: 'unavailable', reason: 'x'},
        },
      ],
      setup,
    )
    expect(view.headers).toEqual(['NODE GROUP', 'KERNEL', 'OS', 'sidecar\niptables'])
    expect(view.rows).toEqual([
      ['ng-general (2)', '6.1.0-56-amd64', 'Debian 12', 'unknown'],
      ['edge-0 +1', '4.9.165 arm64', 'Android 10', 'unknown'],
    ])
    expect(known(1).state).toBe('known')
    expect(shortOs('Bottlerocket OS 1.19.0 (aws-k8s-1.29)')).toBe('Bottlerocket OS 1.19.0')
  })
})
