// What the real API server does around storing an object: validation, defaulting, admission
// (namespace lifecycle, scenario pod rejections), namespace termination, garbage collection of
// dependents, and serving CustomResourceDefinitions once they are created.
import {alreadyExists, badRequest, forbidden, invalid, notFound, type FieldError} from './errors.js'
import {qosClass} from './kubelet.js'
import {groupVersion, hasSubresource, resourceKey, type ResourceDef} from './registry.js'
import {later, type ServerState} from './state.js'
import type {KubeObject, Pod} from './types.js'
import {isObject} from './types.js'
import {randomNameSuffix, timestamp} from './util.js'

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/
const PROTECTED_NAMESPACES = new Set(['default', 'kube-system', 'kube-public'])

function nameErrors(def: ResourceDef, name: string): FieldError[] {
  const label = def.resource === 'namespaces' || def.resource === 'services'
  const ok = label ? DNS1123_LABEL.test(name) && name.length <= 63 : DNS1123_SUBDOMAIN.test(name) && name.length <= 253
  if (ok) return []
  const detail = label
    ? "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
    : "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
  return [{field: 'metadata.name', type: 'Invalid value', value: name, detail}]
}

function podErrors(pod: Pod): FieldError[] {
  const errs: FieldError[] = []
  const containers = pod.spec?.containers
  if (!Array.isArray(containers) || containers.length === 0) return [{field: 'spec.containers', type: 'Required value', detail: ''}]
  const seen = new Set<string>()
  containers.forEach((c, i) => {
    if (!c.name) errs.push({field: `spec.containers[${i}].name`, type: 'Required value', detail: ''})
    else if (seen.has(c.name)) errs.push({field: `spec.containers[${i}].name`, type: 'Invalid value', value: c.name, detail: 'Duplicate value'})
    seen.add(c.name)
    if (!c.image) errs.push({field: `spec.containers[${i}].image`, type: 'Required value', detail: ''})
  })
  return errs
}

function goType(v: unknown): string {
  if (typeof v === 'boolean') return 'bool'
  if (typeof v === 'number') return 'number'
  if (Array.isArray(v)) return 'array'
  return v === null ? 'null' : typeof v === 'object' ? 'object' : 'string'
}

/**
 * The type errors the real server's JSON decoder reports for container fields (a manifest saying
 * `command: [true]` is a 400 there, not a stored pod that later breaks every typed client).
 */
export function checkPodTypes(pod: KubeObject): void {
  const fail = (field: string, value: unknown, want: string): never => {
    throw badRequest(`Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal ${goType(value)} into Go struct field ${field} of type ${want}`)
  }
  const spec = isObject(pod.spec) ? pod.spec : {}
  for (const list of ['containers', 'initContainers'] as const) {
    const containers = spec[list]
    if (containers === undefined) continue
    if (!Array.isArray(containers)) fail(`PodSpec.spec.${list}`, containers, '[]v1.Container')
    for (const c of containers as unknown[]) {
      if (!isObject(c)) fail(`PodSpec.spec.${list}`, c, 'v1.Container')
      const ctr = c as Record<string, unknown>
      for (const f of ['name', 'image', 'workingDir', 'terminationMessagePolicy'] as const) {
        if (ctr[f] !== undefined && typeof ctr[f] !== 'string') fail(`Container.spec.${list}.${f}`, ctr[f], 'string')
      }
      for (const f of ['command', 'args'] as const) {
        const v = ctr[f]
        if (v === undefined) continue
        if (!Array.isArray(v)) fail(`Container.spec.${list}.${f}`, v, '[]string')
        for (const item of v as unknown[]) if (typeof item !== 'string') fail(`Container.spec.${list}.${f}`, item, 'string')
      }
      if (ctr.env !== undefined) {
        if (!Array.isArray(ctr.env)) fail(`Container.spec.${list}.env`, ctr.env, '[]v1.EnvVar')
        for (const e of ctr.env as unknown[]) {
          if (!isObject(e)) fail(`Container.spec.${list}.env`, e, 'v1.EnvVar')
          const ev = e as Record<string, unknown>
          if (typeof ev.name !== 'string') fail(`EnvVar.spec.${list}.env.name`, ev.name, 'string')
          if (ev.value !== undefined && typeof ev.value !== 'string') fail(`EnvVar.spec.${list}.env.value`, ev.value, 'string')
        }
      }
    }
  }
}

