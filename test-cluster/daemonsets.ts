// The DaemonSet controller: one pod per eligible node for every DaemonSet (nodeSelector, required node
// affinity on node labels and on the metadata.name field, taints against tolerations), owned by its DaemonSet
// so that deleting it garbage-collects them, with the DaemonSet's status kept up to date. Pods get the same
// defaulting, validation and admission as pods created through the API; a refused pod becomes a FailedCreate
// Event on the DaemonSet, as with the real controller (pkg/controller/daemon in kubernetes/kubernetes).
// DaemonSets a scenario loads are taken as already converged (their pods are in the scenario): only those
// created while the server runs are controlled.
import {ApiError} from './errors.js'
import {admitNamespace, admitPod, prepareForCreate, validate} from './lifecycle.js'
import {resourceKey} from './registry.js'
import {later, type ServerState} from './state.js'
import type {StoreEvent} from './store.js'
import type {KubeObject, Node, Pod} from './types.js'
import {isObject} from './types.js'
import {randomNameSuffix, timestamp} from './util.js'

const DAEMONSETS = 'apps/daemonsets'
/** Pods created per tick, like the controller's slow-start batches (so one huge DaemonSet does not stall the server). */
const BATCH = 250

interface Requirement {
  key?: string
  operator?: string
  values?: string[]
}

interface Toleration {
  key?: string
  operator?: string
  value?: string
  effect?: string
}

interface Taint {
  key: string
  value?: string
  effect: string
}

/** `values` as a set, made once per requirement: a probe DaemonSet names 5,000 nodes, checked against 5,000 nodes. */
const valueSets = new WeakMap<Requirement, Set<string>>()
const valueSet = (r: Requirement): Set<string> => valueSets.get(r) ?? valueSets.set(r, new Set(r.values ?? [])).get(r)!

function requirementHolds(r: Requirement, value: string | undefined): boolean {
  const values = r.values ?? []
  switch (r.operator) {
    case 'In':
      return value !== undefined && valueSet(r).has(value)
    case 'NotIn':
      return value === undefined || !valueSet(r).has(value)
    case 'Exists':
      return value !== undefined
    case 'DoesNotExist':
      return value === undefined
    case 'Gt':
    case 'Lt': {
      const n = Number(value)
      const bound = Number(values[0])
      return value !== undefined && Number.isFinite(n) && Number.isFinite(bound) && (r.operator === 'Gt' ? n > bound : n < bound)
    }
    default:
      return false
  }
}

function tolerates(tolerations: readonly Toleration[], taint: Taint): boolean {
  return tolerations.some((t) => {
    if (t.effect && t.effect !== taint.effect) return false
    if (t.operator === 'Exists') return !t.key || t.key === taint.key
    return t.key === taint.key && (t.value ?? '') === (taint.value ?? '')
  })
}

