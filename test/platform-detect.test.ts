import {describe, expect, it} from 'vitest'
import type {DetectionInput} from '../src/derive/platform/detect-platform.js'
import {detectPlatform, hasFeature} from '../src/derive/platform/detect-platform.js'
import {summarizeNode} from '../src/gather/platform-objects.js'
import type {NodeShape} from './platform-fixtures.js'
import {NODES, nodeObject, summarized} from './platform-fixtures.js'

interface Row {
  name: string
  nodes: NodeShape[]
  extra?: Omit<DetectionInput, 'nodes'>
  platform: string
  confidence: string
  signal?: RegExp
  also?: string[]
  mixed?: boolean
}

const rows: Row[] = [
  {
    name: 'GKE node labels and -gke. kubelet',
    nodes: [NODES.gke, {...NODES.gke, name: 'gke-prod-default-pool-3f4b1c2d-abcd'}],
    platform: 'gke',
    confidence: 'high',
    signal: /label cloud\.google\.com\/gke-nodepool \(2\/2 nodes\)/,
  },
  {name: 'EKS managed node group', nodes: [NODES.eksEc2], platform: 'eks', confidence: 'high', signal: /kubelet version contains -eks-/},
  {
    name: 'EKS mixed: EC2 node group and Auto Mode',
    nodes: [NODES.eksEc2, NODES.eksAuto, {...NODES.eksAuto, name: 'i-0fedcba9876543211'}],
    platform: 'eks',
    confidence: 'high',
    mixed: true,
  },
  {name: 'AKS reserved labels and azure providerID', nodes: [NODES.aks], platform: 'aks', confidence: 'high', signal: /label kubernetes\.azure\.com\/cluster/},
  {
    name: 'OpenShift on AWS wins over the aws:/// providerID (pitfall §2.3)',
    nodes: [NODES.openshiftOnAws],
    extra: {apiGroups: ['route.openshift.io', 'config.openshift.io']},
    platform: 'openshift',
    confidence: 'high',
    also: ['aws'],
  },
  {
    name: 'K3s: +k3s kubelet, instance-type=k3s (key and value matched separately)',
    nodes: [NODES.k3s],
    platform: 'k3s',
    confidence: 'high',
    signal: /label node\.kubernetes\.io\/instance-type=k3s/,
  },
  {name: 'k3d: k3s://k3d- providerID beats plain K3s', nodes: [NODES.k3d], platform: 'k3d', confidence: 'high', also: ['k3s']},
  {name: 'RKE2: +rke2r kubelet and rke2:// providerID', nodes: [NODES.rke2], platform: 'rke2', confidence: 'high'},
  {name: 'MicroK8s label', nodes: [NODES.microk8s], platform: 'microk8s', confidence: 'high'},
  {name: 'minikube labels (kubeadm annotation too)', nodes: [NODES.minikube], platform: 'minikube', confidence: 'high', also: ['kubeadm']},
  {
    name: 'kind:// providerID (kubeadm underneath)',
    nodes: [NODES.kind, {...NODES.kind, name: 'kind-worker', providerID: 'kind://docker/kind/kind-worker'}],
    platform: 'kind',
    confidence: 'high',
    also: ['kubeadm'],
  },
  {name: 'Docker Desktop node name', nodes: [NODES.dockerDesktop], platform: 'docker-desktop', confidence: 'high'},
  {name: 'Talos osImage', nodes: [NODES.talos], platform: 'talos', confidence: 'high', signal: /osImage "Talos \(…"/},
  {name: 'kubeadm on GCE: kubeadm beats the bare cloud', nodes: [NODES.kubeadmOnGce], platform: 'kubeadm', confidence: 'medium', also: ['gce']},
  {name: 'bare GCE providerID only: the cloud, low confidence', nodes: [NODES.bareGce], platform: 'gce', confidence: 'low'},
  {name: 'no signal at all', nodes: [NODES.plain], platform: 'unknown', confidence: 'none'},
  {
    name: 'GKE from the server version alone (nodes unread)',
    nodes: [],
    extra: {serverVersion: 'v1.29.6-gke.1038001', unread: ['forbidden: you may not list nodes (cluster-wide)']},
    platform: 'gke',
    confidence: 'medium',
  },
  {
    name: 'EKS from the aws-node DaemonSet and server version',
    nodes: [NODES.plain],
    extra: {serverVersion: 'v1.29.1-eks-b9c9ed7', daemonSets: [{namespace: 'kube-system', name: 'aws-node'}]},
    platform: 'eks',
    confidence: 'high',
  },
  {name: 'a strong node signal on only some nodes lowers the confidence', nodes: [NODES.talos, NODES.plain], platform: 'talos', confidence: 'medium'},
]

