import type {Fact} from '../model/finding.js'
import {known, unavailable} from '../model/finding.js'
import {AWS_NODE, CILIUM_CONFIG_NAME, PLATFORM_NAMESPACES} from '../knowledge/cni-signals.js'
import {NODE_CRITICAL_PRIORITY} from '../knowledge/istio-platform.js'
import {gatherApiServer} from './cluster.js'
import {factFromError, gatherFact} from './facts.js'
import type {KubeClient, ListOptions} from './kube/client.js'
import {ApiError, isForbidden} from './kube/errors.js'
import type {Inventory} from './platform-list.js'
import {listAcross, listMapped} from './platform-list.js'
import type {EnvObjects, ResolvedEnv} from './platform-env.js'
import {envObjectKey, envObjectRefs, resolveWorkloadEnv} from './platform-env.js'
import type {InstalledIstio} from './platform-istio.js'
import {ISTIOD_SELECTOR, installedIstioFrom, readIstioSettings} from './platform-istio.js'
import type {
  CalicoSettings,
  CiliumPolicySummary,
  ConfigMapSummary,
  NamespaceSummary,
  NetworkPolicySummary,
  PlatformNode,
  ObjectRef,
  OpenShiftNetwork,
  QuotaSummary,
  RuntimeClassSummary,
  PlatformWorkload,
} from './platform-objects.js'
import {
  nameOf,
  refOf,
  summarizeCalico,
  summarizeCiliumPolicy,
  summarizeConfigMap,
  summarizeNamespace,
  summarizeNetworkPolicy,
  summarizeNode,
  summarizeOpenShiftNetwork,
  summarizeQuota,
  summarizeRuntimeClass,
  summarizeWorkload,
} from './platform-objects.js'

/** Served API groups and their versions, from discovery. */
export type ApiGroups = Readonly<Record<string, readonly string[]>>

export type DryRunResult =
  | {readonly outcome: 'admitted'}
  | {readonly outcome: 'rejected'; readonly by: 'quota' | 'admission'; readonly message: string}
  | {readonly outcome: 'namespace-missing'}

export interface CiliumPolicies {
  readonly clusterwide: readonly CiliumPolicySummary[]
  readonly namespaced: Inventory<CiliumPolicySummary>
}

/** Everything the platform area reads, each as a fact (a 403 is an unavailable fact naming the permission). */
export interface PlatformInputs {
  readonly istioNamespace: string
  readonly serverVersion: Fact<string>
  readonly apiGroups: Fact<ApiGroups>
  readonly nodes: Fact<readonly PlatformNode[]>
  readonly namespaces: Fact<readonly NamespaceSummary[]>
  readonly daemonSets: Fact<Inventory<PlatformWorkload>>
  readonly installedIstio: Fact<InstalledIstio>
  readonly webhooks: Fact<readonly string[]>
  readonly resourceQuotas: Fact<Inventory<QuotaSummary>>
  readonly ciliumConfigs: Fact<Inventory<ConfigMapSummary>>
  readonly networkPolicies: Fact<Inventory<NetworkPolicySummary>>
  /** null: the Cilium policy CRDs are not served. */
  readonly ciliumPolicies: Fact<CiliumPolicies | null>
  /** null: the SecurityGroupPolicy CRD is not served. */
  readonly securityGroupPolicies: Fact<Inventory<ObjectRef> | null>
  readonly calico: Fact<CalicoSettings | null>
  readonly openshiftNetwork: Fact<OpenShiftNetwork | null>
  readonly runtimeClasses: Fact<readonly RuntimeClassSummary[]>
  /** `namespace/name` of aws-node and calico-node → their resolved env. */
  readonly workloadEnv: Fact<Readonly<Record<string, ResolvedEnv>>>
  readonly priorityDryRun: Fact<DryRunResult>
}

export interface PlatformGatherOptions {
  readonly istioNamespace: string
  readonly signal?: AbortSignal
}

async function gatherApiGroups(client: KubeClient): Promise<Fact<ApiGroups>> {
  return gatherFact(async () => {
    const list = await client.read<{groups?: Array<{name?: string; versions?: Array<{version?: string}>}>}>('/apis')
    return Object.fromEntries((list.groups ?? []).map((g) => [g.name ?? '', (g.versions ?? []).map((v) => v.version ?? '')]))
  })
}

export const isServed = (groups: ApiGroups, group: string, version: string): boolean => groups[group]?.includes(version) === true

/** Reads a CRD-backed kind only when discovery says it is served; null when it is not. */
async function whenServed<T>(groups: Fact<ApiGroups>, group: string, version: string, read: () => Promise<Fact<T>>): Promise<Fact<T | null>> {
  if (groups.state === 'unavailable') return unavailable(`could not tell whether ${group}/${version} is served (API discovery: ${groups.reason})`)
  return isServed(groups.value, group, version) ? read() : known(null)
}

