/** The node checks that judge the probe itself, autoload and functional results, on small synthetic facts. */
import {describe, expect, it} from 'vitest'
import {functionalRules} from '../src/checks/node/functional-rules.js'
import {iptablesBackend} from '../src/checks/node/iptables-backend.js'
import {moduleAutoload} from '../src/checks/node/module-autoload.js'
import {probe} from '../src/checks/node/probe.js'
import {deriveKernelMatrix} from '../src/derive/kernel/matrix.js'
import type {Subject} from '../src/model/finding.js'
import type {NodeGroup, NodesSetup} from '../src/gather/nodes.js'
import {groupNodes, ipFamiliesFrom, summarizeNode} from '../src/gather/nodes.js'
import type {FunctionalResult, KernelEvidence, ModuleFlags} from '../src/gather/probe/parse-probe.js'
import {classifyCreateError, podOutcome} from '../src/gather/probe/pods.js'
import {ApiError} from '../src/gather/kube/errors.js'

const subject: Subject = {kind: 'NodeGroup', name: 'g'}
const group = (probeOutcome: NodeGroup['probe'], over: Partial<NodeGroup> = {}): NodeGroup => ({
  id: 'g1',
  subject,
  kernelVersion: '6.1.0',
  osImage: 'Debian',
  architecture: 'amd64',
  containerRuntime: 'containerd',
  nodes: ['n1', 'n2'],
  notReady: [],
  windows: false,
  probe: probeOutcome,
  ...over,
})
const setup = (over: Partial<NodesSetup> = {}): NodesSetup => ({
  istioVersion: '1.29',
  modes: ['sidecar', 'ambient'],
  backends: ['iptables', 'nftables'],
  ipFamilies: 'ipv4',
  ipFamiliesSource: 'test',
  dnsCapture: {sidecar: false, ambient: true},
  interception: 'redirect',
  functional: false,
  ...over,
})

/** What the area hands a kernel check: the evidence and its matrix, judged once (derive/kernel/matrix.ts). */
const facts = (k: KernelEvidence, s: NodesSetup) => ({group: group({state: 'ok', source: 'pod'}), kernel: k, matrix: deriveKernelMatrix(k, s), setup: s})

/** Every module of the table loadable (complete lists) on a live node, with nothing loaded. */
function kernel(over: Partial<KernelEvidence> = {}, flags: Partial<ModuleFlags> = {loadable: true}): KernelEvidence {
  const names = [
    'x_tables',
    'xt_tcpudp',
    'xt_REDIRECT',
    'xt_owner',
    'xt_mark',
    'xt_connmark',
    'xt_conntrack',
    'xt_multiport',
    'xt_CT',
    'xt_set',
    'xt_nat',
    'ip_set',
    'ip_set_hash_ip',
    'nf_conntrack',
    'nf_nat',
    'bridge',
    'br_netfilter',
    'ip_tables',
    'iptable_nat',
    'iptable_mangle',
    'iptable_raw',
    'nf_tables',
    'nft_compat',
    'nft_chain_nat',
    'nft_nat',
    'nft_ct',
    'nft_redir',
    'nft_socket',
    'nft_counter',
    'nf_defrag_ipv4',
    'nf_defrag_ipv6',
  ]
  return {
    release: '6.1.0',
    releaseSource: 'proc',
    config: {NF_TABLES_INET: 'y', NF_CONNTRACK_ZONES: 'y', IP_MULTIPLE_TABLES: 'y'},
    live: true,
    procModules: true,
    builtinList: true,
    loadableList: 'modules.dep',
    bootConfig: true,
    modules: Object.fromEntries(names.map((n) => [n, {loaded: false, builtin: false, loadable: false, bootLoad: false, ...flags}])),
    selinux: 'disabled',
    modprobe: {path: '/sbin/modprobe', present: true},
    ...over,
  }
}

