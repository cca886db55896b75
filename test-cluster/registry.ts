// The resource table: every group/version/resource the test API server serves, as data. Discovery,
// routing, RBAC enumeration, field selectors, table printing and the OpenAPI stubs all read it.
import type {KubeObject} from './types.js'
import {isObject} from './types.js'

export type Verb = 'create' | 'delete' | 'deletecollection' | 'get' | 'list' | 'patch' | 'update' | 'watch'

export const ALL_VERBS: readonly Verb[] = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']
const CREATE_ONLY: readonly Verb[] = ['create']
const NO_COLLECTION_DELETE: readonly Verb[] = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch']
const STATUS_VERBS: readonly Verb[] = ['get', 'patch', 'update']

/** Which built-in table layout `kubectl get` receives (see tables.ts). */
export type Printer = 'pods' | 'nodes' | 'namespaces' | 'deployments' | 'services' | 'events' | 'configmaps' | 'secrets' | 'default'

export interface SubresourceDef {
  name: string
  /** Kind of the object the subresource takes/returns (group/version default to the parent's). */
  kind: string
  group?: string
  version?: string
  verbs: readonly Verb[]
}

/** A CRD's additionalPrinterColumns entry. */
export interface PrinterColumn {
  name: string
  type: string
  jsonPath: string
  format?: string
  description?: string
  priority?: number
}

export interface ResourceDef {
  group: string
  version: string
  /** Plural, lower case: the path segment. */
  resource: string
  kind: string
  singular: string
  namespaced: boolean
  verbs: readonly Verb[]
  shortNames?: readonly string[]
  categories?: readonly string[]
  subresources?: readonly SubresourceDef[]
  /** Field selector labels beyond metadata.name/metadata.namespace, mapped to object paths. */
  fields?: Readonly<Record<string, readonly string[]>>
  printer?: Printer
  printerColumns?: readonly PrinterColumn[]
  /** What create does with a submitted `.status`: kept (nodes), reset to {} (default when the resource has a status subresource), or a kind-specific initial status. */
  createStatus?: 'keep' | 'pod' | 'namespace'
  /** DELETE answers with the deleted object rather than a Status (pods, namespaces). */
  returnDeletedObject?: boolean
  /** Serves create only and answers from a handler (access reviews): nothing is stored. */
  virtual?: boolean
  /** Set for resources served because a CustomResourceDefinition exists. */
  crd?: string
}

/** Store key of a resource: `pods`, `apps/deployments`, `stable.example.com/crontabs`. */
export function resourceKey(def: Pick<ResourceDef, 'group' | 'resource'>): string {
  return def.group ? `${def.group}/${def.resource}` : def.resource
}

export function groupVersion(def: Pick<ResourceDef, 'group' | 'version'>): string {
  return def.group ? `${def.group}/${def.version}` : def.version
}

export function hasSubresource(def: ResourceDef, name: string): boolean {
  return def.subresources?.some((s) => s.name === name) ?? false
}

const status = (kind: string): SubresourceDef => ({name: 'status', kind, verbs: STATUS_VERBS})
const scale: SubresourceDef = {name: 'scale', kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: STATUS_VERBS}

type Opts = Omit<ResourceDef, 'group' | 'version' | 'resource' | 'kind' | 'singular' | 'namespaced' | 'verbs'> & {
  verbs?: readonly Verb[]
  singular?: string
}

function def(gv: string, resource: string, kind: string, namespaced: boolean, opts: Opts = {}): ResourceDef {
  const [group, version] = gv.includes('/') ? (gv.split('/') as [string, string]) : ['', gv]
  const {verbs, singular, ...rest} = opts
  return {group, version, resource, kind, singular: singular ?? kind.toLowerCase(), namespaced, verbs: verbs ?? ALL_VERBS, ...rest}
}

const NS = true
const CLUSTER = false

