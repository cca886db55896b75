/**
 * How each CNI shows itself through the API, and which of its settings matter for Istio (by CNI version where the
 * behaviour changed). Each row names its primary source: the CNI's own chart, manifests, code or issues.
 * Rows are in precedence order for picking the primary CNI; `meta` rows (Multus) sit next to a primary.
 */
import {versionBefore, versionParts} from './versions.js'

export type CniId =
  | 'cilium'
  | 'calico'
  | 'aws-vpc-cni'
  | 'azure-cni'
  | 'ovn-kubernetes'
  | 'canal'
  | 'kindnet'
  | 'flannel'
  | 'weave'
  | 'antrea'
  | 'kube-ovn'
  | 'kube-router'
  | 'multus'

export interface CniEntry {
  readonly id: CniId
  readonly name: string
  /** DaemonSets that identify it; `namespace` undefined = any namespace. */
  readonly daemonSets: ReadonlyArray<{readonly name: string; readonly namespace?: string}>
  /** API groups whose presence identifies it (CRDs). */
  readonly apiGroups?: readonly string[]
  /** A meta-plugin that runs next to the primary CNI. */
  readonly meta?: boolean
  /** False when the DaemonSet name is not confirmed by the CNI's own manifests. */
  readonly verified: boolean
  readonly source: string
}

export const CNI_CATALOGUE: readonly CniEntry[] = [
  {
    id: 'cilium',
    name: 'Cilium',
    daemonSets: [{name: 'cilium'}, {name: 'anetd', namespace: 'kube-system'}],
    verified: true,
    source:
      'https://github.com/cilium/cilium/blob/main/install/kubernetes/cilium/templates/cilium-agent/daemonset.yaml ; GKE Dataplane V2 (anetd): https://cloud.google.com/kubernetes-engine/docs/concepts/dataplane-v2',
  },
  {
    id: 'calico',
    name: 'Calico',
    daemonSets: [{name: 'calico-node'}],
    apiGroups: ['operator.tigera.io'],
    verified: true,
    source: 'https://github.com/tigera/operator (calico-node DaemonSet, Installation operator.tigera.io/v1)',
  },
  {
    id: 'aws-vpc-cni',
    name: 'Amazon VPC CNI',
    daemonSets: [{name: 'aws-node', namespace: 'kube-system'}],
    verified: true,
    source: 'https://github.com/aws/amazon-vpc-cni-k8s/blob/master/config/master/aws-k8s-cni.yaml',
  },
  {
    id: 'azure-cni',
    name: 'Azure CNI',
    daemonSets: [{name: 'azure-cns', namespace: 'kube-system'}],
    verified: true,
    source: 'https://learn.microsoft.com/en-us/azure/aks/concepts-network-azure-cni-overlay (azure-cns DaemonSet)',
  },
  {
    id: 'ovn-kubernetes',
    name: 'OVN-Kubernetes',
    daemonSets: [{name: 'ovnkube-node', namespace: 'openshift-ovn-kubernetes'}],
    verified: false,
    source: 'https://github.com/openshift/api/blob/master/config/v1/types_network.go (Network cluster .status.networkType)',
  },
  {
    id: 'canal',
    name: 'Canal (Calico + Flannel)',
    daemonSets: [{name: 'rke2-canal', namespace: 'kube-system'}, {name: 'canal'}],
    verified: false,
    source: 'https://docs.rke2.io/networking/basic_network_options (RKE2 default CNI; DaemonSet name not confirmed)',
  },
  {
    id: 'kindnet',
    name: 'kindnet',
    daemonSets: [{name: 'kindnet', namespace: 'kube-system'}],
    verified: true,
    source: 'https://github.com/kubernetes-sigs/kind/blob/main/pkg/build/nodeimage/const_cni.go',
  },
  {
    id: 'flannel',
    name: 'Flannel',
    daemonSets: [{name: 'kube-flannel-ds'}, {name: 'kube-flannel'}],
    verified: false,
    source: 'https://github.com/flannel-io/flannel/blob/master/Documentation/kube-flannel.yml',
  },
  {
    id: 'weave',
    name: 'Weave Net',
    daemonSets: [{name: 'weave-net'}],
    verified: false,
    source: 'https://github.com/weaveworks/weave (DaemonSet name not confirmed)',
  },
  {
    id: 'antrea',
    name: 'Antrea',
    daemonSets: [{name: 'antrea-agent'}],
    verified: false,
    source: 'https://github.com/antrea-io/antrea/blob/main/build/yamls/antrea.yml',
  },
  {id: 'kube-ovn', name: 'Kube-OVN', daemonSets: [{name: 'kube-ovn-cni'}], verified: false, source: 'https://github.com/kubeovn/kube-ovn/issues/5082'},
  {
    id: 'kube-router',
    name: 'kube-router',
    daemonSets: [{name: 'kube-router'}],
    verified: false,
    source: 'https://github.com/cloudnativelabs/kube-router/tree/master/daemonset',
  },
  {
    id: 'multus',
    name: 'Multus',
    daemonSets: [{name: 'kube-multus-ds'}, {name: 'multus'}],
    apiGroups: ['k8s.cni.cncf.io'],
    meta: true,
    verified: true,
    source: 'https://github.com/k8snetworkplumbingwg/multus-cni/blob/master/deployments/multus-daemonset.yml',
  },
]