describe('node.module-autoload', () => {
  const run = (k: KernelEvidence) => moduleAutoload.run(facts(k, setup()))
  const SCENARIOS = [
    ['sidecar', 'iptables'],
    ['sidecar', 'nftables'],
    ['ambient', 'iptables'],
    ['ambient', 'nftables'],
  ]
  it.each([
    // istio-init runs as container_t: module_request is denied (istio/istio#24101), so sidecars fail.
    [
      'SELinux enforcing: sidecars (istio-init) fail, the istio-cni agent warns',
      kernel({selinux: 'enforcing'}),
      ['fail', 'fail', 'warn', 'warn'],
      /SELinux is enforcing .*istio-init.*istio\/istio#24101/,
    ],
    [
      'an empty kernel.modprobe disables autoload: every set-up fails',
      kernel({modprobe: {path: '', present: undefined}}),
      ['fail', 'fail', 'fail', 'fail'],
      /kernel.modprobe is empty/,
    ],
    [
      'a kernel.modprobe path missing on the host',
      kernel({modprobe: {path: '/usr/bin/kmod-nope', present: false}}),
      ['fail', 'fail', 'fail', 'fail'],
      /does not exist on the host/,
    ],
    [
      'everything loaded: nothing to autoload, even with SELinux enforcing',
      kernel({selinux: 'enforcing'}, {loaded: true}),
      ['pass', 'pass', 'pass', 'pass'],
      /nothing has to be autoloaded/,
    ],
    ['SELinux permissive and modprobe present', kernel({selinux: 'permissive'}), ['pass', 'pass', 'pass', 'pass'], /nothing blocks autoload/],
    [
      'an image: decided at runtime',
      kernel({live: false, procModules: false, selinux: 'unknown', modprobe: undefined}),
      ['skip', 'skip', 'skip', 'skip'],
      /decided on the running node/,
    ],
    [
      'a live node where nothing could be read',
      kernel({selinux: 'unknown', modprobe: undefined}),
      ['unknown', 'unknown', 'unknown', 'unknown'],
      /the SELinux mode and kernel.modprobe could not be read/,
    ],
  ])('%s', (_name, k, severities, message) => {
    const out = run(k)
    expect(out.map((o) => [o.mode, o.backend])).toEqual(SCENARIOS)
    expect(out.map((o) => o.severity)).toEqual(severities)
    expect(out[0]!.message).toMatch(message)
    for (const o of out.filter((x) => x.severity === 'fail' || x.severity === 'warn')) expect(o.remediation?.command).toMatch(/modules-load\.d\/istio\.conf/)
  })
  it("lists only the modules each set-up's rules request: no dependencies, no legacy tables, nothing Istio does not use", () => {
    const [sidecarIpt, sidecarNft, ambientIpt, ambientNft] = run(kernel({selinux: 'enforcing'}))
    // sidecar REDIRECT via iptables-nft (the legacy tables are not loaded, so Istio takes iptables-nft)
    expect(sidecarIpt!.evidence?.modules).toEqual(['nf_tables', 'nft_chain_nat', 'nft_compat', 'nft_counter', 'xt_REDIRECT', 'xt_owner', 'xt_tcpudp'])
    expect(sidecarNft!.evidence?.modules).toEqual(['nf_tables', 'nft_chain_nat', 'nft_redir'])
    expect(ambientIpt!.evidence?.modules).toEqual([
      'ip_set',
      'ip_set_hash_ip',
      'nf_tables',
      'nft_chain_nat',
      'nft_compat',
      'nft_counter',
      'xt_CT',
      'xt_REDIRECT',
      'xt_connmark',
      'xt_mark',
      'xt_nat',
      'xt_owner',
      'xt_set',
      'xt_tcpudp',
    ])
    expect(ambientNft!.evidence?.modules).toEqual(['nf_tables', 'nft_chain_nat', 'nft_counter', 'nft_ct', 'nft_nat', 'nft_redir'])
    for (const o of [sidecarIpt, sidecarNft, ambientIpt, ambientNft]) {
      for (const never of ['br_netfilter', 'bridge', 'nft_socket', 'nf_conntrack', 'x_tables', 'iptable_nat', 'xt_conntrack', 'xt_multiport'])
        expect(o!.evidence?.modules, never).not.toContain(never)
    }
  })
  it('never claims modules-load.d or /proc/modules evidence it did not read', () => {
    const image = run(kernel({live: false, procModules: false, bootConfig: false, selinux: 'unknown', modprobe: undefined}))
    for (const o of image) expect(o.message).not.toMatch(/modules-load\.d|\/proc\/modules/)
  })
})

