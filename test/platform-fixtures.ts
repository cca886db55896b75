/**
 * Node objects shaped like the public examples in ../shared/reference/platforms.md §2.1 (label dumps, providerIDs,
 * kubelet version strings), shared by the platform unit tests.
 */
import type {Fact} from '../src/model/finding.js'
import {known, unavailable} from '../src/model/finding.js'
import type {CiliumPolicies, DryRunResult, PlatformInputs} from '../src/gather/platform.js'
import type {ResolvedEnv} from '../src/gather/platform-env.js'
import {resolveWorkloadEnv} from '../src/gather/platform-env.js'
import {findInstalledIstio} from '../src/gather/platform-istio.js'
import type {Inventory} from '../src/gather/platform-list.js'
import type {CalicoSettings, ObjectRef, OpenShiftNetwork} from '../src/gather/platform-objects.js'
import {
  summarizeCiliumPolicy,
  summarizeConfigMap,
  summarizeNamespace,
  summarizeNetworkPolicy,
  summarizeQuota,
  summarizeRuntimeClass,
  summarizeWorkload,
} from '../src/gather/platform-objects.js'
import type {HelmValues} from '../src/knowledge/istio-platform.js'
import type {PlatformNode} from '../src/gather/platform-objects.js'
import {summarizeNode} from '../src/gather/platform-objects.js'

export interface NodeShape {
  name: string
  labels?: Record<string, string>
  annotations?: Record<string, string>
  providerID?: string
  kubeletVersion?: string
  osImage?: string
  kernelVersion?: string
  containerRuntimeVersion?: string
  podCIDRs?: string[]
}

/** A Node as `kubectl get node -o json` returns it. */
export function nodeObject(s: NodeShape): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {name: s.name, labels: {'kubernetes.io/hostname': s.name, 'kubernetes.io/os': 'linux', ...s.labels}, annotations: s.annotations ?? {}},
    spec: {providerID: s.providerID, podCIDR: s.podCIDRs?.[0], podCIDRs: s.podCIDRs},
    status: {
      addresses: [{type: 'InternalIP', address: '10.0.0.10'}],
      nodeInfo: {
        kubeletVersion: s.kubeletVersion ?? 'v1.31.4',
        osImage: s.osImage ?? 'Ubuntu 22.04.4 LTS',
        kernelVersion: s.kernelVersion ?? '6.5.0-1025-gcp',
        containerRuntimeVersion: s.containerRuntimeVersion ?? 'containerd://1.7.18',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    },
  }
}

export const summarized = (...shapes: NodeShape[]): PlatformNode[] => shapes.map((s) => summarizeNode(nodeObject(s)))

const KUBEADM = {'kubeadm.alpha.kubernetes.io/cri-socket': 'unix:///run/containerd/containerd.sock'}