/** Node annotation set by Flannel (bundled in K3s, so there is no DaemonSet to find). */
export const FLANNEL_NODE_ANNOTATION = 'flannel.alpha.coreos.com/backend-type'
/** AKS "Azure CNI powered by Cilium" marks its nodes with this label (https://learn.microsoft.com/en-us/azure/aks/use-labels). */
export const AKS_CILIUM_LABEL = {key: 'kubernetes.azure.com/ebpf-dataplane', value: 'cilium'} as const

/** The cilium-config keys Istio cares about (https://github.com/cilium/cilium/blob/main/install/kubernetes/cilium/templates/cilium-configmap.yaml). */
export const CILIUM_KEYS = {
  cniExclusive: 'cni-exclusive',
  chainingMode: 'cni-chaining-mode',
  customConf: 'custom-cni-conf',
  bpfMasquerade: 'enable-bpf-masquerade',
  kubeProxyReplacement: 'kube-proxy-replacement',
  socketLbHostnsOnly: 'bpf-lb-sock-hostns-only',
  policyEnforcement: 'enable-policy',
  ztunnel: 'enable-ztunnel',
  ipv6: 'enable-ipv6',
} as const

export const CILIUM_CONFIG_NAME = 'cilium-config'

/** aws-node env (https://github.com/aws/amazon-vpc-cni-k8s#cni-configuration-variables): the `aws-node` container and the `aws-vpc-cni-init` init container. */
export const AWS_NODE = {
  namespace: 'kube-system',
  daemonSet: 'aws-node',
  containers: ['aws-node', 'aws-vpc-cni-init'],
  env: {
    podEni: 'ENABLE_POD_ENI',
    enforcingMode: 'POD_SECURITY_GROUP_ENFORCING_MODE',
    tcpEarlyDemux: 'DISABLE_TCP_EARLY_DEMUX',
  },
} as const

/** Calico installed from manifests switches to eBPF with this env on calico-node (https://docs.tigera.io/calico/latest/operations/ebpf/enabling-ebpf). */
export const CALICO_BPF_ENV = 'FELIX_BPFENABLED'

/**
 * Namespaces read one by one when the caller may not list a kind across all namespaces: where CNIs, managed meshes
 * and Istio usually live. The Istio namespace from --istio-namespace is added at run time.
 */