describe('node.iptables-backend: legacy tables a pod cannot load (istio/istio#57380)', () => {
  // The EKS AL2023 node of the issue: ip_tables and iptable_filter loaded, iptable_nat only loadable.
  const eks = kernel({
    modules: {
      ...kernel().modules,
      ip_tables: {loaded: true, builtin: false, loadable: true, bootLoad: false},
      iptable_filter: {loaded: true, builtin: false, loadable: true, bootLoad: false},
      iptable_nat: {loaded: false, builtin: false, loadable: true, bootLoad: false},
    },
  })
  const run = (k: KernelEvidence, istioVersion: string) => iptablesBackend.run(facts(k, setup({istioVersion, modes: ['sidecar'], backends: ['iptables']})))
  it('before 1.28 the sidecar fails on iptables-legacy and the fix loads the table at boot', () => {
    const [out] = run(eks, '1.27')
    expect([out!.severity, out!.mode, out!.backend, out!.evidence?.path, out!.evidence?.missing]).toEqual([
      'fail',
      'sidecar',
      'iptables',
      'iptables-legacy',
      ['iptable_nat'],
    ])
    expect(out!.message).toContain("iptable_nat: loadable (modules.dep), but not loaded (/proc/modules), and Istio's pods cannot load it")
    expect(out!.remediation?.command).toBe("sudo modprobe -a iptable_nat && printf '%s\\n' iptable_nat | sudo tee /etc/modules-load.d/istio.conf")
  })
  it('from 1.28 the same node runs sidecars through iptables-nft', () => {
    const [out] = run(eks, '1.28')
    expect([out!.severity, out!.evidence?.path]).toEqual(['pass', 'iptables-nft'])
  })
  it('an image whose only path is iptables-legacy is unknown, and says the running node decides', () => {
    const image = kernel({
      live: false,
      procModules: false,
      bootConfig: true,
      selinux: 'unknown',
      modprobe: undefined,
      modules: {...kernel().modules, nf_tables: {loaded: false, builtin: false, loadable: false, bootLoad: false}},
    })
    const [out] = run(image, '1.30')
    expect([out!.severity, out!.evidence?.path]).toEqual(['unknown', 'iptables-legacy'])
    expect(out!.remediation?.text).toMatch(/^Whether ip_tables, iptable_nat are loaded is decided on the running node/)
  })
})

describe('node.functional-rules', () => {
  const results = (r: FunctionalResult[]): KernelEvidence => kernel({functional: {results: r, versions: {nft: 'nftables v1.0.9'}}}, {builtin: true})
  const run = (k: KernelEvidence, s = setup({functional: true})) => functionalRules.run(facts(k, s))
  const sidecarIptables = setup({functional: true, backends: ['iptables'], modes: ['sidecar']})
  it('says nothing when --functional was not asked for', () => {
    expect(run(results([]), setup())).toEqual([])
  })
  it('judges each mode × backend on the path Istio takes, with the exact error, and notes failures nothing relies on', () => {
    const out = run(
      results([
        {test: 'iptables-nft.nat', status: 'fail', error: 'iptables v1.8.9 (nf_tables): RULE_APPEND failed (Operation not supported)'},
        {test: 'iptables-legacy.nat', status: 'fail', error: "iptables v1.8.9 (legacy): can't initialize iptables table `nat': Permission denied"},
      ]),
    )
    expect(out.map((o) => [o.mode, o.backend, o.severity])).toEqual([
      ['sidecar', 'iptables', 'fail'],
      ['sidecar', 'nftables', 'skip'],
      ['ambient', 'iptables', 'fail'],
      ['ambient', 'nftables', 'skip'],
      [undefined, undefined, 'skip'], // iptables-legacy.nat: no judged set-up takes iptables-legacy
    ])
    expect(out[0]!.message).toBe(
      'sidecar on iptables via iptables-nft: iptables-nft.nat failed: iptables v1.8.9 (nf_tables): RULE_APPEND failed (Operation not supported)',
    )
    expect(out[0]!.evidence?.versions).toEqual(['nft: nftables v1.0.9'])
  })
  it('a failing iptables-nft with a working iptables-legacy is only noted: Istio falls back to legacy', () => {
    const out = run(
      results([
        {test: 'iptables-nft.nat', status: 'fail', error: 'x'},
        {test: 'iptables-legacy.nat', status: 'ok'},
      ]),
      sidecarIptables,
    )
    expect(out.map((o) => [o.severity, o.message])).toEqual([
      ['pass', 'sidecar on iptables via iptables-legacy: applied iptables-legacy.nat'],
      ['skip', 'iptables-nft.nat failed: x (not on the path Istio takes in the judged set-ups)'],
    ])
  })
  it('only skips a failure no judged set-up relies on (legacy tables gone on 6.17+)', () => {
    const out = run(
      results([
        {test: 'iptables-nft.nat', status: 'ok'},
        {test: 'iptables-legacy.nat', status: 'fail', error: "can't initialize iptables table `nat': Table does not exist"},
      ]),
      sidecarIptables,
    )
    expect(out.map((o) => o.severity)).toEqual(['pass', 'skip'])
    expect(out[1]!.message).toContain('not on the path Istio takes')
  })
  it('names tools missing from the image', () => {
    const out = run(results([{test: 'ipset', status: 'absent'}]), sidecarIptables)
    expect(out.map((o) => o.severity)).toEqual(['skip', 'skip'])
    expect(out[1]!.remediation?.text).toContain('--image')
  })
  it('a refusal to touch the host network namespace is unknown, not a failure: nothing was tested', () => {
    const out = run(results([{test: 'netns', status: 'fail', error: 'refusing to apply test rules in the host network namespace'}]))
    expect(out.map((o) => o.severity)).toEqual(['unknown'])
    expect(out[0]!.message).toContain('the functional tests did not run: refusing to apply test rules in the host network namespace')
  })
})