export const NODES = {
  gke: {
    name: 'gke-prod-default-pool-3f4b1c2d-x7k9',
    labels: {
      'cloud.google.com/gke-nodepool': 'default-pool',
      'cloud.google.com/gke-os-distribution': 'cos',
      'cloud.google.com/machine-family': 'e2',
      'cloud.google.com/gke-boot-disk': 'pd-balanced',
      'topology.gke.io/zone': 'us-central1-a',
    },
    providerID: 'gce://my-project/us-central1-a/gke-prod-default-pool-3f4b1c2d-x7k9',
    kubeletVersion: 'v1.29.6-gke.1038001',
    osImage: 'Container-Optimized OS from Google',
  },
  eksEc2: {
    name: 'ip-192-168-12-34.us-west-2.compute.internal',
    labels: {'eks.amazonaws.com/nodegroup': 'ng-1', 'eks.amazonaws.com/nodegroup-image': 'ami-0abc', 'eks.amazonaws.com/capacityType': 'ON_DEMAND'},
    providerID: 'aws:///us-west-2a/i-0123456789abcdef0',
    kubeletVersion: 'v1.30.2-eks-db838b0',
    osImage: 'Amazon Linux 2',
  },
  eksAuto: {
    name: 'i-0fedcba9876543210',
    labels: {'eks.amazonaws.com/compute-type': 'auto'},
    providerID: 'aws:///us-west-2b/i-0fedcba9876543210',
    kubeletVersion: 'v1.31.0-eks-a737599',
    osImage: 'Bottlerocket (EKS Auto) 2024.11.7',
  },
  aks: {
    name: 'aks-nodepool1-12345678-vmss000000',
    labels: {
      'kubernetes.azure.com/cluster': 'MC_rg_prod_eastus',
      'kubernetes.azure.com/agentpool': 'nodepool1',
      'kubernetes.azure.com/role': 'agent',
      'kubernetes.azure.com/mode': 'system',
      'kubernetes.azure.com/os-sku': 'Ubuntu',
    },
    providerID:
      'azure:///subscriptions/0000/resourceGroups/mc_rg_prod_eastus/providers/Microsoft.Compute/virtualMachineScaleSets/aks-nodepool1-12345678-vmss/virtualMachines/0',
    kubeletVersion: 'v1.29.4',
  },
  openshiftOnAws: {
    name: 'ip-10-0-139-1.ec2.internal',
    labels: {'node.openshift.io/os_id': 'rhcos', 'node-role.kubernetes.io/worker': ''},
    annotations: {'machineconfiguration.openshift.io/state': 'Done'},
    providerID: 'aws:///us-east-1a/i-0aa11bb22cc33dd44',
    kubeletVersion: 'v1.28.9+416ecaf',
    osImage: 'Red Hat Enterprise Linux CoreOS 415.92.202405070140-0 (Plow)',
  },
  k3s: {
    name: 'k3s-server-1',
    labels: {'node.kubernetes.io/instance-type': 'k3s', 'node-role.kubernetes.io/master': 'true'},
    annotations: {
      'k3s.io/hostname': 'k3s-server-1',
      'k3s.io/internal-ip': '10.0.0.5',
      'k3s.io/node-args': '["server","--disable","traefik"]',
      'flannel.alpha.coreos.com/backend-type': 'vxlan',
    },
    providerID: 'k3s://k3s-server-1',
    kubeletVersion: 'v1.30.5+k3s1',
    containerRuntimeVersion: 'containerd://1.7.21-k3s2',
  },
  k3sCustomCni: {
    name: 'k3s-cilium-1',
    labels: {'node.kubernetes.io/instance-type': 'k3s'},
    annotations: {'k3s.io/hostname': 'k3s-cilium-1', 'k3s.io/node-args': '["server","--flannel-backend","none","--disable-network-policy"]'},
    providerID: 'k3s://k3s-cilium-1',
    kubeletVersion: 'v1.30.5+k3s1',
    containerRuntimeVersion: 'containerd://1.7.21-k3s2',
  },
  k3d: {
    name: 'k3d-dev-server-0',
    labels: {'node.kubernetes.io/instance-type': 'k3s'},
    annotations: {'k3s.io/hostname': 'k3d-dev-server-0', 'flannel.alpha.coreos.com/backend-type': 'vxlan'},
    providerID: 'k3s://k3d-dev-server-0',
    kubeletVersion: 'v1.30.4+k3s1',
    containerRuntimeVersion: 'containerd://1.7.20-k3s1',
  },
  rke2: {
    name: 'ip-10-0-0-1',
    annotations: {'rke2.io/node-args': '["server"]', 'rke2.io/node-config-hash': 'ABC', 'etcd.rke2.cattle.io/node-name': 'ip-10-0-0-1-1a2b'},
    providerID: 'rke2://ip-10-0-0-1',
    kubeletVersion: 'v1.23.13+rke2r1',
  },
  microk8s: {
    name: 'microk8s-vm',
    labels: {'microk8s.io/cluster': 'true', 'node.kubernetes.io/microk8s-controlplane': 'microk8s-controlplane'},
    kubeletVersion: 'v1.31.2',
  },
  minikube: {
    name: 'minikube',
    labels: {
      'minikube.k8s.io/name': 'minikube',
      'minikube.k8s.io/version': 'v1.34.0',
      'minikube.k8s.io/primary': 'true',
      'minikube.k8s.io/commit': '210b148df93a80eb872ecbeb7e35281b3c582c61',
    },
    annotations: KUBEADM,
    kubeletVersion: 'v1.31.0',
    containerRuntimeVersion: 'docker://27.2.0',
  },
  minikubeContainerd: {
    name: 'minikube',
    labels: {'minikube.k8s.io/name': 'minikube', 'minikube.k8s.io/primary': 'true'},
    annotations: KUBEADM,
    containerRuntimeVersion: 'containerd://1.7.22',
  },
  kind: {name: 'kind-control-plane', annotations: KUBEADM, providerID: 'kind://docker/kind/kind-control-plane', kubeletVersion: 'v1.31.0'},
  dockerDesktop: {
    name: 'docker-desktop',
    annotations: KUBEADM,
    kubeletVersion: 'v1.30.2',
    containerRuntimeVersion: 'docker://26.1.4',
    osImage: 'Docker Desktop',
  },
  talos: {name: 'talos-cp-1', osImage: 'Talos (v1.8.0)', kernelVersion: '6.6.43-talos', kubeletVersion: 'v1.31.1'},
  kubeadmOnGce: {name: 'cp-1', annotations: KUBEADM, providerID: 'gce://my-project/europe-west1-b/cp-1'},
  bareGce: {name: 'vm-1', providerID: 'gce://my-project/europe-west1-b/vm-1'},
  plain: {name: 'node-1'},
} satisfies Record<string, NodeShape>

