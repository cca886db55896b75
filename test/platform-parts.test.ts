import {describe, expect, it} from 'vitest'
import type {CniInput} from '../src/derive/platform/detect-cni.js'
import {cniLabel, detectCni} from '../src/derive/platform/detect-cni.js'
import {cidrContains} from '../src/derive/platform/probe-snat.js'
import {parseQuantity, quotaAdmitsPriority} from '../src/derive/platform/quota.js'
import {forModes} from '../src/derive/platform/modes.js'
import {CLUSTER_SUBJECT} from '../src/model/finding.js'
import {findInstalledIstio, injectorConfigMapName, withIstioSettings} from '../src/gather/platform-istio.js'
import type {PlatformWorkload} from '../src/gather/platform-objects.js'
import {imageTag, imageVersion, summarizeConfigMap, summarizeQuota, summarizeWorkload} from '../src/gather/platform-objects.js'
import {branchEniFix} from '../src/checks/platform/eks-pod-security-groups.js'
import {patchOf} from '../src/knowledge/versions.js'
import {calicoBpfProblems, ciliumExclusiveBehaviour} from '../src/knowledge/cni-signals.js'
import {versionBefore} from '../src/knowledge/versions.js'
import {dsObject, NODES, summarized} from './platform-fixtures.js'

const ds = (namespace: string, name: string, image?: string) => summarizeWorkload('DaemonSet')(dsObject(namespace, name, {image}))
const inv = <T>(items: T[]) => ({items, searched: [], unreadable: []})