describe('node.probe', () => {
  const run = (g: NodeGroup) => probe.run({group: g})
  it.each([
    [
      'image pull',
      {problem: 'image-pull', image: 'docker.io/library/busybox:1.37', node: 'n1', message: 'ErrImagePull: not found'},
      /image docker\.io\/library\/busybox:1\.37 could not be pulled on node n1/,
      /--image/,
    ],
    [
      'admission',
      {problem: 'admission', policy: 'admission webhook "kyverno"', message: 'denied'},
      /rejected by admission webhook "kyverno"/,
      /--probe-namespace/,
    ],
    [
      'RBAC',
      {
        problem: 'forbidden',
        permission: 'create pods in namespace mesh-ready-probe',
        message: 'forbidden: you may not create pods in namespace mesh-ready-probe',
      },
      /you may not create pods/,
      /create pods in namespace mesh-ready-probe/,
    ],
    [
      'deadline',
      {problem: 'deadline', pod: 'p', node: 'n1', message: 'Pod was active on the node longer than the specified deadline'},
      /ran past its activeDeadlineSeconds/,
      /--timeout/,
    ],
    [
      'timeout',
      {problem: 'timeout', pod: 'p', node: 'n1', message: 'the probe did not finish within --timeout 6s'},
      /--timeout 6s on node n1/,
      /--keep-probes/,
    ],
    [
      'unreadable report',
      {problem: 'output', node: 'n1', message: 'the probe report is cut off (no end marker)'},
      /could not be read: the probe report is cut off/,
      /--local/,
    ],
  ] as const)('%s is unknown with a specific message and fix', (_name, failure, message, fix) => {
    const [out] = run(group({state: 'failed', ...failure} as NodeGroup['probe']))
    expect(out!.severity).toBe('unknown')
    expect(out!.message).toMatch(message)
    expect(`${out!.remediation?.text} ${out!.remediation?.command ?? ''}`).toMatch(fix)
  })
  it('skips Windows groups and reports NotReady nodes of a probed group', () => {
    expect(run(group({state: 'skipped', reason: 'windows'}))[0]!.severity).toBe('skip')
    expect(run(group({state: 'ok', source: 'pod', node: 'n1', pod: 'p'}, {notReady: ['n2']})).map((o) => o.severity)).toEqual(['pass', 'unknown'])
  })
})