/** The namespaces worth reading one by one: the well-known ones that exist (all of them when unknown). */
function existing(namespaces: Fact<readonly NamespaceSummary[]>, wanted: readonly string[]): string[] {
  if (namespaces.state === 'unavailable') return [...wanted]
  const names = new Set(namespaces.value.map((n) => n.name))
  return wanted.filter((n) => names.has(n))
}

const allNamespaces = (namespaces: Fact<readonly NamespaceSummary[]>, otherwise: readonly string[]): string[] =>
  namespaces.state === 'known' ? namespaces.value.map((n) => n.name) : [...otherwise]

/**
 * A server-side dry-run create of a system-node-critical pod in the Istio namespace: admission (the GKE quota gate,
 * Pod Security) runs and nothing is stored. A refusal by RBAC is an unavailable fact; a refusal by admission is the answer.
 */
export async function dryRunNodeCriticalPod(client: KubeClient, namespace: string): Promise<Fact<DryRunResult>> {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {name: 'mesh-ready-priority-check', namespace, labels: {'app.kubernetes.io/managed-by': 'kubectl-mesh-ready'}},
    spec: {priorityClassName: NODE_CRITICAL_PRIORITY, containers: [{name: 'pause', image: 'registry.k8s.io/pause:3.10'}]},
  }
  try {
    await client.create(`/api/v1/namespaces/${namespace}/pods`, pod, {dryRun: 'All'})
    return known({outcome: 'admitted'})
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return known({outcome: 'namespace-missing'})
    if (isForbidden(error) && !/cannot create resource/.test(error.message)) {
      return known({outcome: 'rejected', by: /quota/i.test(error.message) ? 'quota' : 'admission', message: error.message})
    }
    return factFromError(error)
  }
}

/** Reads the ConfigMaps/Secrets that aws-node and calico-node take env from (one GET per referenced object). */
async function gatherWorkloadEnv(client: KubeClient, daemonSets: Fact<Inventory<PlatformWorkload>>): Promise<Fact<Readonly<Record<string, ResolvedEnv>>>> {
  if (daemonSets.state === 'unavailable') return daemonSets
  const wanted = daemonSets.value.items.filter((d) => (d.name === AWS_NODE.daemonSet && d.namespace === AWS_NODE.namespace) || d.name === 'calico-node')
  const out: Record<string, ResolvedEnv> = {}
  for (const ds of wanted) {
    const containers: readonly string[] = ds.name === AWS_NODE.daemonSet ? AWS_NODE.containers : ['calico-node']
    const objects = new Map<string, Fact<Readonly<Record<string, string>>>>()
    await Promise.all(
      envObjectRefs([...ds.containers, ...ds.initContainers].filter((c) => containers.includes(c.name))).map(async (ref) => {
        const path = `/api/v1/namespaces/${ds.namespace}/${ref.kind === 'secret' ? 'secrets' : 'configmaps'}/${ref.name}`
        const fact = await gatherFact(async () => {
          const data = (await client.read<{data?: Record<string, string>}>(path)).data ?? {}
          return ref.kind === 'secret' ? Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')])) : data
        })
        objects.set(envObjectKey(ref), fact)
      }),
    )
    out[`${ds.namespace}/${ds.name}`] = resolveWorkloadEnv(ds, containers, objects as EnvObjects)
  }
  return known(out)
}

async function gatherOpenShiftNetwork(client: KubeClient, groups: Fact<ApiGroups>): Promise<Fact<OpenShiftNetwork | null>> {
  return whenServed(groups, 'config.openshift.io', 'v1', async () => {
    const config = await gatherFact(() => client.read('/apis/config.openshift.io/v1/networks/cluster'))
    const operator =
      groups.state === 'known' && isServed(groups.value, 'operator.openshift.io', 'v1')
        ? await gatherFact(() => client.read('/apis/operator.openshift.io/v1/networks/cluster'))
        : known(undefined)
    if (operator.state === 'unavailable') return operator
    return known(summarizeOpenShiftNetwork(config.state === 'known' ? config.value : undefined, operator.value))
  })
}

async function gatherCalico(client: KubeClient, groups: Fact<ApiGroups>): Promise<Fact<CalicoSettings | null>> {
  const byName = (items: readonly {name: string; raw: unknown}[]) => items.find((i) => i.name === 'default')?.raw
  const named = (raw: unknown) => ({name: nameOf(raw), raw})
  const installation = await whenServed(groups, 'operator.tigera.io', 'v1', () => listMapped(client, '/apis/operator.tigera.io/v1/installations', named))
  const felix = await whenServed(groups, 'crd.projectcalico.org', 'v1', () => listMapped(client, '/apis/crd.projectcalico.org/v1/felixconfigurations', named))
  if (installation.state === 'unavailable') return installation
  if (felix.state === 'unavailable') return felix
  if (installation.value === null && felix.value === null) return known(null)
  return known(summarizeCalico(byName(installation.value ?? []), byName(felix.value ?? [])))
}

