/**
 * Pure reduction of pods to per-workload summaries, so memory grows with the number of workloads, not pods.
 * A pod is resolved to its workload from ownerReferences alone (ReplicaSet → Deployment through pod-template-hash,
 * Job → CronJob through the CronJob names in the namespace) and reduced to the few fields the checks read; pods of
 * one workload share a shape, so a workload keeps one entry per distinct shape with a pod count.
 */
import {MANAGED_BY_LABEL, MANAGED_BY_VALUE} from './probe/labels.js'
import {
  APP_NAME_LABELS,
  APP_VERSION_LABELS,
  DATAPLANE_MODE_LABEL,
  ISTIO_COMPONENT_LABELS,
  ISTIO_CONTAINERS,
  POD_INJECT_LABEL,
} from '../knowledge/mesh-labels.js'
import {asInt as int, asList as list, asRecord as record, asString, asStringMap as stringMap} from '../model/json.js'

type Labels = Readonly<Record<string, string>>

export interface ContainerPort {
  readonly port: number
  readonly name?: string
  /** TCP, UDP or SCTP. */
  readonly protocol: string
}

export interface ContainerShape {
  readonly name: string
  readonly image: string
  readonly init: boolean
  /** Effective: the container's securityContext, else the pod's. */
  readonly runAsUser?: number
  readonly runAsGroup?: number
  readonly ports: readonly ContainerPort[]
}

export interface PodShape {
  readonly hostNetwork: boolean
  readonly serviceAccount: string
  /** The label key that names the application / its version (highest precedence present), if any. */
  readonly appLabel?: string
  readonly versionLabel?: string
  /** Pod labels `istio.io/dataplane-mode` and `sidecar.istio.io/inject`, when set. */
  readonly dataplaneMode?: string
  readonly sidecarInject?: string
  /** Application containers (Istio's own containers are left out). */
  readonly containers: readonly ContainerShape[]
  /** Names of the Services in the namespace whose selector matches the pod. */
  readonly services: readonly string[]
}

export interface WorkloadRef {
  readonly namespace: string
  /** Deployment, StatefulSet, DaemonSet, CronJob, Job, ReplicaSet, Pod, or the owner's kind. */
  readonly kind: string
  readonly name: string
}

export interface WorkloadSummary extends WorkloadRef {
  readonly pods: number
  /** Istio's own component (istiod, gateways, ztunnel, istio-cni): not judged against application requirements. */
  readonly istioComponent: boolean
  readonly shapes: ReadonlyArray<{readonly shape: PodShape; readonly pods: number}>
}

export interface ServicePort {
  readonly name?: string
  readonly port: number
  readonly targetPort?: number | string
  readonly protocol: string
  readonly appProtocol?: string
}

export interface ServiceSummary {
  readonly namespace: string
  readonly name: string
  readonly type: string
  readonly headless: boolean
  /** Undefined when the Service has no selector (its endpoints are managed by hand). */
  readonly selector?: Labels
  readonly ports: readonly ServicePort[]
}

export interface WorkloadTarget {
  readonly kind?: string
  readonly name: string
}

/** A non-empty string, else undefined. */
const text = (value: unknown): string | undefined => asString(value) || undefined

const KIND_ALIASES: Readonly<Record<string, string>> = {
  deployment: 'Deployment',
  deployments: 'Deployment',
  deploy: 'Deployment',
  statefulset: 'StatefulSet',
  statefulsets: 'StatefulSet',
  sts: 'StatefulSet',
  daemonset: 'DaemonSet',
  daemonsets: 'DaemonSet',
  ds: 'DaemonSet',
  cronjob: 'CronJob',
  cronjobs: 'CronJob',
  cj: 'CronJob',
  job: 'Job',
  jobs: 'Job',
  replicaset: 'ReplicaSet',
  replicasets: 'ReplicaSet',
  rs: 'ReplicaSet',
  replicationcontroller: 'ReplicationController',
  replicationcontrollers: 'ReplicationController',
  rc: 'ReplicationController',
  pod: 'Pod',
  pods: 'Pod',
  po: 'Pod',
}

/** `deployment/web`, `deploy.apps/web`, `web` → a target; a string when the input is not one. */
export function parseWorkloadTarget(input: string): WorkloadTarget | string {
  const parts = input.trim().split('/')
  const name = parts.at(-1) ?? ''
  if (parts.length > 2 || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name))
    return `"${input}" is not a workload or pod name; use NAME or KIND/NAME, e.g. deployment/web`
  if (parts.length === 1) return {name}
  const kind = KIND_ALIASES[(parts[0] ?? '').toLowerCase().split('.')[0] ?? '']
  if (kind === undefined) return `"${parts[0]}" is not a workload kind; use one of deployment, statefulset, daemonset, cronjob, job, replicaset, pod`
  return {kind, name}
}