/** Built-in resources, in the order discovery lists them. */
export const BUILTIN_RESOURCES: readonly ResourceDef[] = [
  def('v1', 'namespaces', 'Namespace', CLUSTER, {
    shortNames: ['ns'],
    verbs: NO_COLLECTION_DELETE,
    subresources: [status('Namespace'), {name: 'finalize', kind: 'Namespace', verbs: ['update']}],
    fields: {'status.phase': ['status', 'phase']},
    printer: 'namespaces',
    createStatus: 'namespace',
    returnDeletedObject: true,
  }),
  def('v1', 'nodes', 'Node', CLUSTER, {
    shortNames: ['no'],
    subresources: [status('Node'), {name: 'proxy', kind: 'NodeProxyOptions', verbs: ['create', 'delete', 'get', 'patch', 'update']}],
    fields: {'spec.unschedulable': ['spec', 'unschedulable']},
    printer: 'nodes',
    createStatus: 'keep',
  }),
  def('v1', 'pods', 'Pod', NS, {
    shortNames: ['po'],
    categories: ['all'],
    subresources: [
      status('Pod'),
      {name: 'log', kind: 'Pod', verbs: ['get']},
      {name: 'exec', kind: 'PodExecOptions', verbs: ['create', 'get']},
      {name: 'attach', kind: 'PodAttachOptions', verbs: ['create', 'get']},
      {name: 'portforward', kind: 'PodPortForwardOptions', verbs: ['create', 'get']},
      {name: 'binding', kind: 'Binding', verbs: ['create']},
      {name: 'eviction', kind: 'Eviction', group: 'policy', version: 'v1', verbs: ['create']},
      {name: 'ephemeralcontainers', kind: 'Pod', verbs: STATUS_VERBS},
      {name: 'proxy', kind: 'PodProxyOptions', verbs: ['create', 'delete', 'get', 'patch', 'update']},
    ],
    fields: {
      'spec.nodeName': ['spec', 'nodeName'],
      'spec.restartPolicy': ['spec', 'restartPolicy'],
      'spec.schedulerName': ['spec', 'schedulerName'],
      'spec.serviceAccountName': ['spec', 'serviceAccountName'],
      'spec.hostNetwork': ['spec', 'hostNetwork'],
      'status.phase': ['status', 'phase'],
      'status.podIP': ['status', 'podIP'],
      'status.nominatedNodeName': ['status', 'nominatedNodeName'],
    },
    printer: 'pods',
    createStatus: 'pod',
    returnDeletedObject: true,
  }),
  def('v1', 'services', 'Service', NS, {
    shortNames: ['svc'],
    categories: ['all'],
    subresources: [status('Service'), {name: 'proxy', kind: 'ServiceProxyOptions', verbs: ['create', 'delete', 'get', 'patch', 'update']}],
    fields: {'spec.clusterIP': ['spec', 'clusterIP'], 'spec.type': ['spec', 'type']},
    printer: 'services',
  }),
  def('v1', 'endpoints', 'Endpoints', NS, {shortNames: ['ep'], singular: 'endpoints'}),
  def('v1', 'configmaps', 'ConfigMap', NS, {shortNames: ['cm'], printer: 'configmaps'}),
  def('v1', 'secrets', 'Secret', NS, {fields: {type: ['type']}, printer: 'secrets'}),
  def('v1', 'serviceaccounts', 'ServiceAccount', NS, {
    shortNames: ['sa'],
    subresources: [{name: 'token', kind: 'TokenRequest', group: 'authentication.k8s.io', version: 'v1', verbs: ['create']}],
  }),
  def('v1', 'resourcequotas', 'ResourceQuota', NS, {shortNames: ['quota'], subresources: [status('ResourceQuota')]}),
  def('v1', 'limitranges', 'LimitRange', NS, {shortNames: ['limits']}),
  def('v1', 'events', 'Event', NS, {
    shortNames: ['ev'],
    printer: 'events',
    fields: {
      'involvedObject.kind': ['involvedObject', 'kind'],
      'involvedObject.namespace': ['involvedObject', 'namespace'],
      'involvedObject.name': ['involvedObject', 'name'],
      'involvedObject.uid': ['involvedObject', 'uid'],
      'involvedObject.apiVersion': ['involvedObject', 'apiVersion'],
      'involvedObject.resourceVersion': ['involvedObject', 'resourceVersion'],
      'involvedObject.fieldPath': ['involvedObject', 'fieldPath'],
      reason: ['reason'],
      reportingComponent: ['reportingComponent'],
      source: ['source', 'component'],
      type: ['type'],
    },
  }),
  def('v1', 'persistentvolumes', 'PersistentVolume', CLUSTER, {shortNames: ['pv'], subresources: [status('PersistentVolume')]}),
  def('v1', 'persistentvolumeclaims', 'PersistentVolumeClaim', NS, {shortNames: ['pvc'], subresources: [status('PersistentVolumeClaim')]}),
  def('v1', 'replicationcontrollers', 'ReplicationController', NS, {
    shortNames: ['rc'],
    categories: ['all'],
    subresources: [status('ReplicationController'), scale],
  }),
  def('v1', 'podtemplates', 'PodTemplate', NS),

  def('apps/v1', 'deployments', 'Deployment', NS, {
    shortNames: ['deploy'],
    categories: ['all'],
    subresources: [status('Deployment'), scale],
    printer: 'deployments',
  }),
  def('apps/v1', 'daemonsets', 'DaemonSet', NS, {shortNames: ['ds'], categories: ['all'], subresources: [status('DaemonSet')]}),
  def('apps/v1', 'statefulsets', 'StatefulSet', NS, {shortNames: ['sts'], categories: ['all'], subresources: [status('StatefulSet'), scale]}),
  def('apps/v1', 'replicasets', 'ReplicaSet', NS, {
    shortNames: ['rs'],
    categories: ['all'],
    subresources: [status('ReplicaSet'), scale],
    fields: {'status.replicas': ['status', 'replicas']},
  }),
  def('apps/v1', 'controllerrevisions', 'ControllerRevision', NS),

  def('batch/v1', 'jobs', 'Job', NS, {categories: ['all'], subresources: [status('Job')], fields: {'status.successful': ['status', 'succeeded']}}),
  def('batch/v1', 'cronjobs', 'CronJob', NS, {shortNames: ['cj'], categories: ['all'], subresources: [status('CronJob')]}),

  def('networking.k8s.io/v1', 'networkpolicies', 'NetworkPolicy', NS, {shortNames: ['netpol'], singular: 'networkpolicy'}),
  def('networking.k8s.io/v1', 'ingresses', 'Ingress', NS, {shortNames: ['ing'], singular: 'ingress', subresources: [status('Ingress')]}),
  def('networking.k8s.io/v1', 'ingressclasses', 'IngressClass', CLUSTER, {singular: 'ingressclass'}),
  def('discovery.k8s.io/v1', 'endpointslices', 'EndpointSlice', NS),

  def('rbac.authorization.k8s.io/v1', 'roles', 'Role', NS),
  def('rbac.authorization.k8s.io/v1', 'rolebindings', 'RoleBinding', NS),
  def('rbac.authorization.k8s.io/v1', 'clusterroles', 'ClusterRole', CLUSTER),
  def('rbac.authorization.k8s.io/v1', 'clusterrolebindings', 'ClusterRoleBinding', CLUSTER),

  def('scheduling.k8s.io/v1', 'priorityclasses', 'PriorityClass', CLUSTER, {shortNames: ['pc'], singular: 'priorityclass'}),
  def('node.k8s.io/v1', 'runtimeclasses', 'RuntimeClass', CLUSTER, {singular: 'runtimeclass'}),
  def('storage.k8s.io/v1', 'storageclasses', 'StorageClass', CLUSTER, {shortNames: ['sc'], singular: 'storageclass'}),
  def('coordination.k8s.io/v1', 'leases', 'Lease', NS),
  def('policy/v1', 'poddisruptionbudgets', 'PodDisruptionBudget', NS, {shortNames: ['pdb'], subresources: [status('PodDisruptionBudget')]}),

  def('admissionregistration.k8s.io/v1', 'mutatingwebhookconfigurations', 'MutatingWebhookConfiguration', CLUSTER, {
    categories: ['api-extensions'],
  }),
  def('admissionregistration.k8s.io/v1', 'validatingwebhookconfigurations', 'ValidatingWebhookConfiguration', CLUSTER, {
    categories: ['api-extensions'],
  }),
  def('apiextensions.k8s.io/v1', 'customresourcedefinitions', 'CustomResourceDefinition', CLUSTER, {
    shortNames: ['crd', 'crds'],
    categories: ['api-extensions'],
    subresources: [status('CustomResourceDefinition')],
  }),

  def('authentication.k8s.io/v1', 'selfsubjectreviews', 'SelfSubjectReview', CLUSTER, {verbs: CREATE_ONLY, virtual: true}),
  def('authorization.k8s.io/v1', 'selfsubjectaccessreviews', 'SelfSubjectAccessReview', CLUSTER, {verbs: CREATE_ONLY, virtual: true}),
  def('authorization.k8s.io/v1', 'selfsubjectrulesreviews', 'SelfSubjectRulesReview', CLUSTER, {verbs: CREATE_ONLY, virtual: true}),
  def('authorization.k8s.io/v1', 'subjectaccessreviews', 'SubjectAccessReview', CLUSTER, {verbs: CREATE_ONLY, virtual: true}),
  def('authorization.k8s.io/v1', 'localsubjectaccessreviews', 'LocalSubjectAccessReview', NS, {verbs: CREATE_ONLY, virtual: true}),
]