describe('CNI detection (platforms.md §2.4)', () => {
  const rows: Array<{name: string; input: CniInput; primary: string | undefined; label?: RegExp; others?: string[]}> = [
    {
      name: 'self-managed Cilium with version',
      input: {daemonSets: inv([ds('kube-system', 'cilium', 'quay.io/cilium/cilium:v1.16.3@sha256:0123')])},
      primary: 'cilium',
      label: /^Cilium 1\.16\.3 \(self-managed\)$/,
    },
    {name: 'GKE-managed Cilium (anetd)', input: {daemonSets: inv([ds('kube-system', 'anetd')])}, primary: 'cilium', label: /GKE-managed \(anetd/},
    {
      name: 'AKS-managed Cilium (node label)',
      input: {
        daemonSets: inv([ds('kube-system', 'cilium'), ds('kube-system', 'azure-cns')]),
        nodes: summarized({...NODES.aks, labels: {...NODES.aks.labels, 'kubernetes.azure.com/ebpf-dataplane': 'cilium'}}),
      },
      primary: 'cilium',
      label: /AKS-managed/,
      others: ['azure-cni'],
    },
    {
      name: 'Cilium chained on the VPC CNI: the VPC CNI owns the network',
      input: {
        daemonSets: inv([
          ds('kube-system', 'cilium'),
          ds('kube-system', 'aws-node', '602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon-k8s-cni:v1.19.2-eksbuild.1'),
        ]),
        ciliumConfigs: inv([summarizeConfigMap({metadata: {namespace: 'kube-system', name: 'cilium-config'}, data: {'cni-chaining-mode': 'aws-cni'}})]),
      },
      primary: 'aws-vpc-cni',
      label: /^Amazon VPC CNI 1\.19\.2$/,
      others: ['cilium'],
    },
    {
      name: 'Calico operator (calico-system) with the BPF dataplane',
      input: {daemonSets: inv([ds('calico-system', 'calico-node')]), calico: {linuxDataplane: 'BPF'}},
      primary: 'calico',
      label: /operator, BPF dataplane/,
    },
    {
      name: 'Calico manifest (kube-system), iptables',
      input: {daemonSets: inv([ds('kube-system', 'calico-node')])},
      primary: 'calico',
      label: /manifest, Iptables dataplane/,
    },
    {name: 'kindnet', input: {daemonSets: inv([ds('kube-system', 'kindnet')])}, primary: 'kindnet'},
    {
      name: 'K3s embedded Flannel (node annotation, no DaemonSet)',
      input: {daemonSets: inv([]), nodes: summarized(NODES.k3s)},
      primary: 'flannel',
      label: /embedded/,
    },
    {
      name: 'Flannel annotations next to a real CNI are ignored',
      input: {daemonSets: inv([ds('kube-system', 'cilium')]), nodes: summarized(NODES.k3s)},
      primary: 'cilium',
    },
    {
      name: 'OVN-Kubernetes from the OpenShift network config, with Multus',
      input: {daemonSets: inv([]), openshiftNetwork: {networkType: 'OVNKubernetes'}, apiGroups: ['k8s.cni.cncf.io']},
      primary: 'ovn-kubernetes',
      others: ['multus'],
    },
    {name: 'Azure CNI', input: {daemonSets: inv([ds('kube-system', 'azure-cns')])}, primary: 'azure-cni'},
    {name: 'nothing', input: {daemonSets: inv([])}, primary: undefined},
  ]
  it.each(rows)('$name', ({input, primary, label, others}) => {
    const cni = detectCni(input)
    expect(cni.primary?.id).toBe(primary)
    if (label) expect(cniLabel(cni.primary)).toMatch(label)
    expect(cni.components.filter((c) => c !== cni.primary).map((c) => c.id)).toEqual(others ?? [])
  })

  it('names what could not be read when the all-namespaces list was refused', () => {
    const cni = detectCni({
      daemonSets: {
        items: [],
        clusterWideDenied: 'forbidden: you may not list daemonsets.apps (cluster-wide)',
        searched: ['kube-system'],
        unreadable: [{namespace: 'kube-system', reason: 'forbidden: you may not list daemonsets.apps in namespace kube-system'}],
      },
    })
    expect(cni.primary).toBeUndefined()
    expect(cni.gaps).toEqual([
      'forbidden: you may not list daemonsets.apps (cluster-wide), so daemonsets were read only in kube-system, one namespace at a time',
      'forbidden: you may not list daemonsets.apps in namespace kube-system',
    ])
  })
})

describe('installed Istio from workloads', () => {
  const istiod = (namespace: string, image: string, rev?: string): PlatformWorkload =>
    summarizeWorkload('Deployment')({
      metadata: {namespace, name: rev ? `istiod-${rev}` : 'istiod', labels: {app: 'istiod', ...(rev ? {'istio.io/rev': rev} : {})}},
      spec: {template: {spec: {containers: [{name: 'discovery', image}]}}},
    })
  it('takes the default revision, reads versions from tags (distroless, digest)', () => {
    const found = findInstalledIstio([
      istiod('istio-system', 'docker.io/istio/pilot:1.30.1-distroless', '1-30'),
      istiod('istio-system', 'docker.io/istio/pilot:1.29.3'),
      summarizeWorkload('DaemonSet')(dsObject('istio-system', 'ztunnel', {image: 'docker.io/istio/ztunnel:1.29.3@sha256:ab', podLabels: {app: 'ztunnel'}})),
      summarizeWorkload('DaemonSet')(
        dsObject('kube-system', 'istio-cni-node', {
          containers: [{name: 'install-cni', image: 'docker.io/istio/install-cni:1.29.3'}],
          podLabels: {'k8s-app': 'istio-cni-node'},
        }),
      ),
    ])
    expect(found.version).toBe('1.29.3')
    expect(found.minor).toBe('1.29')
    expect(found.components.map((c) => `${c.component}@${c.namespace}:${c.version}`)).toEqual([
      'istiod@istio-system:1.30.1',
      'istiod@istio-system:1.29.3',
      'istio-cni@kube-system:1.29.3',
      'ztunnel@istio-system:1.29.3',
    ])
  })
  it('nothing installed', () => {
    expect(findInstalledIstio([ds('kube-system', 'kindnet')])).toEqual({components: [], version: undefined, minor: undefined, gaps: []})
    expect(findInstalledIstio([ds('kube-system', 'kindnet')]).modes).toBeUndefined()
  })
  it.each([
    ['quay.io/cilium/cilium:v1.16.3@sha256:abc', 'v1.16.3', '1.16.3'],
    ['registry:5000/istio/pilot:1.29.0-rc.1', '1.29.0-rc.1', '1.29.0'],
    ['istio/pilot', undefined, undefined],
    ['registry:5000/istio/pilot', undefined, undefined],
  ])('image %s → tag %s, version %s', (image, tag, version) => {
    expect(imageTag(image)).toBe(tag)
    expect(imageVersion(image)).toBe(version)
  })
})

describe('small pure parts', () => {
  it.each([
    ['169.254.7.127/32', '169.254.7.127', true],
    ['169.254.0.0/16', '169.254.7.127', true],
    ['169.254.7.127', '169.254.7.127', true],
    ['10.0.0.0/8', '169.254.7.127', false],
    ['fd16:9254:7127:1337::/64', 'fd16:9254:7127:1337:ffff:ffff:ffff:ffff', true],
    ['0.0.0.0/0', 'fd16:9254:7127:1337:ffff:ffff:ffff:ffff', false],
    ['not-a-cidr', '169.254.7.127', false],
    ['169.254.0.0/99', '169.254.7.127', false],
  ] as const)('%s contains %s: %s', (cidr, ip, expected) => expect(cidrContains(cidr, ip)).toBe(expected))

  it.each([
    ['1000', 1000],
    ['1G', 1e9],
    ['5k', 5000],
    ['2Ki', 2048],
    ['1.5M', 1.5e6],
    ['lots', undefined],
    [undefined, undefined],
  ] as const)('quantity %s = %s', (q, n) => expect(parseQuantity(q)).toBe(n))

  it('a quota without PriorityClass expressions does not admit by priority; several expressions are ANDed', () => {
    const q = (exprs: unknown[]) => summarizeQuota({metadata: {namespace: 'x', name: 'q'}, spec: {scopeSelector: {matchExpressions: exprs}}})
    expect(quotaAdmitsPriority(q([]), 'system-node-critical')).toBe(false)
    expect(
      quotaAdmitsPriority(
        q([
          {scopeName: 'PriorityClass', operator: 'Exists'},
          {scopeName: 'PriorityClass', operator: 'NotIn', values: ['system-node-critical']},
        ]),
        'system-node-critical',
      ),
    ).toBe(false)
    expect(
      quotaAdmitsPriority(
        q([
          {scopeName: 'PriorityClass', operator: 'Exists'},
          {scopeName: 'PriorityClass', operator: 'In', values: ['system-node-critical']},
        ]),
        'system-node-critical',
      ),
    ).toBe(true)
  })

  it('merges identical outcomes of both modes, prefixes the ones that differ', () => {
    const out = forModes(['sidecar', 'ambient'], (mode) => [
      {severity: 'pass', subject: CLUSTER_SUBJECT, message: 'same'},
      ...(mode === 'ambient' ? [{severity: 'fail' as const, subject: CLUSTER_SUBJECT, message: 'only ambient'}] : []),
    ])
    expect(out.map((o) => [o.message, o.evidence?.modes])).toEqual([
      ['same', ['sidecar', 'ambient']],
      ['ambient: only ambient', ['ambient']],
    ])
    expect(forModes(['ambient'], () => [{severity: 'pass', subject: CLUSTER_SUBJECT, message: 'x'}])[0]!.message).toBe('x')
  })
})

describe('the judged Istio patch', () => {
  it.each([
    ['1.29.3', '1.29', 3],
    ['v1.28.7', '1.28', 7],
    ['1.29', '1.29', undefined],
    ['1.29.3', '1.30', undefined], // the installed version is not the judged one
    [undefined, '1.30', undefined],
  ] as const)('%s judged as %s → patch %s', (version, minor, patch) => expect(patchOf(version, minor)).toBe(patch))

  it('a minor-only 1.29 with DISABLE_TCP_EARLY_DEMUX=true warns that the fix needs 1.29.3 or later', () => {
    const fix = branchEniFix({minor: '1.29', namespace: 'istio-system'})
    expect(fix).toEqual({fixed: undefined, from: '1.29.3'})
    expect(branchEniFix({minor: '1.31', namespace: 'istio-system'})).toEqual({fixed: true})
    expect(branchEniFix({minor: '1.27', namespace: 'istio-system'})).toEqual({fixed: false})
  })
})

describe('what the installed Istio runs, for the install plan', () => {
  const istiod = (rev?: string) =>
    summarizeWorkload('Deployment')({
      metadata: {namespace: 'istio-system', name: 'istiod', labels: {app: 'istiod', ...(rev ? {'istio.io/rev': rev} : {})}},
      spec: {template: {spec: {containers: [{name: 'discovery', image: 'istio/pilot:1.30.1'}]}}},
    })
  const ztunnel = summarizeWorkload('DaemonSet')(dsObject('istio-system', 'ztunnel', {image: 'istio/ztunnel:1.30.1', podLabels: {app: 'ztunnel'}}))
  const cni = (env: Array<{name: string; value: string}> = []) => {
    const raw = dsObject('istio-system', 'istio-cni-node', {
      containers: [{name: 'install-cni', image: 'istio/install-cni:1.30.1', env}],
      podLabels: {'k8s-app': 'istio-cni-node'},
    })
    ;(raw.spec as {template: {spec: Record<string, unknown>}}).template.spec.volumes = [
      {name: 'cni-bin-dir', hostPath: {path: '/var/lib/rancher/k3s/data/cni'}},
      {name: 'cni-net-dir', hostPath: {path: '/var/lib/rancher/k3s/agent/etc/cni/net.d'}},
      {name: 'cni-netns-dir', hostPath: {path: '/var/run/netns', type: 'DirectoryOrCreate'}},
      {name: 'cni-socket-dir', hostPath: {path: '/var/run/istio-cni'}},
      {name: 'config', configMap: {name: 'x'}},
    ]
    return summarizeWorkload('DaemonSet')(raw)
  }

  it.each([
    ['istiod only: sidecar', [istiod()], ['sidecar']],
    ['istiod, istio-cni and ztunnel: ambient in addition to sidecar', [istiod(), cni(), ztunnel], ['sidecar', 'ambient']],
    ['ztunnel alone still means ambient (and sidecar)', [ztunnel], ['sidecar', 'ambient']],
  ] as const)('%s', (_name, workloads, modes) => {
    expect(findInstalledIstio([...workloads]).modes).toEqual(modes)
  })

  it('reads the host paths istio-cni mounts from its hostPath volumes', () => {
    const found = findInstalledIstio([cni()])
    expect(found.components[0]!.cniPaths).toEqual({
      cniBinDir: '/var/lib/rancher/k3s/data/cni',
      cniConfDir: '/var/lib/rancher/k3s/agent/etc/cni/net.d',
      cniNetnsDir: '/var/run/netns',
    })
    expect(cni().hostPaths).not.toHaveProperty('config')
  })

  it.each([
    ['nothing readable: no backend', {}, undefined],
    [
      'injector values without nativeNftables: Istio default iptables',
      {injectorValues: [{ref: 'istio-system/istio-sidecar-injector', values: '{"global":{"hub":"docker.io/istio"}}'}]},
      'iptables',
    ],
    [
      'injector values global.nativeNftables=true',
      {injectorValues: [{ref: 'istio-system/istio-sidecar-injector', values: '{"global":{"nativeNftables":true}}'}]},
      'nftables',
    ],
    [
      'istio-cni-config NATIVE_NFTABLES=true',
      {cniConfig: [{ref: 'istio-system/istio-cni-config', data: {NATIVE_NFTABLES: 'true', AMBIENT_ENABLED: 'true'}}]},
      'nftables',
    ],
    ['istio-cni-config without the key says nothing', {cniConfig: [{ref: 'istio-system/istio-cni-config', data: {AMBIENT_ENABLED: 'true'}}]}, undefined],
    ['malformed injector values are ignored', {injectorValues: [{ref: 'x', values: '{not json'}]}, undefined],
    [
      'one nftables source wins over an iptables one',
      {injectorValues: [{ref: 'a', values: '{}'}], cniConfig: [{ref: 'b', data: {NATIVE_NFTABLES: 'true'}}]},
      'nftables',
    ],
  ] as const)('backend: %s', (_name, sources, backend) => {
    const installed = withIstioSettings(findInstalledIstio([istiod(), cni()]), sources)
    expect(installed.backend).toBe(backend)
    if (backend) expect(installed.backendEvidence!.length).toBeGreaterThan(0)
  })

  it('the install-cni env NATIVE_NFTABLES decides too; gaps are kept apart from the component gaps', () => {
    const installed = withIstioSettings(findInstalledIstio([cni([{name: 'NATIVE_NFTABLES', value: 'true'}])]), {
      gaps: ['istio-system/istio-cni-config: forbidden'],
    })
    expect(installed.backend).toBe('nftables')
    expect(installed.backendGaps).toEqual(['istio-system/istio-cni-config: forbidden'])
    expect(installed.gaps).toEqual([])
  })

  it.each([
    [undefined, 'istio-sidecar-injector'],
    ['default', 'istio-sidecar-injector'],
    ['1-30', 'istio-sidecar-injector-1-30'],
  ])('revision %s reads ConfigMap %s', (rev, name) => expect(injectorConfigMapName(rev)).toBe(name))
})

describe('CNI behaviour by CNI version', () => {
  it.each([
    ['1.16.3', 'fail'],
    ['v1.14.0', 'fail'],
    ['1.13.9', 'warn'],
    ['1.10.0', 'warn'],
    ['1.9.18', undefined],
    [undefined, 'fail'],
  ] as const)('Cilium %s with cni-exclusive true: %s', (version, severity) => expect(ciliumExclusiveBehaviour(version)?.severity).toBe(severity))

  it.each([
    ['3.26.4', 1],
    ['3.28.0', 1],
    ['3.28.1', 1],
    ['3.28.2', 0],
    ['3.29.0', 0],
    ['v3.31.1', 0],
  ] as const)('Calico %s eBPF: %d known ambient problem(s)', (version, count) => expect(calicoBpfProblems(version)).toHaveLength(count))

  it('Calico without a version: not judged by version', () => expect(calicoBpfProblems(undefined)).toBeUndefined())
  it.each([
    ['1.2.3', '1.2.4', true],
    ['1.3', '1.2.9', false],
    ['1.2.3', '1.2.3', false],
    ['x', '1.0.0', undefined],
  ] as const)('%s before %s: %s', (a, b, expected) => expect(versionBefore(a, b)).toBe(expected))
})
