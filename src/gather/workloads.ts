/**
 * Gathers what `pods` judges: namespaces (labels), Services, CronJob names and pods, streamed page by page into
 * per-workload summaries; plus what Istio has installed and the legacy admission APIs. A 403 on one namespace makes
 * that namespace unreadable (reported as unknown) while the rest is still read.
 */
import {UserError} from '../model/errors.js'
import type {Fact} from '../model/finding.js'
import {known, unavailable} from '../model/finding.js'
import type {ModeFlag} from '../knowledge/mesh-labels.js'
import {ISTIO_CNI_DAEMONSET, SIDECAR_INJECTOR_CONFIGMAP, ZTUNNEL_DAEMONSET} from '../knowledge/mesh-labels.js'
import {factFromError, gatherFact} from './facts.js'
import type {KubeClient} from './kube/client.js'
import {isNotFound} from './kube/errors.js'
import {listAcross, listMapped, streamList} from './kube/list.js'
import type {ServiceSummary, WorkloadSummary, WorkloadTarget} from './workloads-shape.js'
import {pushTo, ServiceIndex, serviceSummary, WorkloadAccumulator} from './workloads-shape.js'
import {asString, asStrings as strings} from '../model/json.js'

type Labels = Readonly<Record<string, string>>

export interface NamespaceState {
  readonly name: string
  readonly labels: Fact<Labels>
  /** Unavailable (with the reason) when this namespace's pods could not be listed. */
  readonly pods: Fact<true>
  readonly services: Fact<true>
}

export interface WorkloadInventory {
  /** -A: every namespace. */
  readonly allNamespaces: boolean
  readonly namespaces: readonly NamespaceState[]
  readonly workloads: readonly WorkloadSummary[]
  readonly services: readonly ServiceSummary[]
  readonly pods: number
  /** Whether CronJobs could be listed (else a CronJob's pods are reported under their Job). */
  readonly cronJobs: Fact<true>
}

export interface MeshInstall {
  /** Where the DaemonSet runs (`kube-system/istio-cni-node`), null when it is not installed. */
  readonly cniDaemonSet: Fact<string | null>
  readonly ztunnelDaemonSet: Fact<string | null>
  /** `pilot.cni.enabled` from the sidecar injector's values; null when there is no injector (Istio not installed). */
  readonly injectorCni: Fact<boolean | null>
}

export interface PodSecurityPolicySummary {
  readonly name: string
  readonly allowedCapabilities: readonly string[]
}

export interface SecurityContextConstraintsSummary {
  readonly name: string
  readonly allowedCapabilities: readonly string[]
  readonly users: readonly string[]
  readonly groups: readonly string[]
}

export interface LegacyAdmission {
  /** null: the API is not served (Kubernetes ≥ 1.25 / not OpenShift). */
  readonly podSecurityPolicies: Fact<readonly PodSecurityPolicySummary[] | null>
  readonly securityContextConstraints: Fact<readonly SecurityContextConstraintsSummary[] | null>
}

export interface WorkloadGatherOptions {
  /** undefined: every namespace (-A). */
  readonly namespaces: readonly string[] | undefined
  readonly labelSelector?: string
  readonly target?: WorkloadTarget
  readonly istioNamespace: string
  readonly signal?: AbortSignal
  readonly onProgress?: (podsRead: number) => void
}

interface Scope {
  /** The namespaces to read one by one; undefined = one cluster-wide list (falling back to `fallback`). */
  readonly namespaces: readonly string[] | undefined
  readonly fallback: readonly string[] | undefined
  /** Why the namespaces could not be listed, for when the cluster-wide read is denied too. */
  readonly namespacesDenied?: string
}

interface ScopedRead {
  /** namespace → why it could not be read. */
  readonly denied: ReadonlyMap<string, string>
  /** Why nothing could be read (cluster-wide list denied and no namespace list to fall back on). */
  readonly unreadable?: string
}

const CONCURRENCY = 4
const str = (v: unknown) => asString(v) ?? ''

type Item = {metadata?: {name?: string; namespace?: string; labels?: Labels}; [key: string]: unknown}

/**
 * Streams `<prefix>/<plural>` for the scope through the one list helper (kube/list.ts): one paginated cluster-wide
 * list, or one per namespace (also the fallback when the cluster-wide list is denied). `restart` is told before
 * anything already delivered is read again. These lists have one reader and can hold 100k pods: they are streamed,
 * never kept in check's snapshot (share: false).
 */
async function readScoped(
  client: KubeClient,
  prefix: string,
  plural: string,
  scope: Scope,
  options: {labelSelector?: string; signal?: AbortSignal},
  onItems: (items: Item[]) => void,
  restart: (namespace?: string) => void,
): Promise<ScopedRead> {
  const read = await streamList<Item>(
    client,
    {prefix, resource: plural, namespaces: scope.namespaces, fallback: scope.fallback, concurrency: CONCURRENCY, share: false, ...options},
    (items) => onItems(items),
    restart,
  )
  if (read.state === 'unavailable')
    return {denied: new Map(), unreadable: `${read.reason}; ${scope.namespacesDenied ?? 'no namespace list to read them one by one'}`}
  return {denied: read.value.denied}
}