/** Field validation the real server would fail with 422 Invalid (a small, common subset). */
export function validate(def: ResourceDef, obj: KubeObject): void {
  const name = obj.metadata.name ?? ''
  const errs: FieldError[] = []
  if (!name) errs.push({field: 'metadata.name', type: 'Required value', detail: 'name or generateName is required'})
  else errs.push(...nameErrors(def, name))
  if (def.group === '' && def.resource === 'pods') errs.push(...podErrors(obj as Pod))
  if (errs.length) throw invalid(def.kind, def.group, name, errs)
}

/** Checks the body's kind/apiVersion against the URL, like the real decoder. */
export function checkKind(def: ResourceDef, obj: KubeObject): void {
  const gv = groupVersion(def)
  if (obj.apiVersion && obj.apiVersion !== gv) {
    throw badRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (${gv})`)
  }
  if (obj.kind && obj.kind !== def.kind) {
    throw badRequest(
      `${obj.kind} in version "${def.version}" cannot be handled as a ${def.kind}: no kind "${obj.kind}" is registered for version "${gv}" in scheme "pkg/api/legacyscheme/scheme.go:30"`,
    )
  }
}

/** NamespaceLifecycle admission: the namespace must exist and must not be terminating. */
export function admitNamespace(state: ServerState, def: ResourceDef, namespace: string, name: string): void {
  const ns = state.store.get('namespaces', namespace)
  if (!ns) throw notFound({group: '', resource: 'namespaces'}, namespace)
  if (ns.metadata.deletionTimestamp || ns.status?.phase === 'Terminating') {
    throw forbidden(
      {group: def.group, resource: def.resource},
      name,
      `unable to create new content in namespace ${namespace} because it is being terminated`,
      'NamespaceTerminating',
    )
  }
}

/** The scenario's `admission.rejectPods` (a Pod Security Admission or webhook stand-in). */
export function admitPod(state: ServerState, pod: Pod): void {
  for (const rule of state.scenario.admission?.rejectPods ?? []) {
    if (rule.namespace && rule.namespace !== pod.metadata.namespace) continue
    const privileged = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].some((c) => c.securityContext?.privileged === true)
    if (rule.privilegedOnly && !privileged) continue
    throw forbidden({group: '', resource: 'pods'}, pod.metadata.name, rule.message)
  }
}

function ipFromInt(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.')
}

function defaultService(state: ServerState, spec: Record<string, unknown>): Record<string, unknown> {
  const out = {...spec}
  const type = typeof out.type === 'string' ? out.type : 'ClusterIP'
  out.type = type
  if (type !== 'ExternalName' && out.clusterIP === undefined) {
    const ip = ipFromInt(state.nextClusterIP++)
    out.clusterIP = ip
    out.clusterIPs = [ip]
  }
  if (Array.isArray(out.ports)) {
    out.ports = out.ports.filter(isObject).map((p) => ({
      protocol: 'TCP',
      ...p,
      ...(p.targetPort === undefined ? {targetPort: p.port} : {}),
      ...((type === 'NodePort' || type === 'LoadBalancer') && p.nodePort === undefined ? {nodePort: state.nextNodePort++} : {}),
    }))
  }
  out.sessionAffinity ??= 'None'
  return out
}

function imagePullPolicy(image: string | undefined): string {
  const last = (image ?? '').split('/').pop() ?? ''
  if (last.includes('@')) return 'IfNotPresent'
  const tag = last.includes(':') ? last.slice(last.indexOf(':') + 1) : 'latest'
  return tag === 'latest' ? 'Always' : 'IfNotPresent'
}

/** The defaults the real server's scheme (and DefaultTolerationSeconds admission) fill into a new pod. */
function defaultPodSpec(spec: Record<string, unknown>): Record<string, unknown> {
  const container = (c: unknown): unknown =>
    isObject(c)
      ? {
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
          imagePullPolicy: imagePullPolicy(typeof c.image === 'string' ? c.image : undefined),
          resources: {},
          ...c,
        }
      : c
  const tolerations = Array.isArray(spec.tolerations) ? spec.tolerations : []
  const toleration = (key: string): object => ({key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300})
  const missing = ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable'].filter(
    (k) => !tolerations.some((t) => isObject(t) && t.key === k && t.effect === 'NoExecute'),
  )
  return {
    restartPolicy: 'Always',
    dnsPolicy: 'ClusterFirst',
    schedulerName: 'default-scheduler',
    serviceAccountName: 'default',
    serviceAccount: spec.serviceAccountName ?? 'default',
    terminationGracePeriodSeconds: 30,
    securityContext: {},
    enableServiceLinks: true,
    priority: 0,
    preemptionPolicy: 'PreemptLowerPriority',
    ...spec,
    containers: Array.isArray(spec.containers) ? spec.containers.map(container) : spec.containers,
    ...(Array.isArray(spec.initContainers) ? {initContainers: spec.initContainers.map(container)} : {}),
    tolerations: [...tolerations, ...missing.map(toleration)],
  }
}

/** The object as it will be stored by a create: name generated, status initialised, defaults set. */
export function prepareForCreate(state: ServerState, def: ResourceDef, input: KubeObject, namespace: string | undefined): KubeObject {
  const meta = {...input.metadata}
  if (!meta.name && meta.generateName) meta.name = `${meta.generateName}${randomNameSuffix()}`
  if (def.namespaced) meta.namespace = namespace
  else delete meta.namespace
  delete meta.uid
  delete meta.resourceVersion
  delete meta.deletionTimestamp
  meta.creationTimestamp = timestamp()
  const obj: KubeObject = {...input, apiVersion: groupVersion(def), kind: def.kind, metadata: meta}
  if (input.spec !== undefined && def.resource !== 'pods') meta.generation = 1
  if (def.createStatus === 'pod') {
    if (isObject(obj.spec)) obj.spec = defaultPodSpec(obj.spec)
    obj.status = {phase: 'Pending', qosClass: qosClass(obj as Pod)}
  } else if (def.createStatus === 'namespace') {
    obj.status = {phase: 'Active'}
    obj.spec = {finalizers: ['kubernetes'], ...obj.spec}
    meta.labels = {...meta.labels, 'kubernetes.io/metadata.name': meta.name ?? ''}
  } else if (def.createStatus !== 'keep' && hasSubresource(def, 'status')) obj.status = {}
  if (def.group === '' && def.resource === 'services' && obj.spec) {
    obj.spec = defaultService(state, obj.spec)
    obj.status = {loadBalancer: {}}
  }
  if (def.group === 'apiextensions.k8s.io' && def.resource === 'customresourcedefinitions') obj.status = crdStatus(obj)
  return obj
}

/**
 * The object an update stores: identity fields kept, `.status` only changed through the status
 * subresource (and nothing but `.status` through it), generation bumped when the spec changes.
 */
export function prepareForUpdate(def: ResourceDef, existing: KubeObject, incoming: KubeObject, subresource: string | undefined): KubeObject {
  if (subresource === 'status') return {...existing, status: incoming.status ?? {}}
  const meta = {
    ...incoming.metadata,
    name: existing.metadata.name,
    uid: existing.metadata.uid,
    creationTimestamp: existing.metadata.creationTimestamp,
    ...(existing.metadata.namespace ? {namespace: existing.metadata.namespace} : {}),
    ...(existing.metadata.deletionTimestamp ? {deletionTimestamp: existing.metadata.deletionTimestamp} : {}),
  }
  const obj: KubeObject = {...incoming, apiVersion: existing.apiVersion ?? groupVersion(def), kind: def.kind, metadata: meta}
  if (hasSubresource(def, 'status') || def.createStatus === 'pod') {
    if (existing.status !== undefined) obj.status = existing.status
    else delete obj.status
  }
  if (existing.metadata.generation !== undefined) {
    meta.generation = JSON.stringify(existing.spec) === JSON.stringify(incoming.spec) ? existing.metadata.generation : existing.metadata.generation + 1
  }
  if (def.group === 'apiextensions.k8s.io' && def.resource === 'customresourcedefinitions') obj.status = crdStatus(obj)
  return obj
}

/** The stored object a request addresses (namespace ignored for cluster-scoped resources). */
export function lookup(state: ServerState, def: ResourceDef, namespace: string | undefined, name: string): KubeObject | undefined {
  return def.namespaced ? state.store.get(resourceKey(def), namespace ?? '', name) : state.store.get(resourceKey(def), name)
}

export function checkCreateConflict(state: ServerState, def: ResourceDef, obj: KubeObject): void {
  const name = obj.metadata.name ?? ''
  if (lookup(state, def, obj.metadata.namespace, name)) throw alreadyExists({group: def.group, resource: def.resource}, name)
}

function crdStatus(crd: KubeObject): Record<string, unknown> {
  const now = timestamp()
  const spec = crd.spec ?? {}
  return {
    acceptedNames: spec.names ?? {},
    conditions: [
      {type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found', lastTransitionTime: now},
      {type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted', lastTransitionTime: now},
    ],
    storedVersions: Array.isArray(spec.versions)
      ? spec.versions
          .filter(isObject)
          .filter((v) => v.storage)
          .map((v) => v.name)
      : [],
  }
}

/** Hooks after an object is stored by create or update. */
export function afterWrite(state: ServerState, def: ResourceDef, obj: KubeObject): void {
  if (def.group === 'apiextensions.k8s.io' && def.resource === 'customresourcedefinitions') state.registry.addCrd(obj)
}

/** Hooks after an object is deleted: CRDs stop being served, dependents are garbage-collected. */
export function afterDelete(state: ServerState, def: ResourceDef, obj: KubeObject, propagationPolicy: string | undefined): void {
  if (def.group === 'apiextensions.k8s.io' && def.resource === 'customresourcedefinitions') {
    const served = state.registry.all().find((d) => d.crd === obj.metadata.name)
    state.registry.removeCrd(obj.metadata.name ?? '')
    if (served) state.store.removeAll(resourceKey(served))
  }
  if (propagationPolicy !== 'Orphan' && obj.metadata.uid) {
    const uid = obj.metadata.uid
    later(state, 0, () => collectDependents(state, uid, def.namespaced ? obj.metadata.namespace : undefined))
  }
}

/** Background garbage collection: deletes objects whose owner (by uid) is gone. */
function collectDependents(state: ServerState, ownerUid: string, namespace: string | undefined): void {
  for (const key of state.store.resources()) {
    const def = state.registry.byKey(key)
    if (!def) continue
    const doomed = [...state.store.scan(key, def.namespaced ? namespace : undefined)]
      .map(([, o]) => o)
      .filter((o) => o.metadata.ownerReferences?.some((r) => r.uid === ownerUid))
    for (const o of doomed) {
      const removed = state.store.remove(key, o.metadata.namespace, o.metadata.name ?? '')
      if (removed) afterDelete(state, def, removed, undefined)
    }
  }
}

/**
 * DELETE of a namespace: marked Terminating at once (and returned), emptied and removed after
 * `namespaceDeletionDelayMs`, like the namespace controller does.
 */
export function beginNamespaceDeletion(state: ServerState, ns: KubeObject, dryRun: boolean): KubeObject {
  const name = ns.metadata.name ?? ''
  if (PROTECTED_NAMESPACES.has(name)) throw forbidden({group: '', resource: 'namespaces'}, name, 'this namespace may not be deleted')
  if (ns.metadata.deletionTimestamp) return ns
  const terminating: KubeObject = {
    ...ns,
    metadata: {...ns.metadata, deletionTimestamp: timestamp()},
    status: {...ns.status, phase: 'Terminating'},
  }
  if (dryRun) return terminating
  const stored = state.store.put('namespaces', terminating)
  later(state, state.namespaceDeletionDelayMs, () => finishNamespaceDeletion(state, name))
  return stored
}

function finishNamespaceDeletion(state: ServerState, name: string): void {
  for (const key of state.store.resources()) {
    if (!state.registry.byKey(key)?.namespaced) continue
    for (const o of state.store.list(key, name)) state.store.remove(key, name, o.metadata.name ?? '')
  }
  state.store.remove('namespaces', undefined, name)
}