describe('pod status and create errors', () => {
  const pod = (status: object) => ({metadata: {name: 'p'}, spec: {containers: [{image: 'img'}]}, status})
  it.each([
    [
      'ImagePullBackOff',
      pod({phase: 'Pending', containerStatuses: [{name: 'probe', state: {waiting: {reason: 'ImagePullBackOff', message: 'Back-off'}}}]}),
      'image-pull',
    ],
    ['InvalidImageName', pod({phase: 'Pending', containerStatuses: [{name: 'probe', state: {waiting: {reason: 'InvalidImageName'}}}]}), 'image-pull'],
    [
      'CreateContainerConfigError',
      pod({phase: 'Pending', containerStatuses: [{name: 'probe', state: {waiting: {reason: 'CreateContainerConfigError', message: 'secret not found'}}}]}),
      'failed',
    ],
    [
      'DeadlineExceeded',
      pod({phase: 'Failed', reason: 'DeadlineExceeded', message: 'Pod was active on the node longer than the specified deadline'}),
      'deadline',
    ],
  ])('%s ends the wait', (_name, p, problem) => {
    const outcome = podOutcome(p)
    expect(outcome?.state === 'done' && !outcome.result.ok && outcome.result.problem).toBe(problem)
  })
  it('a running pod keeps waiting, a finished one hands over its message', () => {
    expect(podOutcome(pod({phase: 'Running', containerStatuses: [{name: 'probe', state: {running: {}}}]}))).toBeUndefined()
    expect(
      podOutcome(pod({phase: 'Succeeded', containerStatuses: [{name: 'probe', state: {terminated: {exitCode: 0, message: 'mesh-ready-probe 1\nend\n'}}}]})),
    ).toEqual({state: 'output', text: 'mesh-ready-probe 1\nend\n', exitCode: 0, reason: undefined})
  })
  it.each([
    [
      'RBAC',
      new ApiError(
        403,
        'Forbidden',
        {verb: 'create', resource: 'pods', group: '', namespace: 'ns'},
        'pods is forbidden: User "u" cannot create resource "pods" in API group "" in the namespace "ns"',
      ),
      'forbidden',
      undefined,
    ],
    [
      'Pod Security',
      new ApiError(
        403,
        'Forbidden',
        {verb: 'create', resource: 'pods', group: '', namespace: 'ns'},
        'pods "p" is forbidden: violates PodSecurity "restricted:latest": hostPath volumes',
      ),
      'admission',
      'PodSecurity "restricted:latest"',
    ],
    [
      'a webhook',
      new ApiError(
        400,
        'BadRequest',
        {verb: 'create', resource: 'pods', group: '', namespace: 'ns'},
        'admission webhook "validate.kyverno.svc-fail" denied the request: no hostPath',
      ),
      'admission',
      'admission webhook "validate.kyverno.svc-fail"',
    ],
    [
      'a ValidatingAdmissionPolicy',
      new ApiError(
        422,
        'Invalid',
        {verb: 'create', resource: 'pods', group: '', namespace: 'ns'},
        "pods \"p\" is forbidden: ValidatingAdmissionPolicy 'no-hostpath' with binding 'b' denied request: x",
      ),
      'admission',
      "ValidatingAdmissionPolicy 'no-hostpath'",
    ],
  ])('a create refused by %s is classified', (_name, error, problem, policy) => {
    const result = classifyCreateError(error, 'img')
    expect(!result.ok && [result.problem, result.policy]).toEqual([problem, policy])
  })
})

describe('grouping and IP families', () => {
  const node = (name: string, kernelVersion: string, extra: object = {}) =>
    summarizeNode({
      metadata: {name},
      spec: {podCIDRs: ['10.0.0.0/24']},
      status: {
        nodeInfo: {kernelVersion, osImage: 'Debian', architecture: 'amd64', containerRuntimeVersion: 'containerd', operatingSystem: 'linux'},
        conditions: [{type: 'Ready', status: 'True'}],
      },
      ...extra,
    })
  it('groups by kernel, OS image, architecture and runtime; biggest group first; one group per node with --all-nodes', () => {
    const nodes = [node('b-1', '6.1'), node('a-1', '5.15'), node('b-2', '6.1'), node('b-10', '6.1')]
    expect(groupNodes(nodes, false).map((g) => g.nodes.map((n) => n.name))).toEqual([['b-1', 'b-2', 'b-10'], ['a-1']])
    expect(groupNodes(nodes, true)).toHaveLength(4)
  })
  it.each([
    [['10.0.0.0/24'], undefined, 'ipv4'],
    [['fd00::/64'], undefined, 'ipv6'],
    [['10.0.0.0/24', 'fd00::/64'], undefined, 'dual'],
    [[], ['IPv4', 'IPv6'], 'dual'],
    [[], undefined, undefined],
  ])('pod CIDRs %j and Service families %j → %s', (cidrs, service, expected) => {
    const n = {...node('n', '6.1'), podCIDRs: cidrs}
    expect(ipFamiliesFrom([n], service)).toBe(expected)
  })
})
