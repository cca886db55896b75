/**
 * The platform signal catalogue: how each Kubernetes distribution shows itself through the API.
 * Each entry names the primary source of its signals (the platform's own code or docs, or the detectors of other
 * projects that read the same API fields). Precedence: the most specific signal first; every node is looked at.
 * Rows are in precedence order: the first platform with a strong signal wins, so OpenShift on AWS is OpenShift and
 * kind (which is kubeadm-based) is kind, and a bare cloud providerID is only the last resort.
 */

export type SignalMatcher =
  | {readonly on: 'serverVersion'; readonly pattern: RegExp; readonly says: string}
  | {readonly on: 'kubeletVersion'; readonly pattern: RegExp; readonly says: string}
  | {readonly on: 'label'; readonly key: string; readonly value?: string}
  | {readonly on: 'annotation'; readonly key: string; readonly prefix?: boolean}
  | {readonly on: 'providerID'; readonly prefix: string}
  | {readonly on: 'osImage'; readonly prefix: string}
  | {readonly on: 'kernelVersion'; readonly pattern: RegExp; readonly says: string}
  | {readonly on: 'nodeName'; readonly pattern: RegExp; readonly says: string}
  | {readonly on: 'containerRuntime'; readonly pattern: RegExp; readonly says: string}
  | {readonly on: 'apiGroup'; readonly group: string}
  | {readonly on: 'daemonSet'; readonly namespace: string; readonly name: string}
  | {readonly on: 'namespace'; readonly name: string}
  | {readonly on: 'webhook'; readonly name: string}
  | {readonly on: 'resourceQuota'; readonly namespace: string; readonly name: string}

/** Matchers answered by one node at a time (the rest are answered once for the cluster). */
export const NODE_MATCHERS: ReadonlySet<SignalMatcher['on']> = new Set([
  'kubeletVersion',
  'label',
  'annotation',
  'providerID',
  'osImage',
  'kernelVersion',
  'nodeName',
  'containerRuntime',
])

export type SignalStrength = 'strong' | 'supporting'

export interface PlatformSignal {
  readonly match: SignalMatcher
  readonly strength: SignalStrength
}

export type PlatformId =
  | 'openshift'
  | 'eks-anywhere'
  | 'gke'
  | 'eks'
  | 'aks'
  | 'rke2'
  | 'k3d'
  | 'k3s'
  | 'k0s'
  | 'microk8s'
  | 'minikube'
  | 'kind'
  | 'docker-desktop'
  | 'talos'
  | 'kubeadm'
  | 'gce'
  | 'aws'
  | 'azure'
  | 'unknown'

export interface PlatformEntry {
  readonly id: Exclude<PlatformId, 'unknown'>
  readonly name: string
  readonly signals: readonly PlatformSignal[]
  /** A bare cloud providerID never gives more than low confidence. */
  readonly fallback?: boolean
  readonly source: string
}

const strong = (match: SignalMatcher): PlatformSignal => ({match, strength: 'strong'})
const supporting = (match: SignalMatcher): PlatformSignal => ({match, strength: 'supporting'})
const label = (key: string, value?: string): SignalMatcher => ({on: 'label', key, value})