type Raw = Record<string, unknown>

/** What a test cluster holds, as raw API objects; the builder summarizes them the way gatherPlatform does. */
export interface ClusterShape {
  istioNamespace?: string
  serverVersion?: string
  apiGroups?: string[]
  nodes?: NodeShape[]
  namespaces?: Array<string | {name: string; labels: Record<string, string>}>
  daemonSets?: Raw[]
  deployments?: Raw[]
  webhooks?: string[]
  quotas?: Raw[]
  configMaps?: Raw[]
  networkPolicies?: Raw[]
  sgps?: ObjectRef[] | null
  ciliumPolicies?: {clusterwide: Raw[]; namespaced: Raw[]} | null
  calico?: CalicoSettings | null
  openshiftNetwork?: OpenShiftNetwork | null
  runtimeClasses?: Raw[]
  /** ConfigMap/Secret data that env valueFrom/envFrom refer to, by `configMap/<name>` or `secret/<name>`; a string = unreadable. */
  envObjects?: Record<string, Record<string, string> | string>
  dryRun?: DryRunResult | string
  /** Facts that could not be read at all, with the reason. */
  unavailable?: Partial<Record<keyof PlatformInputs, string>>
  /** Inventories read namespace by namespace because the all-namespaces list was refused: namespace → reason. */
  denied?: Record<string, string>
}

const inventory = <T>(items: T[], shape: ClusterShape, namespaceOf: (t: T) => string | undefined): Inventory<T> => {
  const denied = shape.denied ?? {}
  if (Object.keys(denied).length === 0) return {items, searched: [], unreadable: []}
  const namespaces = [...new Set(['kube-system', 'istio-system', ...Object.keys(denied)])]
  return {
    items: items.filter((i) => !((namespaceOf(i) ?? '') in denied)),
    clusterWideDenied: 'forbidden: you may not list them (cluster-wide)',
    searched: namespaces,
    unreadable: Object.entries(denied).map(([namespace, reason]) => ({namespace, reason})),
  }
}