/** Served only when a scenario sets `servePodSecurityPolicy: true` (clusters before v1.25). */
export const POD_SECURITY_POLICY: ResourceDef = def('policy/v1beta1', 'podsecuritypolicies', 'PodSecurityPolicy', CLUSTER, {
  shortNames: ['psp'],
  singular: 'podsecuritypolicy',
})

/** The Warning header the real server adds to every PodSecurityPolicy request. */
export const PSP_DEPRECATION_WARNING = 'policy/v1beta1 PodSecurityPolicy is deprecated in v1.21+, unavailable in v1.25+'

/** The set of resources one server currently serves: the built-ins plus every established CRD. */
export class Registry {
  private readonly defs: ResourceDef[]
  private readonly byPath = new Map<string, ResourceDef>()

  constructor(opts: {servePodSecurityPolicy?: boolean} = {}) {
    this.defs = [...BUILTIN_RESOURCES, ...(opts.servePodSecurityPolicy ? [POD_SECURITY_POLICY] : [])]
    this.reindex()
  }

  private reindex(): void {
    this.byPath.clear()
    for (const d of this.defs) this.byPath.set(`${d.group}/${d.version}/${d.resource}`, d)
  }

  all(): readonly ResourceDef[] {
    return this.defs
  }

  find(group: string, version: string, resource: string): ResourceDef | undefined {
    return this.byPath.get(`${group}/${version}/${resource}`)
  }