/** `deployment/web` as kubectl prints it. */
export const workloadName = (w: Pick<WorkloadRef, 'kind' | 'name'>) => `${w.kind.toLowerCase()}/${w.name}`

export function matchesTarget(target: WorkloadTarget | undefined, workload: Pick<WorkloadRef, 'kind' | 'name'>, podName: string): boolean {
  if (target === undefined) return true
  if (target.kind === 'Pod') return podName === target.name
  if (target.kind !== undefined) return workload.kind === target.kind && workload.name === target.name
  return workload.name === target.name || podName === target.name
}

/** CronJob names per namespace, to tell a CronJob's Job (`<cronjob>-<minutes>`) from a standalone Job. */
export type CronJobNames = (namespace: string) => ReadonlySet<string> | undefined

export function workloadOf(
  namespace: string,
  podName: string,
  labels: Labels,
  ownerReferences: unknown,
  cronJobs: CronJobNames,
): Omit<WorkloadRef, 'namespace'> {
  const owners = list(ownerReferences).map(record)
  const owner = owners.find((o) => o.controller === true) ?? owners[0]
  const kind = text(owner?.kind)
  const name = text(owner?.name)
  if (owner === undefined || kind === undefined || name === undefined) return {kind: 'Pod', name: podName}
  if (kind === 'ReplicaSet') {
    const hash = labels['pod-template-hash']
    if (hash && name.endsWith(`-${hash}`)) return {kind: 'Deployment', name: name.slice(0, -hash.length - 1)}
  }
  if (kind === 'Job') {
    const match = /^(.+)-\d+$/.exec(name)
    if (match && cronJobs(namespace)?.has(match[1]!)) return {kind: 'CronJob', name: match[1]!}
  }
  return {kind, name}
}

export function serviceSummary(object: unknown): ServiceSummary | undefined {
  const metadata = record(record(object).metadata)
  const spec = record(record(object).spec)
  const name = text(metadata.name)
  const namespace = text(metadata.namespace)
  if (name === undefined || namespace === undefined) return undefined
  const selector = stringMap(spec.selector)
  return {
    namespace,
    name,
    type: text(spec.type) ?? 'ClusterIP',
    headless: spec.clusterIP === 'None',
    selector: Object.keys(selector).length > 0 ? selector : undefined,
    ports: list(spec.ports).flatMap((raw): ServicePort[] => {
      const p = record(raw)
      const port = int(p.port)
      if (port === undefined) return []
      const target = int(p.targetPort) ?? text(p.targetPort)
      return [{name: text(p.name), port, targetPort: target, protocol: text(p.protocol) ?? 'TCP', appProtocol: text(p.appProtocol)}]
    }),
  }
}

export function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const bucket = map.get(key)
  if (bucket) bucket.push(value)
  else map.set(key, [value])
}

/** Finds the Services selecting a pod without comparing every Service with every pod. */
export class ServiceIndex {
  /** namespace → `key=value` of one selector entry → Services whose selector has it. */
  private readonly index = new Map<string, Map<string, ServiceSummary[]>>()

  add(service: ServiceSummary): void {
    const first = Object.entries(service.selector ?? {})[0]
    if (first === undefined) return
    const byLabel = this.index.get(service.namespace) ?? new Map<string, ServiceSummary[]>()
    this.index.set(service.namespace, byLabel)
    pushTo(byLabel, `${first[0]}=${first[1]}`, service)
  }

  selecting(namespace: string, labels: Labels): string[] {
    const byLabel = this.index.get(namespace)
    if (byLabel === undefined) return []
    const names: string[] = []
    for (const [k, v] of Object.entries(labels)) {
      for (const service of byLabel.get(`${k}=${v}`) ?? []) {
        if (Object.entries(service.selector ?? {}).every(([sk, sv]) => labels[sk] === sv)) names.push(service.name)
      }
    }
    return names.sort()
  }
}