export function dsObject(
  namespace: string,
  name: string,
  options: {image?: string; containers?: Raw[]; initContainers?: Raw[]; podLabels?: Record<string, string>; labels?: Record<string, string>} = {},
): Raw {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: {namespace, name, labels: options.labels ?? {}},
    spec: {
      template: {
        metadata: {labels: options.podLabels ?? {}},
        spec: {containers: options.containers ?? [{name, image: options.image ?? `example/${name}:v1.0.0`}], initContainers: options.initContainers ?? []},
      },
    },
  }
}

export function inputsFrom(shape: ClusterShape): PlatformInputs {
  const or = <T>(key: keyof PlatformInputs, value: T): Fact<T> => (shape.unavailable?.[key] !== undefined ? unavailable(shape.unavailable[key]!) : known(value))
  const daemonSets = inventory((shape.daemonSets ?? []).map(summarizeWorkload('DaemonSet')), shape, (d) => d.namespace)
  const deployments = inventory((shape.deployments ?? []).map(summarizeWorkload('Deployment')), shape, (d) => d.namespace)
  const objects = new Map<string, Fact<Record<string, string>>>(
    Object.entries(shape.envObjects ?? {}).map(([k, v]) => [k, typeof v === 'string' ? unavailable(v) : known(v)]),
  )
  const env: Record<string, ResolvedEnv> = {}
  for (const ds of daemonSets.items) {
    if (ds.name === 'aws-node') env[`${ds.namespace}/${ds.name}`] = resolveWorkloadEnv(ds, ['aws-node', 'aws-vpc-cni-init'], objects)
    if (ds.name === 'calico-node') env[`${ds.namespace}/${ds.name}`] = resolveWorkloadEnv(ds, ['calico-node'], objects)
  }
  const namespaces = (shape.namespaces ?? ['default', 'kube-system']).map((n) => summarizeNamespace({metadata: typeof n === 'string' ? {name: n} : n}))
  const cilium: CiliumPolicies | null | undefined = shape.ciliumPolicies && {
    clusterwide: shape.ciliumPolicies.clusterwide.map(summarizeCiliumPolicy('CiliumClusterwideNetworkPolicy')),
    namespaced: inventory(shape.ciliumPolicies.namespaced.map(summarizeCiliumPolicy('CiliumNetworkPolicy')), shape, (p) => p.namespace),
  }
  const daemonSetsFact = or('daemonSets', daemonSets)
  return {
    istioNamespace: shape.istioNamespace ?? 'istio-system',
    serverVersion: or('serverVersion', shape.serverVersion ?? 'v1.31.4'),
    apiGroups: or('apiGroups', Object.fromEntries((shape.apiGroups ?? []).map((g) => [g, ['v1']]))),
    nodes: or('nodes', summarized(...(shape.nodes ?? []))),
    namespaces: or('namespaces', namespaces),
    daemonSets: daemonSetsFact,
    installedIstio: or(
      'installedIstio',
      findInstalledIstio(
        [...deployments.items, ...daemonSets.items],
        daemonSets.unreadable.map((u) => u.reason),
      ),
    ),
    webhooks: or('webhooks', shape.webhooks ?? []),
    resourceQuotas: or(
      'resourceQuotas',
      inventory((shape.quotas ?? []).map(summarizeQuota), shape, (q) => q.namespace),
    ),
    ciliumConfigs: or(
      'ciliumConfigs',
      inventory((shape.configMaps ?? []).map(summarizeConfigMap), shape, (c) => c.namespace),
    ),
    networkPolicies: or(
      'networkPolicies',
      inventory((shape.networkPolicies ?? []).map(summarizeNetworkPolicy), shape, (p) => p.namespace),
    ),
    ciliumPolicies: or('ciliumPolicies', cilium ?? null),
    securityGroupPolicies: or(
      'securityGroupPolicies',
      shape.sgps === undefined || shape.sgps === null ? null : inventory(shape.sgps, shape, (s) => s.namespace),
    ),
    calico: or('calico', shape.calico ?? null),
    openshiftNetwork: or('openshiftNetwork', shape.openshiftNetwork ?? null),
    runtimeClasses: or('runtimeClasses', (shape.runtimeClasses ?? []).map(summarizeRuntimeClass)),
    workloadEnv: daemonSetsFact.state === 'known' ? known(env) : daemonSetsFact,
    priorityDryRun: typeof shape.dryRun === 'string' ? unavailable(shape.dryRun) : known(shape.dryRun ?? {outcome: 'namespace-missing'}),
  }
}