/** Whether the scheduler would place a pod with this spec on the node (the parts a DaemonSet uses). */
export function schedulable(spec: Record<string, unknown>, node: Node): boolean {
  const labels = node.metadata.labels ?? {}
  const selector = isObject(spec.nodeSelector) ? (spec.nodeSelector as Record<string, string>) : {}
  if (Object.entries(selector).some(([k, v]) => labels[k] !== v)) return false
  const terms = (spec.affinity as {nodeAffinity?: {requiredDuringSchedulingIgnoredDuringExecution?: {nodeSelectorTerms?: unknown[]}}} | undefined)?.nodeAffinity
    ?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms
  if (Array.isArray(terms) && terms.length > 0) {
    const fields: Record<string, string | undefined> = {'metadata.name': node.metadata.name}
    const matches = terms.filter(isObject).some((term) => {
      const expressions = Array.isArray(term.matchExpressions) ? (term.matchExpressions as Requirement[]) : []
      const byField = Array.isArray(term.matchFields) ? (term.matchFields as Requirement[]) : []
      if (expressions.length === 0 && byField.length === 0) return false
      return expressions.every((r) => requirementHolds(r, labels[r.key ?? ''])) && byField.every((r) => requirementHolds(r, fields[r.key ?? '']))
    })
    if (!matches) return false
  }
  const tolerations = Array.isArray(spec.tolerations) ? (spec.tolerations as Toleration[]) : []
  const taints = ((node.spec as {taints?: Taint[]} | undefined)?.taints ?? []).filter((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute')
  return taints.every((t) => tolerates(tolerations, t))
}

export class DaemonSetController {
  private unsubscribe?: () => void
  private readonly statusPending = new Set<string>()
  /** `namespace/name` of the DaemonSets created while the server runs. */
  private readonly controlled = new Set<string>()

  constructor(private readonly state: ServerState) {}

  start(): void {
    this.unsubscribe = this.state.store.subscribe((e) => this.onEvent(e))
  }

  stop(): void {
    this.unsubscribe?.()
  }

  private onEvent(e: StoreEvent): void {
    if (e.resource === DAEMONSETS) {
      const key = `${e.object.metadata.namespace}/${e.object.metadata.name}`
      if (e.type === 'ADDED') this.controlled.add(key)
      if (e.type === 'DELETED') this.controlled.delete(key)
      const generation = e.object.metadata.generation
      if (this.controlled.has(key) && (e.type === 'ADDED' || (e.type === 'MODIFIED' && e.previous?.metadata.generation !== generation))) {
        later(this.state, 0, () => this.sync(e.object.metadata.namespace ?? '', e.object.metadata.name ?? ''))
      }
      return
    }
    if (e.resource === 'pods') {
      const owner = e.object.metadata.ownerReferences?.find((r) => r.kind === 'DaemonSet' && r.controller)
      if (owner && this.controlled.has(`${e.object.metadata.namespace}/${owner.name}`)) this.statusSoon(e.object.metadata.namespace ?? '', owner.name)
      return
    }
    if (e.resource === 'nodes' && e.type === 'ADDED') {
      for (const key of this.controlled) {
        const [namespace = '', name = ''] = key.split('/')
        later(this.state, 0, () => this.sync(namespace, name))
      }
    }
  }

  /** Creates the missing pods, a batch per tick. */
  private sync(namespace: string, name: string): void {
    const ds = this.state.store.get(DAEMONSETS, namespace, name)
    if (!ds || ds.metadata.deletionTimestamp) return
    const template = isObject(ds.spec?.template) ? (ds.spec.template as {metadata?: {labels?: Record<string, string>}; spec?: Record<string, unknown>}) : {}
    const spec = template.spec ?? {}
    const uid = ds.metadata.uid
    const owned = this.owned(ds)
    const placed = new Set(owned.map((p) => p.spec?.nodeName))
    const missing = (this.state.store.list('nodes') as Node[]).filter((n) => !placed.has(n.metadata.name) && schedulable(spec, n))
    const batch = missing.slice(0, BATCH)
    for (const node of batch) {
      const current = this.state.store.get(DAEMONSETS, namespace, name)
      if (!current || current.metadata.uid !== uid || current.metadata.deletionTimestamp) return
      if (!this.createPod(ds, template, node)) break // the same refusal for every pod: one event, then stop
    }
    if (missing.length > batch.length) later(this.state, 0, () => this.sync(namespace, name))
    this.statusSoon(namespace, name)
  }

  private owned(ds: KubeObject): Pod[] {
    return (this.state.store.list('pods', ds.metadata.namespace) as Pod[]).filter((p) => p.metadata.ownerReferences?.some((r) => r.uid === ds.metadata.uid))
  }

  private createPod(ds: KubeObject, template: {metadata?: {labels?: Record<string, string>}; spec?: Record<string, unknown>}, node: Node): boolean {
    const namespace = ds.metadata.namespace ?? ''
    const podDef = this.state.registry.byKey('pods')!
    // generateName: the API server retries a suffix that is taken (5,000 pods share 27^5 suffixes: a clash is likely).
    let name = `${ds.metadata.name}-${randomNameSuffix()}`
    while (this.state.store.get('pods', namespace, name)) name = `${ds.metadata.name}-${randomNameSuffix()}`
    // Like the real controller: the pod's required node affinity names its one node.
    const affinity = isObject(template.spec?.affinity) ? template.spec.affinity : {}
    const input: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace,
        labels: {...template.metadata?.labels, 'pod-template-generation': String(ds.metadata.generation ?? 1)},
        ownerReferences: [
          {apiVersion: 'apps/v1', kind: 'DaemonSet', name: ds.metadata.name ?? '', uid: ds.metadata.uid ?? '', controller: true, blockOwnerDeletion: true},
        ],
      },
      spec: {
        ...template.spec,
        affinity: {
          ...affinity,
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [{matchFields: [{key: 'metadata.name', operator: 'In', values: [node.metadata.name ?? '']}]}],
            },
          },
        },
        nodeName: node.metadata.name,
      },
    }
    try {
      const pod = prepareForCreate(this.state, podDef, input, namespace)
      admitNamespace(this.state, podDef, namespace, name)
      validate(podDef, pod)
      admitPod(this.state, pod as Pod)
      this.state.store.put('pods', pod)
      return true
    } catch (error) {
      if (!(error instanceof ApiError)) throw error
      this.failedCreate(ds, error.message)
      return false
    }
  }

  private failedCreate(ds: KubeObject, message: string): void {
    const now = timestamp()
    this.state.store.put('events', {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: {name: `${ds.metadata.name}.${Date.now().toString(16)}${randomNameSuffix(3)}`, namespace: ds.metadata.namespace},
      involvedObject: {
        kind: 'DaemonSet',
        namespace: ds.metadata.namespace,
        name: ds.metadata.name,
        uid: ds.metadata.uid,
        apiVersion: 'apps/v1',
        resourceVersion: ds.metadata.resourceVersion,
      },
      reason: 'FailedCreate',
      message: `Error creating: ${message}`,
      source: {component: 'daemonset-controller'},
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      type: 'Warning',
      eventTime: null,
      reportingComponent: 'daemonset-controller',
      reportingInstance: '',
    })
  }

  /** The DaemonSet's status, rewritten at most every 50 ms however many of its pods change. */
  private statusSoon(namespace: string, name: string): void {
    const key = `${namespace}/${name}`
    if (this.statusPending.has(key)) return
    this.statusPending.add(key)
    later(this.state, 50, () => {
      this.statusPending.delete(key)
      const ds = this.state.store.get(DAEMONSETS, namespace, name)
      if (!ds) return
      const spec = (isObject(ds.spec?.template) ? (ds.spec.template as {spec?: Record<string, unknown>}).spec : undefined) ?? {}
      const pods = this.owned(ds).filter((p) => !p.metadata.deletionTimestamp)
      const ready = pods.filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length
      const desired = (this.state.store.list('nodes') as Node[]).filter((n) => schedulable(spec, n)).length
      const status = {
        currentNumberScheduled: pods.length,
        numberMisscheduled: 0,
        desiredNumberScheduled: desired,
        numberReady: ready,
        observedGeneration: ds.metadata.generation ?? 1,
        updatedNumberScheduled: pods.length,
        numberAvailable: ready,
        ...(desired - ready > 0 ? {numberUnavailable: desired - ready} : {}),
      }
      if (JSON.stringify(status) !== JSON.stringify(ds.status)) this.state.store.put(resourceKey({group: 'apps', resource: 'daemonsets'}), {...ds, status})
    })
  }
}