/**
 * Gathers everything `kubectl mesh-ready platform` judges, from the Kubernetes API only. Lists are paginated, one per
 * kind (namespace by namespace only when the all-namespaces list is refused).
 */
export async function gatherPlatform(client: KubeClient, options: PlatformGatherOptions): Promise<PlatformInputs> {
  const {signal, istioNamespace} = options
  const [apiServer, apiGroups, nodes, namespaces, webhooks, runtimeClasses, priorityDryRun] = await Promise.all([
    gatherApiServer(client),
    gatherApiGroups(client),
    listMapped(client, '/api/v1/nodes', summarizeNode, {signal}),
    listMapped(client, '/api/v1/namespaces', summarizeNamespace, {signal}),
    listMapped(client, '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations', nameOf, {signal}),
    listMapped(client, '/apis/node.k8s.io/v1/runtimeclasses', summarizeRuntimeClass, {signal}),
    dryRunNodeCriticalPod(client, istioNamespace),
  ])
  const wellKnown = existing(namespaces, [...PLATFORM_NAMESPACES, istioNamespace])
  const everywhere = allNamespaces(namespaces, wellKnown)
  const across = <T>(prefix: string, resource: string, map: (raw: unknown) => T, fallback: readonly string[], extra: ListOptions = {}) =>
    listAcross(client, {prefix, resource, map, fallback, signal, ...extra})
  const [daemonSets, istiods, resourceQuotas, ciliumConfigs, networkPolicies, securityGroupPolicies, ciliumPolicies, calico, openshiftNetwork] =
    await Promise.all([
      across('/apis/apps/v1', 'daemonsets', summarizeWorkload('DaemonSet'), wellKnown),
      across('/apis/apps/v1', 'deployments', summarizeWorkload('Deployment'), wellKnown, {labelSelector: ISTIOD_SELECTOR}),
      across('/api/v1', 'resourcequotas', summarizeQuota, ['kube-system', istioNamespace]),
      across('/api/v1', 'configmaps', summarizeConfigMap, wellKnown, {fieldSelector: `metadata.name=${CILIUM_CONFIG_NAME}`}),
      across('/apis/networking.k8s.io/v1', 'networkpolicies', summarizeNetworkPolicy, everywhere),
      whenServed(apiGroups, 'vpcresources.k8s.aws', 'v1beta1', () => across('/apis/vpcresources.k8s.aws/v1beta1', 'securitygrouppolicies', refOf, everywhere)),
      whenServed(apiGroups, 'cilium.io', 'v2', async (): Promise<Fact<CiliumPolicies>> => {
        const [clusterwide, namespaced] = await Promise.all([
          listMapped(client, '/apis/cilium.io/v2/ciliumclusterwidenetworkpolicies', summarizeCiliumPolicy('CiliumClusterwideNetworkPolicy'), {signal}),
          across('/apis/cilium.io/v2', 'ciliumnetworkpolicies', summarizeCiliumPolicy('CiliumNetworkPolicy'), everywhere),
        ])
        if (clusterwide.state === 'unavailable') return clusterwide
        if (namespaced.state === 'unavailable') return namespaced
        return known({clusterwide: clusterwide.value, namespaced: namespaced.value})
      }),
      gatherCalico(client, apiGroups),
      gatherOpenShiftNetwork(client, apiGroups),
    ])
  const found = installedIstioFrom(istiods, daemonSets)
  const installedIstio: Fact<InstalledIstio> = found.state === 'known' ? known(await readIstioSettings(client, found.value)) : found
  const serverVersion: Fact<string> =
    apiServer.state === 'unavailable'
      ? apiServer
      : apiServer.value.gitVersion
        ? known(apiServer.value.gitVersion)
        : unavailable(apiServer.value.problem ?? 'GET /version gave no gitVersion')
  return {
    istioNamespace,
    serverVersion,
    apiGroups,
    nodes,
    namespaces,
    daemonSets,
    installedIstio,
    webhooks,
    resourceQuotas,
    ciliumConfigs,
    networkPolicies,
    ciliumPolicies,
    securityGroupPolicies,
    calico,
    openshiftNetwork,
    runtimeClasses,
    workloadEnv: await gatherWorkloadEnv(client, daemonSets),
    priorityDryRun,
  }
}