/**
 * The reference's platform profiles, copied by hand from ../shared/reference/platforms.md §1.2 (istio/istio
 * manifests/helm-profiles at 86c9f01) and the chart defaults (istio-cni values.yaml), independent of src/knowledge.
 */
export const REFERENCE_PROFILES: Record<string, HelmValues> = {
  gke: {cni: {cniBinDir: '', resourceQuotas: {enabled: true}}, resourceQuotas: {enabled: true}},
  k3d: {cni: {cniConfDir: '/var/lib/rancher/k3s/agent/etc/cni/net.d', cniBinDir: '/bin'}},
  k3s: {cni: {cniConfDir: '/var/lib/rancher/k3s/agent/etc/cni/net.d', cniBinDir: '/var/lib/rancher/k3s/data/cni'}},
  microk8s: {cni: {cniConfDir: '/var/snap/microk8s/current/args/cni-network', cniBinDir: '/var/snap/microk8s/current/opt/cni/bin'}},
  minikube: {cni: {cniNetnsDir: '/var/run/docker/netns'}},
  openshift: {
    cni: {cniBinDir: '/var/lib/cni/bin', cniConfDir: '/etc/cni/multus/net.d', chained: false, cniConfFileName: 'istio-cni.conf', provider: 'multus'},
    pilot: {cni: {enabled: true, provider: 'multus'}, terminationMessagePolicy: 'FallbackToLogsOnError'},
    seLinuxOptions: {type: 'spc_t'},
    trustedZtunnelNamespace: 'kube-system',
  },
}
export const CHART_DEFAULTS = {cniBinDir: '/opt/cni/bin', cniConfDir: '/etc/cni/net.d', cniNetnsDir: '/var/run/netns'}

type Json = Record<string, unknown>
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)
function deepMerge(a: Json, b: Json): Json {
  const out: Json = {...a}
  for (const [k, v] of Object.entries(b)) out[k] = isObject(out[k]) && isObject(v) ? deepMerge(out[k] as Json, v) : v
  return out
}

/** What the istio-cni chart ends up with: defaults < profile of global.platform (from the reference) < explicit values. */
export function effectiveCni(values: Json): Record<string, unknown> {
  const platform = (values.global as Json | undefined)?.platform
  if (platform !== undefined && !(String(platform) in REFERENCE_PROFILES)) throw new Error(`unknown platform ${String(platform)}`) // what Helm says
  const profile = platform === undefined ? {} : REFERENCE_PROFILES[String(platform)]!
  const merged = deepMerge(deepMerge({cni: CHART_DEFAULTS}, profile), values)
  return merged.cni as Record<string, unknown>
}

/** `--set a=b --set c=d` → {a: 'b', c: 'd'}; anything else is a parse error. */
export function parseIstioctl(line: string): Record<string, string> {
  const words = line.trim().split(/\s+/)
  const out: Record<string, string> = {}
  for (let i = 0; i < words.length; i += 2) {
    if (words[i] !== '--set' || words[i + 1] === undefined) throw new Error(`not an istioctl --set list: ${line}`)
    const [key, ...rest] = words[i + 1]!.split('=')
    out[key!] = rest.join('=')
  }
  return out
}