describe('detectPlatform over node objects shaped like the public examples', () => {
  it.each(rows)('$name → $platform ($confidence)', (row) => {
    const d = detectPlatform({...row.extra, nodes: row.nodes.length > 0 ? summarized(...row.nodes) : row.extra?.serverVersion ? undefined : []})
    expect(d.platform).toBe(row.platform)
    expect(d.confidence).toBe(row.confidence)
    expect(d.mixed).toBe(row.mixed ?? false)
    if (row.signal) expect(d.signals.map((s) => `${s.signal}${s.nodes === undefined ? '' : ` (${s.nodes}/${s.of} nodes)`}`).join('; ')).toMatch(row.signal)
    for (const other of row.also ?? []) expect(d.alsoMatched).toContain(other)
    if (row.platform !== 'unknown') expect(d.signals.some((s) => s.strength === 'strong')).toBe(true)
  })

  it('reports the node groups of a mixed cluster with their counts and examples', () => {
    const d = detectPlatform({nodes: summarized(NODES.eksEc2, NODES.eksAuto, {...NODES.eksAuto, name: 'i-1'})})
    expect(d.nodeGroups).toEqual([
      {platform: 'eks', name: 'EKS (Auto Mode)', nodes: 2, examples: [NODES.eksAuto.name, 'i-1']},
      {platform: 'eks', name: 'EKS (EC2)', nodes: 1, examples: [NODES.eksEc2.name]},
    ])
    expect(hasFeature(d, 'eks-auto-mode')).toBe(true)
  })

  it('looks at every node, not the first: a kind cluster with one k3s node is mixed', () => {
    const d = detectPlatform({nodes: summarized(NODES.kind, NODES.k3s)})
    expect(d.mixed).toBe(true)
    expect(d.nodeGroups.map((g) => g.platform).sort()).toEqual(['k3s', 'kind'])
  })

  it('does not match a label value against the key (zarf pitfall): instance-type=k3s only as key=value', () => {
    const d = detectPlatform({nodes: summarized({name: 'n', labels: {'some/label': 'node.kubernetes.io/instance-type=k3s'}})})
    expect(d.platform).toBe('unknown')
  })

  it.each([
    ['GKE Autopilot (webhook, 1.26+)', {webhooks: ['sasecret-redacter.config.common-webhooks.networking.gke.io']}, 'gke-autopilot'],
    ['GKE Autopilot (webhook, pre-1.26)', {webhooks: ['workload-defaulter.config.common-webhooks.networking.gke.io']}, 'gke-autopilot'],
    ['GKE Dataplane V2 (anetd)', {daemonSets: [{namespace: 'kube-system', name: 'anetd'}]}, 'gke-dataplane-v2'],
    ['GKE managed ambient', {namespaces: ['gke-managed-ambient']}, 'gke-managed-ambient'],
  ] as const)('%s', (_name, extra, feature) => {
    const d = detectPlatform({...extra, nodes: summarized(NODES.gke)})
    expect(d.platform).toBe('gke')
    expect(d.features.map((f) => f.id)).toEqual([feature])
  })

  it('does not take the auto.gke.io CRDs as Autopilot (they exist on Standard since 1.24)', () => {
    const d = detectPlatform({nodes: summarized(NODES.gke), apiGroups: ['auto.gke.io']})
    expect(hasFeature(d, 'gke-autopilot')).toBe(false)
  })

  it('summarizes a node: IPv6 from the pod CIDRs, annotations kept for node-args', () => {
    const n = summarizeNode(nodeObject({...NODES.k3s, podCIDRs: ['10.42.0.0/24', 'fd00:10:42::/64']}))
    expect(n.ipv6).toBe(true)
    expect(n.annotations['k3s.io/node-args']).toContain('traefik')
    expect(summarizeNode(nodeObject(NODES.k3s)).ipv6).toBe(false)
    expect(summarizeNode({}).name).toBe('')
  })
})