  /** Any served version of a store key (`apps/deployments`). */
  byKey(key: string): ResourceDef | undefined {
    return this.defs.find((d) => resourceKey(d) === key)
  }

  byKind(group: string, kind: string): ResourceDef | undefined {
    return this.defs.find((d) => d.group === group && d.kind === kind)
  }

  /** Groups in discovery order, each with its versions (preferred first). */
  groups(): Array<{name: string; versions: string[]}> {
    const out: Array<{name: string; versions: string[]}> = []
    for (const d of this.defs) {
      let g = out.find((x) => x.name === d.group)
      if (!g) {
        g = {name: d.group, versions: []}
        out.push(g)
      }
      if (!g.versions.includes(d.version)) g.versions.push(d.version)
    }
    for (const g of out) g.versions.sort(compareVersions)
    return out
  }

  resourcesIn(group: string, version: string): ResourceDef[] {
    return this.defs.filter((d) => d.group === group && d.version === version)
  }

  /** Serves (or re-serves, after an update) the versions of a CRD. Returns the store key. */
  addCrd(crd: KubeObject): string {
    const defs = crdResourceDefs(crd)
    this.removeCrd(crd.metadata.name ?? '')
    this.defs.push(...defs)
    this.reindex()
    return defs[0] ? resourceKey(defs[0]) : ''
  }

  removeCrd(crdName: string): void {
    for (let i = this.defs.length - 1; i >= 0; i--) if (this.defs[i]?.crd === crdName) this.defs.splice(i, 1)
    this.reindex()
  }
}

/**
 * Kubernetes version priority (GA > beta > alpha, then by number), as discovery orders versions:
 * v1 < v2 sorts v2 first, v1 before v1beta1 before v1alpha1.
 */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string): [number, number, number] => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v)
    if (!m) return [3, 0, 0]
    const stage = m[2] === 'alpha' ? 2 : m[2] === 'beta' ? 1 : 0
    return [stage, -Number(m[1]), -Number(m[3] ?? 0)]
  }
  const [pa, pb] = [parse(a), parse(b)]
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return (pa[i] ?? 0) - (pb[i] ?? 0)
  return a.localeCompare(b)
}

/** Resource definitions for each served version of a CustomResourceDefinition object. */
export function crdResourceDefs(crd: KubeObject): ResourceDef[] {
  const spec = crd.spec ?? {}
  const names = isObject(spec.names) ? spec.names : {}
  const group = typeof spec.group === 'string' ? spec.group : ''
  const plural = typeof names.plural === 'string' ? names.plural : ''
  const kind = typeof names.kind === 'string' ? names.kind : ''
  if (!group || !plural || !kind) return []
  const namespaced = spec.scope !== 'Cluster'
  const versions = Array.isArray(spec.versions) ? spec.versions.filter(isObject) : []
  return versions
    .filter((v) => v.served !== false && typeof v.name === 'string')
    .map((v) => {
      const sub = isObject(v.subresources) ? v.subresources : {}
      const subresources: SubresourceDef[] = []
      if (isObject(sub.status)) subresources.push(status(kind))
      if (isObject(sub.scale)) subresources.push(scale)
      const cols = Array.isArray(v.additionalPrinterColumns) ? (v.additionalPrinterColumns.filter(isObject) as unknown as PrinterColumn[]) : []
      return {
        group,
        version: v.name as string,
        resource: plural,
        kind,
        singular: typeof names.singular === 'string' ? names.singular : kind.toLowerCase(),
        namespaced,
        verbs: ALL_VERBS,
        ...(Array.isArray(names.shortNames) ? {shortNames: names.shortNames as string[]} : {}),
        ...(Array.isArray(names.categories) ? {categories: names.categories as string[]} : {}),
        ...(subresources.length ? {subresources} : {}),
        ...(cols.length ? {printerColumns: cols} : {}),
        crd: crd.metadata.name ?? `${plural}.${group}`,
      }
    })
}