export const PLATFORM_NAMESPACES: readonly string[] = [
  'kube-system',
  'calico-system',
  'kube-flannel',
  'cilium',
  'istio-system',
  'gke-managed-ambient',
  'aks-istio-system',
  'openshift-ovn-kubernetes',
  'openshift-multus',
]

/** Platforms whose own pod networking has no CNI DaemonSet of a kind listed above. */
export const PLATFORM_BUILT_IN_CNI: Readonly<Record<string, string>> = {
  gke: "GKE's built-in pod networking (Dataplane V2 is not enabled)",
  minikube: "minikube's built-in bridge CNI (no DaemonSet)",
  'docker-desktop': "Docker Desktop's built-in networking (no DaemonSet)",
}

/** What `cni-exclusive: "true"` does to istio-cni, by Cilium release (the chart default of cni.exclusive is true). */
export interface CiliumExclusiveBehaviour {
  /** First Cilium release with this behaviour. */
  readonly since: string
  readonly severity: 'fail' | 'warn'
  readonly effect: string
  readonly source: string
}

/** Newest first. A Cilium version that is not visible is judged as the newest row. */
export const CILIUM_CNI_EXCLUSIVE: readonly CiliumExclusiveBehaviour[] = [
  {
    since: '1.14.0',
    severity: 'fail',
    effect:
      'the agent owns the CNI configuration directory: it renames other CNI configurations to *.cilium_bak and rewrites its own 05-cilium.conflist whenever it changes, removing the istio-cni plugin istio-cni inserts into it',
    source:
      'https://github.com/cilium/cilium/pull/24389 ; https://github.com/cilium/cilium/issues/26760 ; https://github.com/cilium/cilium/pull/26773 (false turns the rewrite off)',
  },
  {
    since: '1.10.0',
    severity: 'warn',
    effect:
      'the install script renames other CNI configurations to *.cilium_bak and rewrites 05-cilium.conflist at every agent start, dropping the istio-cni plugin until istio-cni re-inserts it',
    source: 'https://github.com/cilium/cilium/pull/14192',
  },
]

/** The row for a Cilium version (the newest row when the version is not visible); undefined before the oldest row. */
export function ciliumExclusiveBehaviour(version: string | undefined): CiliumExclusiveBehaviour | undefined {
  if (versionParts(version) === undefined) return CILIUM_CNI_EXCLUSIVE[0]
  return CILIUM_CNI_EXCLUSIVE.find((row) => versionBefore(version, row.since) === false)
}

/** Calico releases whose eBPF dataplane is known to break ambient, with the fix. */
export interface CalicoBpfKnownBad {
  /** Broken before this release on its minor line (`3.28.2`), or before `fixedFromMinor` for older lines. */
  readonly fixedIn: Readonly<Record<string, string>>
  readonly fixedFromMinor: string
  readonly problem: string
  readonly source: string
}

export const CALICO_BPF_KNOWN_BAD: readonly CalicoBpfKnownBad[] = [
  {
    fixedIn: {'3.28': '3.28.2'},
    fixedFromMinor: '3.29',
    problem: 'the eBPF dataplane drops the kubelet probes ambient SNATs to 169.254.7.127, so readiness and liveness probes of every ambient pod time out',
    source: 'https://github.com/istio/istio/issues/52765 ; https://github.com/projectcalico/calico/issues/9157',
  },
]

/** The known-bad rows that apply to a Calico version; undefined when the version is not visible. */
export function calicoBpfProblems(version: string | undefined): CalicoBpfKnownBad[] | undefined {
  const parts = versionParts(version)
  if (parts === undefined) return undefined
  const minor = `${parts[0]}.${parts[1]}`
  return CALICO_BPF_KNOWN_BAD.filter((row) => {
    const fix = row.fixedIn[minor]
    if (fix !== undefined) return versionBefore(version, fix) === true
    return versionBefore(`${minor}.0`, `${row.fixedFromMinor}.0`) === true
  })
}