/** In precedence order: the most specific platform first, the bare cloud providerID last. */
export const PLATFORM_CATALOGUE: readonly PlatformEntry[] = [
  {
    id: 'openshift',
    name: 'OpenShift',
    signals: [
      strong({on: 'apiGroup', group: 'route.openshift.io'}),
      strong({on: 'apiGroup', group: 'config.openshift.io'}),
      strong({on: 'apiGroup', group: 'security.openshift.io'}),
      strong(label('node.openshift.io/os_id')),
      supporting({on: 'osImage', prefix: 'Red Hat Enterprise Linux CoreOS'}),
      supporting({on: 'kubeletVersion', pattern: /^v\d+\.\d+\.\d+\+[0-9a-f]{7}$/, says: 'ends in +<git hash>'}),
      supporting({on: 'annotation', key: 'machineconfiguration.openshift.io/', prefix: true}),
    ],
    source:
      'https://docs.openshift.com/container-platform/latest/rest_api/config_apis/clusterversion-config-openshift-io-v1.html ; https://github.com/RHsyseng/operator-utils/blob/master/pkg/platform/platform_versioner.go',
  },
  {
    id: 'eks-anywhere',
    name: 'EKS Anywhere',
    signals: [strong({on: 'namespace', name: 'eksa-system'})],
    source: 'https://anywhere.eks.amazonaws.com/docs/ (namespace eksa-system); https://github.com/zarf-dev/zarf/blob/main/src/pkg/cluster/distro.go',
  },
  {
    id: 'gke',
    name: 'GKE',
    signals: [
      strong({on: 'serverVersion', pattern: /-gke\./, says: 'contains -gke.'}),
      strong({on: 'kubeletVersion', pattern: /-gke\./, says: 'contains -gke.'}),
      strong(label('cloud.google.com/gke-nodepool')),
      supporting({on: 'providerID', prefix: 'gce://'}),
      supporting(label('cloud.google.com/gke-os-distribution')),
      supporting(label('cloud.google.com/machine-family')),
      supporting(label('cloud.google.com/gke-boot-disk')),
      supporting(label('cloud.google.com/gke-container-runtime')),
      supporting(label('topology.gke.io/zone')),
      supporting({on: 'osImage', prefix: 'Container-Optimized OS from Google'}),
      supporting({on: 'resourceQuota', namespace: 'kube-system', name: 'gcp-critical-pods'}),
    ],
    source:
      'https://github.com/istio/istio/blob/master/operator/pkg/render/manifest.go (-gke); https://cloud.google.com/kubernetes-engine/docs/how-to/creating-managing-labels',
  },
  {
    id: 'eks',
    name: 'EKS',
    signals: [
      strong({on: 'serverVersion', pattern: /-eks-/, says: 'contains -eks-'}),
      strong({on: 'kubeletVersion', pattern: /-eks-/, says: 'contains -eks-'}),
      strong({on: 'daemonSet', namespace: 'kube-system', name: 'aws-node'}),
      strong(label('eks.amazonaws.com/compute-type')),
      supporting(label('eks.amazonaws.com/nodegroup')),
      supporting(label('eks.amazonaws.com/nodegroup-image')),
      supporting(label('eks.amazonaws.com/capacityType')),
      supporting(label('k8s.io/cloud-provider-aws')),
      supporting({on: 'providerID', prefix: 'aws:///'}),
    ],
    source: 'https://docs.aws.amazon.com/eks/latest/userguide/associate-workload.html ; https://github.com/aws/amazon-vpc-cni-k8s',
  },
  {
    id: 'aks',
    name: 'AKS',
    signals: [
      strong(label('kubernetes.azure.com/cluster')),
      strong({on: 'providerID', prefix: 'azure:///subscriptions'}),
      supporting(label('kubernetes.azure.com/agentpool')),
      supporting(label('kubernetes.azure.com/mode')),
      supporting(label('kubernetes.azure.com/role', 'agent')),
      supporting(label('kubernetes.azure.com/managedby', 'aks')),
      supporting(label('kubernetes.azure.com/os-sku')),
      supporting(label('kubernetes.azure.com/node-image-version')),
      supporting({on: 'daemonSet', namespace: 'kube-system', name: 'azure-cns'}),
    ],
    source: 'https://learn.microsoft.com/en-us/azure/aks/use-labels',
  },
  {
    id: 'rke2',
    name: 'RKE2',
    signals: [
      strong({on: 'kubeletVersion', pattern: /\+rke2r\d+/, says: 'contains +rke2r'}),
      strong({on: 'providerID', prefix: 'rke2://'}),
      supporting({on: 'annotation', key: 'rke2.io/node-args'}),
      supporting({on: 'annotation', key: 'rke2.io/node-config-hash'}),
      supporting({on: 'annotation', key: 'etcd.rke2.cattle.io/', prefix: true}),
      supporting({on: 'daemonSet', namespace: 'kube-system', name: 'rke2-canal'}),
    ],
    source: 'https://github.com/rancher/rke2/issues/3439 ; https://github.com/rancher/rke2/issues/2589',
  },
  {
    id: 'k3d',
    name: 'k3d',
    signals: [
      strong({on: 'providerID', prefix: 'k3s://k3d-'}),
      supporting({on: 'nodeName', pattern: /^k3d-.+-(server|agent)-\d+$/, says: 'is k3d-<cluster>-server|agent-<n>'}),
    ],
    source: 'https://k3d.io/stable/ (node names k3d-<cluster>-server-N); https://github.com/k3s-io/k3s/blob/master/pkg/cloudprovider/instances.go',
  },
  {
    id: 'k3s',
    name: 'K3s',
    signals: [
      strong({on: 'kubeletVersion', pattern: /\+k3s\d+/, says: 'contains +k3s'}),
      strong(label('node.kubernetes.io/instance-type', 'k3s')),
      strong({on: 'providerID', prefix: 'k3s://'}),
      supporting({on: 'annotation', key: 'k3s.io/hostname'}),
      supporting({on: 'annotation', key: 'k3s.io/internal-ip'}),
      supporting({on: 'annotation', key: 'k3s.io/node-args'}),
      supporting({on: 'containerRuntime', pattern: /k3s/, says: 'contains k3s'}),
    ],
    source: 'https://github.com/k3s-io/k3s/blob/master/pkg/cloudprovider/instances.go',
  },
  {
    id: 'k0s',
    name: 'k0s',
    signals: [strong({on: 'kubeletVersion', pattern: /\+k0s/, says: 'contains +k0s'})],
    source: 'https://docs.k0sproject.io/stable/ (kubelet version +k0s)',
  },
  {
    id: 'microk8s',
    name: 'MicroK8s',
    signals: [
      strong(label('microk8s.io/cluster', 'true')),
      supporting(label('node.kubernetes.io/microk8s-controlplane')),
      supporting(label('node.kubernetes.io/microk8s-worker')),
    ],
    source: 'https://github.com/canonical/microk8s',
  },
  {
    id: 'minikube',
    name: 'minikube',
    signals: [
      strong(label('minikube.k8s.io/name')),
      strong(label('minikube.k8s.io/version')),
      strong(label('minikube.k8s.io/primary')),
      strong(label('minikube.k8s.io/commit')),
      strong(label('minikube.k8s.io/updated_at')),
      supporting({on: 'nodeName', pattern: /^minikube(-m\d+)?$/, says: 'is minikube or minikube-m<n>'}),
    ],
    source: 'https://github.com/kubernetes/minikube (labels minikube.k8s.io/*)',
  },
  {
    id: 'kind',
    name: 'kind',
    signals: [
      strong({on: 'providerID', prefix: 'kind://'}),
      supporting({on: 'daemonSet', namespace: 'kube-system', name: 'kindnet'}),
      supporting({on: 'nodeName', pattern: /-(control-plane\d*|worker\d*)$/, says: 'ends in -control-plane or -worker<n>'}),
    ],
    source: 'https://github.com/kubernetes-sigs/kind/blob/main/pkg/cluster/internal/kubeadm/config.go (provider-id kind://…)',
  },
  {
    id: 'docker-desktop',
    name: 'Docker Desktop',
    signals: [
      strong({on: 'nodeName', pattern: /^docker-desktop$/, says: 'is docker-desktop'}),
      supporting({on: 'containerRuntime', pattern: /^docker:\/\//, says: 'is docker://…'}),
    ],
    source: 'https://docs.docker.com/desktop/features/kubernetes/ (node docker-desktop)',
  },
  {
    id: 'talos',
    name: 'Talos Linux',
    signals: [strong({on: 'osImage', prefix: 'Talos ('}), supporting({on: 'kernelVersion', pattern: /-talos$/, says: 'ends in -talos'})],
    source: 'https://www.talos.dev/ (osImage Talos (vX)); https://github.com/siderolabs/talos/pull/5267',
  },
  {
    id: 'kubeadm',
    name: 'kubeadm',
    signals: [strong({on: 'annotation', key: 'kubeadm.alpha.kubernetes.io/cri-socket'})],
    source: 'https://kubernetes.io/docs/reference/labels-annotations-taints/#kubeadm-alpha-kubernetes-io-cri-socket',
  },
  {
    id: 'gce',
    name: 'Kubernetes on Google Compute Engine',
    fallback: true,
    signals: [strong({on: 'providerID', prefix: 'gce://'})],
    source: 'https://kubernetes.io/docs/reference/kubernetes-api/cluster-resources/node-v1/ (spec.providerID)',
  },
  {
    id: 'aws',
    name: 'Kubernetes on AWS EC2',
    fallback: true,
    signals: [strong({on: 'providerID', prefix: 'aws:///'})],
    source: 'https://kubernetes.io/docs/reference/kubernetes-api/cluster-resources/node-v1/ (spec.providerID)',
  },
  {
    id: 'azure',
    name: 'Kubernetes on Azure',
    fallback: true,
    signals: [strong({on: 'providerID', prefix: 'azure:///'})],
    source: 'https://kubernetes.io/docs/reference/kubernetes-api/cluster-resources/node-v1/ (spec.providerID)',
  },
]

export type PlatformFeatureId = 'gke-autopilot' | 'gke-dataplane-v2' | 'gke-managed-ambient' | 'eks-auto-mode' | 'aks-istio-addon'

export interface PlatformFeature {
  readonly id: PlatformFeatureId
  readonly platform: PlatformId
  readonly name: string
  readonly signals: readonly SignalMatcher[]
  readonly source: string
}

/** Variants and managed add-ons that change the rules. */
export const PLATFORM_FEATURES: readonly PlatformFeature[] = [
  {
    id: 'gke-autopilot',
    platform: 'gke',
    name: 'Autopilot',
    signals: [
      {on: 'webhook', name: 'sasecret-redacter.config.common-webhooks.networking.gke.io'},
      {on: 'webhook', name: 'workload-defaulter.config.common-webhooks.networking.gke.io'},
    ],
    source: 'https://github.com/googleforgames/agones/blob/main/pkg/cloudproduct/gke/gke.go',
  },
  {
    id: 'gke-dataplane-v2',
    platform: 'gke',
    name: 'Dataplane V2',
    signals: [{on: 'daemonSet', namespace: 'kube-system', name: 'anetd'}],
    source: 'https://cloud.google.com/kubernetes-engine/docs/concepts/dataplane-v2',
  },
  {
    id: 'gke-managed-ambient',
    platform: 'gke',
    name: 'managed ambient (Cloud Service Mesh)',
    signals: [{on: 'namespace', name: 'gke-managed-ambient'}],
    source: 'https://cloud.google.com/kubernetes-engine/docs/how-to/prepare-ambient-networking',
  },
  {
    id: 'eks-auto-mode',
    platform: 'eks',
    name: 'Auto Mode',
    signals: [label('eks.amazonaws.com/compute-type', 'auto')],
    source: 'https://docs.aws.amazon.com/eks/latest/userguide/associate-workload.html',
  },
  {
    id: 'aks-istio-addon',
    platform: 'aks',
    name: 'Istio add-on',
    signals: [{on: 'namespace', name: 'aks-istio-system'}],
    source: 'https://learn.microsoft.com/en-us/azure/aks/istio-deploy-addon',
  },
]

/** Node flavours within a platform: what makes a cluster "mixed" (EKS Fargate/hybrid/Auto Mode next to EC2 nodes). */
export const NODE_FLAVOURS: ReadonlyArray<{
  readonly platform: PlatformId
  readonly labelKey: string
  readonly names: Readonly<Record<string, string>>
  readonly otherwise: string
}> = [{platform: 'eks', labelKey: 'eks.amazonaws.com/compute-type', names: {auto: 'Auto Mode', fargate: 'Fargate', hybrid: 'hybrid'}, otherwise: 'EC2'}]
