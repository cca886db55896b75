/**
 * How each CNI shows itself through the API, and which of its settings matter for Istio.
 * Source: ../shared/reference/platforms.md §2.4 (signals), §3.1 (aws-node env), §4.1 (cilium-config keys).
 * Rows are in precedence order for picking the primary CNI; `meta` rows (Multus) sit next to a primary.
 */

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
  /** False when the reference marks the DaemonSet name UNVERIFIED. */
  readonly verified: boolean
  readonly source: string
}

export const CNI_CATALOGUE: readonly CniEntry[] = [
  {id: 'cilium', name: 'Cilium', daemonSets: [{name: 'cilium'}, {name: 'anetd', namespace: 'kube-system'}], verified: true, source: 'cilium chart cilium-configmap.yaml; GKE anetd (platforms.md §2.4)'},
  {id: 'calico', name: 'Calico', daemonSets: [{name: 'calico-node'}], apiGroups: ['operator.tigera.io'], verified: true, source: 'tigera/operator tests (platforms.md §2.4)'},
  {id: 'aws-vpc-cni', name: 'Amazon VPC CNI', daemonSets: [{name: 'aws-node', namespace: 'kube-system'}], verified: true, source: 'aws/amazon-vpc-cni-k8s config/master/aws-k8s-cni.yaml'},
  {id: 'azure-cni', name: 'Azure CNI', daemonSets: [{name: 'azure-cns', namespace: 'kube-system'}], verified: true, source: 'public code search (platforms.md §2.4)'},
  {id: 'ovn-kubernetes', name: 'OVN-Kubernetes', daemonSets: [{name: 'ovnkube-node', namespace: 'openshift-ovn-kubernetes'}], verified: false, source: 'config.openshift.io Network cluster .status.networkType (openshift/api PR #1033)'},
  {id: 'canal', name: 'Canal (Calico + Flannel)', daemonSets: [{name: 'rke2-canal', namespace: 'kube-system'}, {name: 'canal'}], verified: false, source: 'RKE2 default CNI (platforms.md §2.1, UNVERIFIED name)'},
  {id: 'kindnet', name: 'kindnet', daemonSets: [{name: 'kindnet', namespace: 'kube-system'}], verified: true, source: 'kind pkg/build/nodeimage/const_cni.go'},
  {id: 'flannel', name: 'Flannel', daemonSets: [{name: 'kube-flannel-ds'}, {name: 'kube-flannel'}], verified: false, source: 'node annotations flannel.alpha.coreos.com/* (rancher/rke2#2589)'},
  {id: 'weave', name: 'Weave Net', daemonSets: [{name: 'weave-net'}], verified: false, source: 'platforms.md §2.4 (UNVERIFIED name)'},
  {id: 'antrea', name: 'Antrea', daemonSets: [{name: 'antrea-agent'}], verified: false, source: 'platforms.md §2.4 (UNVERIFIED name)'},
  {id: 'kube-ovn', name: 'Kube-OVN', daemonSets: [{name: 'kube-ovn-cni'}], verified: false, source: 'kubeovn/kube-ovn#5082'},
  {id: 'kube-router', name: 'kube-router', daemonSets: [{name: 'kube-router'}], verified: false, source: 'platforms.md §2.4 (UNVERIFIED name)'},
  {id: 'multus', name: 'Multus', daemonSets: [{name: 'kube-multus-ds'}, {name: 'multus'}], apiGroups: ['k8s.cni.cncf.io'], meta: true, verified: true, source: 'CRD network-attachment-definitions.k8s.cni.cncf.io (platforms.md §2.4)'},
]

/** Node annotation set by Flannel (bundled in K3s, so there is no DaemonSet to find). */
export const FLANNEL_NODE_ANNOTATION = 'flannel.alpha.coreos.com/backend-type'
/** AKS "Azure CNI powered by Cilium" marks its nodes with this label (karpenter-provider-azure labels.go). */
export const AKS_CILIUM_LABEL = {key: 'kubernetes.azure.com/ebpf-dataplane', value: 'cilium'} as const

/** The cilium-config keys Istio cares about (§4.1), with the meaning of an absent key. */
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

/** aws-node env (§3.1): read from the `aws-node` container and the `aws-vpc-cni-init` init container. */
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

/** Calico installed from manifests switches to eBPF with this env on calico-node (§2.4). */
export const CALICO_BPF_ENV = 'FELIX_BPFENABLED'

/**
 * Namespaces read one by one when the caller may not list a kind across all namespaces: where CNIs, managed meshes
 * and Istio usually live (§2.4, §2.1). The Istio namespace from --istio-namespace is added at run time.
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

/** Platforms whose own pod networking has no CNI DaemonSet of a kind listed above (platforms.md §5.3: modern GKE always uses CNI; §6.1). */
export const PLATFORM_BUILT_IN_CNI: Readonly<Record<string, string>> = {
  gke: "GKE's built-in pod networking (Dataplane V2 is not enabled)",
  minikube: "minikube's built-in bridge CNI (no DaemonSet)",
  'docker-desktop': "Docker Desktop's built-in networking (no DaemonSet)",
}