function containerShape(raw: unknown, init: boolean, pod: {runAsUser?: number; runAsGroup?: number}): ContainerShape | undefined {
  const c = record(raw)
  const name = text(c.name) ?? ''
  if (ISTIO_CONTAINERS.includes(name)) return undefined
  const security = record(c.securityContext)
  const ports = list(c.ports).flatMap((rawPort): ContainerPort[] => {
    const p = record(rawPort)
    const port = int(p.containerPort)
    return port === undefined ? [] : [{port, name: text(p.name), protocol: text(p.protocol) ?? 'TCP'}]
  })
  return {
    name,
    image: text(c.image) ?? '',
    init,
    runAsUser: int(security.runAsUser) ?? pod.runAsUser,
    runAsGroup: int(security.runAsGroup) ?? pod.runAsGroup,
    ports,
  }
}

export const firstLabel = (labels: Labels, keys: readonly string[]) => keys.find((k) => text(labels[k]) !== undefined)

export function isIstioComponent(labels: Labels): boolean {
  return ISTIO_COMPONENT_LABELS.some(({key, values}) => labels[key] !== undefined && (values === undefined || values.includes(labels[key]!)))
}

export function podShape(spec: unknown, labels: Labels, services: readonly string[]): PodShape {
  const s = record(spec)
  const security = record(s.securityContext)
  const pod = {runAsUser: int(security.runAsUser), runAsGroup: int(security.runAsGroup)}
  const containers = [
    ...list(s.initContainers).map((c) => containerShape(c, true, pod)),
    ...list(s.containers).map((c) => containerShape(c, false, pod)),
  ].filter((c): c is ContainerShape => c !== undefined)
  return {
    hostNetwork: s.hostNetwork === true,
    serviceAccount: text(s.serviceAccountName) ?? text(s.serviceAccount) ?? 'default',
    appLabel: firstLabel(labels, APP_NAME_LABELS),
    versionLabel: firstLabel(labels, APP_VERSION_LABELS),
    dataplaneMode: text(labels[DATAPLANE_MODE_LABEL]),
    sidecarInject: text(labels[POD_INJECT_LABEL]),
    containers,
    services,
  }
}

interface MutableSummary {
  ref: WorkloadRef
  pods: number
  istioComponent: boolean
  shapes: Map<string, {shape: PodShape; pods: number}>
}

/** Folds pods, page by page, into one summary per workload. */
export class WorkloadAccumulator {
  private readonly byNamespace = new Map<string, Map<string, MutableSummary>>()
  private podTotal = 0

  constructor(
    private readonly services: ServiceIndex,
    private readonly cronJobs: CronJobNames,
    private readonly target?: WorkloadTarget,
  ) {}

  get pods(): number {
    return this.podTotal
  }

  add(object: unknown): void {
    const metadata = record(record(object).metadata)
    const namespace = text(metadata.namespace)
    const podName = text(metadata.name)
    if (namespace === undefined || podName === undefined) return
    const labels = stringMap(metadata.labels)
    // The plugin's own probe pods (check lists workloads while they run) are never a workload to judge.
    if (labels[MANAGED_BY_LABEL] === MANAGED_BY_VALUE) return
    const ref = workloadOf(namespace, podName, labels, metadata.ownerReferences, this.cronJobs)
    if (!matchesTarget(this.target, ref, podName)) return
    const shape = podShape(record(object).spec, labels, this.services.selecting(namespace, labels))
    const workloads = this.byNamespace.get(namespace) ?? new Map<string, MutableSummary>()
    this.byNamespace.set(namespace, workloads)
    const id = `${ref.kind}/${ref.name}`
    let summary = workloads.get(id)
    if (summary === undefined) {
      summary = {ref: {namespace, ...ref}, pods: 0, istioComponent: false, shapes: new Map()}
      workloads.set(id, summary)
    }
    summary.pods++
    summary.istioComponent ||= isIstioComponent(labels)
    const key = JSON.stringify(shape)
    const entry = summary.shapes.get(key)
    if (entry) entry.pods++
    else summary.shapes.set(key, {shape, pods: 1})
    this.podTotal++
  }

  /** Forgets what was read (for one namespace or all), before a list is read again from the start. */
  clear(namespace?: string): void {
    const forget = namespace === undefined ? [...this.byNamespace.keys()] : [namespace]
    for (const ns of forget) {
      for (const w of this.byNamespace.get(ns)?.values() ?? []) this.podTotal -= w.pods
      this.byNamespace.delete(ns)
    }
  }

  summaries(): WorkloadSummary[] {
    const out: WorkloadSummary[] = []
    for (const workloads of this.byNamespace.values()) {
      for (const w of workloads.values()) out.push({...w.ref, pods: w.pods, istioComponent: w.istioComponent, shapes: [...w.shapes.values()]})
    }
    return out.sort((a, b) => a.namespace.localeCompare(b.namespace) || a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name))
  }
}