async function readNamespaces(client: KubeClient, options: WorkloadGatherOptions): Promise<{scope: Scope; labels: Map<string, Fact<Labels>>}> {
  const labels = new Map<string, Fact<Labels>>()
  if (options.namespaces === undefined) {
    const listed = await listMapped(client, '/api/v1/namespaces', (item) => item as Item, {signal: options.signal})
    if (listed.state === 'unavailable') return {scope: {namespaces: undefined, fallback: undefined, namespacesDenied: listed.reason}, labels}
    for (const ns of listed.value) labels.set(str(ns.metadata?.name), known(ns.metadata?.labels ?? {}))
    return {scope: {namespaces: undefined, fallback: [...labels.keys()]}, labels}
  }
  for (const name of options.namespaces) labels.set(name, await namespaceLabels(client, name, options.signal))
  return {scope: {namespaces: options.namespaces, fallback: options.namespaces}, labels}
}

/** A namespace's labels; one that does not exist is a usage error (a typo in -n), one we may not read is unknown. */
export async function namespaceLabels(client: KubeClient, name: string, signal?: AbortSignal): Promise<Fact<Labels>> {
  try {
    const ns = await client.read<Item>(`/api/v1/namespaces/${encodeURIComponent(name)}`, {signal})
    return known(ns.metadata?.labels ?? {})
  } catch (error) {
    if (isNotFound(error)) throw new UserError(`namespace "${name}" does not exist; pick one from "kubectl get namespaces" with -n, or use -A`)
    return factFromError(error)
  }
}

/**
 * A named DaemonSet anywhere in the cluster, from the same DaemonSet list the platform gather reads (shared in
 * check's snapshot); when listing DaemonSets cluster-wide is denied, from the lists of `namespaces`. Not found where
 * only some namespaces could be searched is unknown: it may run elsewhere.
 */
async function findDaemonSet(client: KubeClient, name: string, namespaces: readonly string[]): Promise<Fact<string | null>> {
  const all = await listAcross(client, {prefix: '/apis/apps/v1', resource: 'daemonsets', fallback: namespaces, map: (ds) => ds as Item})
  if (all.state === 'unavailable') return all
  const found = all.value.items.find((ds) => ds.metadata?.name === name)
  if (found) return known(`DaemonSet ${str(found.metadata?.namespace)}/${name}`)
  return all.value.clusterWideDenied === undefined ? known(null) : unavailable(all.value.clusterWideDenied)
}

/** A read whose 404 means "not there" (an API not served, an object not created) rather than unknown. */
function optional<T>(read: () => Promise<T>): Promise<Fact<T | null>> {
  return gatherFact(async () => {
    try {
      return await read()
    } catch (error) {
      if (isNotFound(error)) return null
      throw error
    }
  })
}

async function injectorCni(client: KubeClient, istioNamespace: string): Promise<Fact<boolean | null>> {
  const cm = await optional(() => client.read<{data?: Record<string, string>}>(`/api/v1/namespaces/${istioNamespace}/configmaps/${SIDECAR_INJECTOR_CONFIGMAP}`))
  if (cm.state === 'unavailable' || cm.value === null) return cm.state === 'unavailable' ? unavailable(cm.reason) : known(null)
  let values: {pilot?: {cni?: {enabled?: unknown}}; istio_cni?: {enabled?: unknown}}
  try {
    values = JSON.parse(cm.value.data?.values ?? '{}')
  } catch {
    return unavailable(`ConfigMap ${istioNamespace}/${SIDECAR_INJECTOR_CONFIGMAP} has a "values" key that is not JSON`)
  }
  const enabled = values.pilot?.cni?.enabled ?? values.istio_cni?.enabled
  return known(typeof enabled === 'boolean' ? enabled : null)
}

export async function gatherMeshInstall(client: KubeClient, istioNamespace: string): Promise<MeshInstall> {
  const where = [...new Set([istioNamespace, 'kube-system'])]
  const [cniDaemonSet, ztunnelDaemonSet, cni] = await Promise.all([
    findDaemonSet(client, ISTIO_CNI_DAEMONSET, where),
    findDaemonSet(client, ZTUNNEL_DAEMONSET, where),
    injectorCni(client, istioNamespace),
  ])
  return {cniDaemonSet, ztunnelDaemonSet, injectorCni: cni}
}

const mapKnown = <T, U>(fact: Fact<T[] | null>, f: (t: T) => U): Fact<U[] | null> => (fact.state === 'known' ? known(fact.value?.map(f) ?? null) : fact)

export async function gatherLegacyAdmission(client: KubeClient): Promise<LegacyAdmission> {
  const capabilities = (item: Item) => strings(item.allowedCapabilities ?? (item.spec as {allowedCapabilities?: unknown} | undefined)?.allowedCapabilities)
  const [psp, scc] = await Promise.all([
    optional(() => client.readAll<Item>('/apis/policy/v1beta1/podsecuritypolicies')),
    optional(() => client.readAll<Item>('/apis/security.openshift.io/v1/securitycontextconstraints')),
  ])
  return {
    podSecurityPolicies: mapKnown(psp, (p) => ({name: str(p.metadata?.name), allowedCapabilities: capabilities(p)})),
    securityContextConstraints: mapKnown(scc, (s) => ({
      name: str(s.metadata?.name),
      allowedCapabilities: capabilities(s),
      users: strings(s.users),
      groups: strings(s.groups),
    })),
  }
}

/** Reads the workloads in scope. Memory: one summary per workload and one per Service, never the pods. */
export async function gatherWorkloads(client: KubeClient, options: WorkloadGatherOptions): Promise<Fact<WorkloadInventory>> {
  const {scope, labels} = await readNamespaces(client, options)
  const read = {signal: options.signal}
  const services = new Map<string, ServiceSummary[]>()
  const cronJobNames = new Map<string, Set<string>>()
  const forget = (byNamespace: Map<string, unknown>) => (ns?: string) => (ns === undefined ? byNamespace.clear() : byNamespace.delete(ns))
  const [serviceRead, cronJobRead] = await Promise.all([
    readScoped(
      client,
      '/api/v1',
      'services',
      scope,
      read,
      (items) => {
        for (const item of items) {
          const summary = serviceSummary(item)
          if (summary) pushTo(services, summary.namespace, summary)
        }
      },
      forget(services),
    ),
    readScoped(
      client,
      '/apis/batch/v1',
      'cronjobs',
      scope,
      read,
      (items) => {
        for (const c of items) {
          const ns = str(c.metadata?.namespace)
          cronJobNames.set(ns, (cronJobNames.get(ns) ?? new Set()).add(str(c.metadata?.name)))
        }
      },
      forget(cronJobNames),
    ),
  ])
  const allServices = [...services.values()].flat()
  const index = new ServiceIndex()
  for (const s of allServices) index.add(s)
  const accumulator = new WorkloadAccumulator(index, (ns) => cronJobNames.get(ns), options.target)
  const podRead = await readScoped(
    client,
    '/api/v1',
    'pods',
    scope,
    {...read, labelSelector: options.labelSelector},
    (items) => {
      for (const pod of items) accumulator.add(pod)
      options.onProgress?.(accumulator.pods)
    },
    (ns) => accumulator.clear(ns),
  )
  if (podRead.unreadable !== undefined) return unavailable(podRead.unreadable)
  const workloads = accumulator.summaries()
  // With a target or a selector, only the Services that select the chosen pods are in scope.
  const selected = new Set(workloads.flatMap((w) => w.shapes.flatMap(({shape}) => shape.services.map((name) => `${w.namespace}/${name}`))))
  const inScope =
    options.target === undefined && options.labelSelector === undefined ? allServices : allServices.filter((s) => selected.has(`${s.namespace}/${s.name}`))
  const names = new Set([...(scope.namespaces ?? []), ...workloads.map((w) => w.namespace), ...podRead.denied.keys(), ...serviceRead.denied.keys()])
  const state = (denied: ReadonlyMap<string, string>, unreadable: string | undefined, ns: string): Fact<true> => {
    const reason = unreadable ?? denied.get(ns)
    return reason === undefined ? known(true) : unavailable(reason)
  }
  return known({
    allNamespaces: options.namespaces === undefined,
    namespaces: [...names].sort().map((name) => ({
      name,
      labels: labels.get(name) ?? unavailable(scope.namespacesDenied ?? `namespace ${name} was not listed`),
      pods: state(podRead.denied, undefined, name),
      services: state(serviceRead.denied, serviceRead.unreadable, name),
    })),
    workloads,
    services: inScope,
    pods: accumulator.pods,
    cronJobs:
      cronJobRead.unreadable !== undefined || cronJobRead.denied.size > 0
        ? unavailable(cronJobRead.unreadable ?? [...cronJobRead.denied.values()][0]!)
        : known(true),
  })
}

export interface WorkloadSettings {
  readonly mode: ModeFlag
  readonly istioNamespace: string
}

/** What the workloads area gathers; derive/workloads/context.ts adds the contexts the checks judge. */
export interface GatheredWorkloadFacts {
  [key: string]: Fact<unknown>
  inventory: Fact<WorkloadInventory>
  mesh: Fact<MeshInstall>
  admission: Fact<LegacyAdmission>
  settings: Fact<WorkloadSettings>
}
