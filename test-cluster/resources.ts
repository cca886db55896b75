// Resource verbs: list (paginated), get, create, update, patch, delete, deletecollection, watch,
// and the subresources status, log, scale, binding and eviction, plus the access reviews.
import type {IncomingMessage} from 'node:http'
import {randomUUID} from 'node:crypto'
import {ApiError, badRequest, conflict, CONTINUE_EXPIRED, CONTINUE_INCONSISTENT, expired, methodNotAllowed, notFound, successStatus} from './errors.js'
import {negotiate, parseBody, readBody, sendJsonList, type Reply, type Representation} from './http.js'
import {
  admitNamespace,
  admitPod,
  afterDelete,
  afterWrite,
  beginNamespaceDeletion,
  checkCreateConflict,
  checkKind,
  checkPodTypes,
  lookup,
  prepareForCreate,
  prepareForUpdate,
  validate,
} from './lifecycle.js'
import {applyPatch, patchTypeOf} from './patch.js'
import {groupVersion, resourceKey, type ResourceDef, type Verb} from './registry.js'
import type {Fault} from './scenario.js'
import {matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector} from './selectors.js'
import type {ServerState} from './state.js'
import {tableColumns, tableRow, type IncludeObject} from './tables.js'
import type {KubeObject, Pod} from './types.js'
import {isObject} from './types.js'
import {serveWatch} from './watch.js'

export interface ResourceRequest {
  def: ResourceDef
  verb: string
  namespace?: string
  name?: string
  subresource?: string
  query: URLSearchParams
  req: IncomingMessage
  reply: Reply
  fault?: Fault
}

const gr = (def: ResourceDef): {group: string; resource: string} => ({group: def.group, resource: def.resource})

/** An object as served for a request's version (CRDs serve every version from one stored copy). */
function present(def: ResourceDef, obj: KubeObject): KubeObject {
  return {...obj, apiVersion: groupVersion(def), kind: def.kind}
}

/** List items: built-in types come without apiVersion/kind, as from the real server. */
function listItem(def: ResourceDef, obj: KubeObject): unknown {
  if (def.crd) return present(def, obj)
  const {apiVersion: _a, kind: _k, ...rest} = obj
  return rest
}

function isDryRun(q: URLSearchParams, options?: Record<string, unknown>): boolean {
  return q.getAll('dryRun').includes('All') || (Array.isArray(options?.dryRun) && options.dryRun.includes('All'))
}

async function bodyObject(r: ResourceRequest): Promise<KubeObject> {
  const body = parseBody(await readBody(r.req), r.req.headers['content-type'])
  if (!isObject(body)) throw badRequest("Object 'Kind' is missing in the request body")
  return {...body, metadata: isObject(body.metadata) ? {...body.metadata} : {}} as KubeObject
}

function representation(r: ResourceRequest): Representation {
  const rep = negotiate(r.req.headers.accept, ['object', 'Table', 'PartialObjectMetadata'])
  if (!rep)
    throw new ApiError(
      406,
      'NotAcceptable',
      `only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf`,
    )
  return rep
}

function includeObject(q: URLSearchParams): IncludeObject {
  const v = q.get('includeObject')
  return v === 'None' || v === 'Object' ? v : 'Metadata'
}

function getExisting(state: ServerState, r: ResourceRequest): KubeObject {
  const obj = lookup(state, r.def, r.namespace, r.name ?? '')
  if (!obj) throw notFound(gr(r.def), r.name ?? '')
  return obj
}

/** Replies with one object in the negotiated representation. */
function replyObject(r: ResourceRequest, status: number, obj: KubeObject): void {
  const rep = representation(r)
  const full = present(r.def, obj)
  if (rep.as === 'Table') {
    r.reply.json(status, {
      kind: 'Table',
      apiVersion: rep.apiVersion,
      metadata: {resourceVersion: obj.metadata.resourceVersion},
      columnDefinitions: tableColumns(r.def),
      rows: [tableRow(r.def, full, includeObject(r.query), rep.apiVersion)],
    })
  } else if (rep.as === 'PartialObjectMetadata') {
    r.reply.json(status, {kind: 'PartialObjectMetadata', apiVersion: rep.apiVersion, metadata: obj.metadata})
  } else r.reply.json(status, full)
}

interface ContinueToken {
  rv: number
  start: string
}

function encodeContinue(rv: number, lastKey: string): string {
  return Buffer.from(JSON.stringify({v: 'meta.k8s.io/v1', rv, start: `${lastKey}\u0000`})).toString('base64')
}

function decodeContinue(token: string): ContinueToken | undefined {
  try {
    const t: unknown = JSON.parse(Buffer.from(token, 'base64').toString('utf8'))
    if (!isObject(t) || t.v !== 'meta.k8s.io/v1' || typeof t.rv !== 'number' || typeof t.start !== 'string' || !t.start.endsWith('\u0000')) return undefined
    return {rv: t.rv, start: t.start.slice(0, -1)}
  } catch {
    return undefined
  }
}

async function list(state: ServerState, r: ResourceRequest): Promise<void> {
  const {def, query: q} = r
  const rep = representation(r)
  const labelText = q.get('labelSelector') ?? ''
  const labels = parseLabelSelector(labelText)
  const fields = parseFieldSelector(q.get('fieldSelector') ?? '', def, labelText)
  const limit = Math.max(0, Number.parseInt(q.get('limit') ?? '0', 10) || 0)
  let after: string | undefined
  let listRv = state.store.currentRv()
  const token = q.get('continue')
  if (token) {
    const t = decodeContinue(token)
    if (!t) throw expired(CONTINUE_EXPIRED)
    if (t.rv > 0 && t.rv < state.store.oldestRv()) throw expired(CONTINUE_INCONSISTENT, encodeContinue(-1, t.start))
    after = t.start
    if (t.rv > 0) listRv = t.rv
  }
  const namespace = def.namespaced ? r.namespace : undefined
  const key = resourceKey(def)
  const items: KubeObject[] = []
  let lastKey = ''
  let more = false
  for (const [k, o] of state.store.scan(key, namespace, after)) {
    if (!matchesLabels(labels, o.metadata.labels) || !matchesFields(fields, o)) continue
    if (limit && items.length >= limit) {
      more = true
      break
    }
    items.push(o)
    lastKey = k
  }
  const metadata: Record<string, unknown> = {resourceVersion: String(listRv)}
  if (more) {
    metadata.continue = encodeContinue(listRv, lastKey)
    if (labels.length === 0 && fields.length === 0) metadata.remainingItemCount = state.store.countAfter(key, namespace, lastKey)
  }
  if (rep.as === 'Table') {
    const include = includeObject(q)
    const now = Date.now()
    const head = {kind: 'Table', apiVersion: rep.apiVersion, metadata, columnDefinitions: tableColumns(def)}
    await sendJsonList(
      r.reply,
      head,
      'rows',
      items.map((o) => tableRow(def, present(def, o), include, rep.apiVersion, now)),
    )
  } else if (rep.as === 'PartialObjectMetadata') {
    const head = {kind: 'PartialObjectMetadataList', apiVersion: rep.apiVersion, metadata}
    await sendJsonList(
      r.reply,
      head,
      'items',
      items.map((o) => ({kind: 'PartialObjectMetadata', apiVersion: rep.apiVersion, metadata: o.metadata})),
    )
  } else {
    const head = {kind: `${def.kind}List`, apiVersion: groupVersion(def), metadata}
    await sendJsonList(
      r.reply,
      head,
      'items',
      items.map((o) => listItem(def, o)),
    )
  }
}

async function watch(state: ServerState, r: ResourceRequest): Promise<void> {
  const q = r.query
  const labelText = q.get('labelSelector') ?? ''
  const fieldText = [q.get('fieldSelector'), r.name ? `metadata.name=${r.name}` : undefined].filter(Boolean).join(',')
  const timeout = q.get('timeoutSeconds')
  await serveWatch(state, r.reply, {
    def: r.def,
    ...(r.def.namespaced && r.namespace ? {namespace: r.namespace} : {}),
    labels: parseLabelSelector(labelText),
    fields: parseFieldSelector(fieldText, r.def, labelText),
    ...(q.get('resourceVersion') ? {resourceVersion: q.get('resourceVersion')!} : {}),
    ...(timeout ? {timeoutSeconds: Number(timeout)} : {}),
    allowBookmarks: q.get('allowWatchBookmarks') === 'true',
    sendInitialEvents: q.get('sendInitialEvents') === 'true',
    representation: representation(r),
    includeObject: includeObject(q),
    ...(r.fault ? {fault: r.fault} : {}),
  })
}

async function create(state: ServerState, r: ResourceRequest, input?: KubeObject): Promise<void> {
  const {def} = r
  const body = input ?? (await bodyObject(r))
  checkKind(def, body)
  if (def.group === '' && def.resource === 'pods') checkPodTypes(body)
  if (def.namespaced) {
    if (!r.namespace) throw methodNotAllowed()
    if (body.metadata.namespace && body.metadata.namespace !== r.namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request')
    }
  }
  const obj = prepareForCreate(state, def, body, r.namespace)
  const name = obj.metadata.name ?? ''
  if (def.namespaced) admitNamespace(state, def, r.namespace!, name)
  validate(def, obj)
  if (def.group === '' && def.resource === 'pods') admitPod(state, obj as Pod)
  checkCreateConflict(state, def, obj)
  if (isDryRun(r.query)) {
    replyObject(r, 201, {...obj, metadata: {...obj.metadata, uid: randomUUID()}})
    return
  }
  const stored = state.store.put(resourceKey(def), obj)
  afterWrite(state, def, stored)
  replyObject(r, 201, stored)
}

/** Stores the result of an update or patch after the usual checks. */
function write(state: ServerState, r: ResourceRequest, existing: KubeObject, incoming: KubeObject, subresource: string | undefined): void {
  const {def} = r
  if (incoming.metadata.name && incoming.metadata.name !== existing.metadata.name) {
    throw badRequest(`the name of the object (${incoming.metadata.name}) does not match the name on the URL (${existing.metadata.name})`)
  }
  const rv = incoming.metadata.resourceVersion
  if (rv && rv !== existing.metadata.resourceVersion) throw conflict(gr(def), existing.metadata.name ?? '')
  if (def.group === '' && def.resource === 'pods') checkPodTypes(incoming)
  const obj = prepareForUpdate(def, existing, incoming, subresource)
  validate(def, obj)
  if (isDryRun(r.query)) {
    replyObject(r, 200, obj)
    return
  }
  const stored = state.store.put(resourceKey(def), obj)
  afterWrite(state, def, stored)
  replyObject(r, 200, stored)
}

async function update(state: ServerState, r: ResourceRequest): Promise<void> {
  const body = await bodyObject(r)
  checkKind(r.def, body)
  write(state, r, getExisting(state, r), body, r.subresource)
}

async function patch(state: ServerState, r: ResourceRequest): Promise<void> {
  const type = patchTypeOf(r.req.headers['content-type'])
  if (!type) {
    throw new ApiError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml`,
    )
  }
  const body = parseBody(await readBody(r.req), r.req.headers['content-type'])
  const existing = lookup(state, r.def, r.namespace, r.name ?? '')
  if (!existing) {
    if (type === 'apply' && isObject(body) && !r.subresource) {
      await create(state, r, {...body, metadata: {...(isObject(body.metadata) ? body.metadata : {}), name: r.name}} as KubeObject)
      return
    }
    throw notFound(gr(r.def), r.name ?? '')
  }
  const base = present(r.def, existing)
  const patched = applyPatch(type, base, body) as KubeObject
  if (!isObject(patched.metadata)) patched.metadata = {}
  // A resourceVersion the patch did not mention is not a precondition.
  if (patched.metadata.resourceVersion === existing.metadata.resourceVersion) delete patched.metadata.resourceVersion
  write(state, r, existing, patched, r.subresource)
}

async function remove(state: ServerState, r: ResourceRequest): Promise<void> {
  const {def} = r
  const existing = getExisting(state, r)
  const text = await readBody(r.req)
  const options = text.trim() ? parseBody(text, r.req.headers['content-type']) : {}
  const opts = isObject(options) ? options : {}
  const pre = isObject(opts.preconditions) ? opts.preconditions : {}
  if (typeof pre.uid === 'string' && pre.uid !== existing.metadata.uid) {
    throw new ApiError(409, 'Conflict', `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${existing.metadata.uid}`, {
      name: r.name,
      kind: def.resource,
    })
  }
  if (typeof pre.resourceVersion === 'string' && pre.resourceVersion !== existing.metadata.resourceVersion) {
    throw new ApiError(
      409,
      'Conflict',
      `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${existing.metadata.resourceVersion}`,
      {name: r.name, kind: def.resource},
    )
  }
  const dryRun = isDryRun(r.query, opts)
  if (def.group === '' && def.resource === 'namespaces') {
    replyObject(r, 200, beginNamespaceDeletion(state, existing, dryRun))
    return
  }
  if (dryRun) {
    replyObject(r, 200, existing)
    return
  }
  const removed = state.store.remove(resourceKey(def), existing.metadata.namespace, existing.metadata.name ?? '') ?? existing
  afterDelete(state, def, removed, (r.query.get('propagationPolicy') ?? (opts.propagationPolicy as string | undefined)) || undefined)
  if (def.returnDeletedObject) replyObject(r, 200, removed)
  else r.reply.json(200, successStatus(gr(def), existing.metadata.name ?? '', existing.metadata.uid))
}

async function removeCollection(state: ServerState, r: ResourceRequest): Promise<void> {
  const {def, query: q} = r
  const labelText = q.get('labelSelector') ?? ''
  const labels = parseLabelSelector(labelText)
  const fields = parseFieldSelector(q.get('fieldSelector') ?? '', def, labelText)
  await readBody(r.req)
  const key = resourceKey(def)
  const doomed = state.store
    .list(key, def.namespaced ? r.namespace : undefined)
    .filter((o) => matchesLabels(labels, o.metadata.labels) && matchesFields(fields, o))
  const removed: unknown[] = []
  for (const o of doomed) {
    if (isDryRun(q)) {
      removed.push(listItem(def, o))
      continue
    }
    const gone = state.store.remove(key, o.metadata.namespace, o.metadata.name ?? '')
    if (gone) {
      afterDelete(state, def, gone, q.get('propagationPolicy') ?? undefined)
      removed.push(listItem(def, gone))
    }
  }
  r.reply.json(200, {kind: `${def.kind}List`, apiVersion: groupVersion(def), metadata: {resourceVersion: String(state.store.currentRv())}, items: removed})
}

function waitingText(reason: string | undefined): string {
  return reason === 'ErrImagePull' || reason === 'ImagePullBackOff' ? 'trying and failing to pull image' : (reason ?? 'ContainerCreating')
}

async function podLog(state: ServerState, r: ResourceRequest): Promise<void> {
  const pod = getExisting(state, r) as Pod
  const name = pod.metadata.name ?? ''
  const q = r.query
  const names = (pod.spec?.containers ?? []).map((c) => c.name)
  const all = [...names, ...(pod.spec?.initContainers ?? []).map((c) => c.name)]
  const container = q.get('container') ?? (names.length === 1 ? names[0]! : undefined)
  if (!container) throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${names.join(' ')}]`)
  if (!all.includes(container)) throw badRequest(`container ${container} is not valid for pod ${name}`)
  if (!pod.spec.nodeName) throw badRequest(`pod ${name} does not have a host assigned`)
  if (q.get('previous') === 'true') throw badRequest(`previous terminated container "${container}" in pod "${name}" not found`)
  const status = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])].find((c) => c.name === container)
  const managed = state.kubelet.manages(pod.metadata.uid)
  if ((managed || status) && (!status || status.state?.waiting)) {
    throw badRequest(`container "${container}" in pod "${name}" is waiting to start: ${waitingText(status?.state?.waiting?.reason)}`)
  }
  const num = (k: string): number | undefined => (q.get(k) !== null && q.get(k) !== '' ? Number(q.get(k)) : undefined)
  const opts = {
    ...(num('tailLines') !== undefined ? {tailLines: num('tailLines')!} : {}),
    ...(num('limitBytes') !== undefined ? {limitBytes: num('limitBytes')!} : {}),
    ...(num('sinceSeconds') !== undefined ? {sinceSeconds: num('sinceSeconds')!} : {}),
    timestamps: q.get('timestamps') === 'true',
  }
  const log = state.kubelet.log(pod.metadata.uid, container)
  if (!log || q.get('follow') !== 'true' || log.closed) {
    r.reply.text(200, log?.text(opts) ?? '')
    return
  }
  r.reply.stream(200, 'text/plain')
  await r.reply.write(log.text(opts))
  await new Promise<void>((resolve) => {
    const done = (): void => {
      stop()
      state.closers.delete(done)
      r.reply.end()
      resolve()
    }
    const stop = log.follow((chunk) => {
      if (chunk === null) done()
      else void r.reply.write(opts.timestamps ? chunk.replace(/^(?=.)/gm, `${new Date().toISOString()} `) : chunk)
    })
    state.closers.add(done)
    r.reply.res.on('close', done)
  })
}

function scaleOf(obj: KubeObject): KubeObject {
  const spec = obj.spec ?? {}
  const sel = isObject(spec.selector) && isObject(spec.selector.matchLabels) ? spec.selector.matchLabels : {}
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: obj.metadata.name,
      namespace: obj.metadata.namespace,
      uid: obj.metadata.uid,
      resourceVersion: obj.metadata.resourceVersion,
      creationTimestamp: obj.metadata.creationTimestamp,
    },
    spec: {replicas: Number(spec.replicas ?? 1)},
    status: {
      replicas: Number(obj.status?.replicas ?? 0),
      selector: Object.entries(sel)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(','),
    },
  }
}

async function scale(state: ServerState, r: ResourceRequest): Promise<void> {
  const existing = getExisting(state, r)
  if (r.verb === 'get') {
    r.reply.json(200, scaleOf(existing))
    return
  }
  let desired: KubeObject
  if (r.verb === 'patch') {
    const type = patchTypeOf(r.req.headers['content-type']) ?? 'merge'
    desired = applyPatch(type, scaleOf(existing), parseBody(await readBody(r.req), r.req.headers['content-type'])) as KubeObject
  } else desired = await bodyObject(r)
  const replicas = Number(desired.spec?.replicas)
  if (!Number.isInteger(replicas) || replicas < 0) throw badRequest('spec.replicas must be a non-negative integer')
  const stored = state.store.put(resourceKey(r.def), {...existing, spec: {...existing.spec, replicas}})
  r.reply.json(200, scaleOf(stored))
}

async function binding(state: ServerState, r: ResourceRequest): Promise<void> {
  const pod = getExisting(state, r) as Pod
  const body = await bodyObject(r)
  const target = isObject(body.target) ? String(body.target.name ?? '') : ''
  if (pod.spec.nodeName)
    throw new ApiError(
      409,
      'Conflict',
      `Operation cannot be fulfilled on pods/binding "${pod.metadata.name}": pod ${pod.metadata.name} is already assigned to node "${pod.spec.nodeName}"`,
    )
  state.store.put('pods', {...pod, spec: {...pod.spec, nodeName: target}})
  r.reply.json(201, {kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201})
}

async function eviction(state: ServerState, r: ResourceRequest): Promise<void> {
  const pod = getExisting(state, r)
  await readBody(r.req)
  const removed = state.store.remove('pods', pod.metadata.namespace, pod.metadata.name ?? '')
  if (removed) afterDelete(state, r.def, removed, undefined)
  r.reply.json(201, {kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201})
}

async function review(state: ServerState, r: ResourceRequest): Promise<void> {
  const body = await bodyObject(r)
  const spec = isObject(body.spec) ? body.spec : {}
  const base = {apiVersion: groupVersion(r.def), kind: r.def.kind, metadata: {creationTimestamp: null}, spec}
  const subjectIsUs = (): boolean => r.def.resource.startsWith('self') || spec.user === state.user
  let status: unknown
  switch (r.def.resource) {
    case 'selfsubjectreviews':
      r.reply.json(201, {...base, spec: undefined, status: {userInfo: {username: state.user, groups: [...state.groups, 'system:authenticated']}}})
      return
    case 'selfsubjectrulesreviews':
      status = state.authorizer.rulesReview(typeof spec.namespace === 'string' ? spec.namespace : '', state.registry)
      break
    default: {
      const ra = isObject(spec.resourceAttributes) ? spec.resourceAttributes : undefined
      let allowed = true
      if (ra) {
        const group = typeof ra.group === 'string' ? ra.group : ''
        const resource = typeof ra.resource === 'string' ? ra.resource : ''
        const namespaced = state.registry.all().find((d) => d.group === group && d.resource === resource)?.namespaced
        allowed = state.authorizer.allows({
          verb: String(ra.verb ?? ''),
          group,
          resource,
          ...(typeof ra.subresource === 'string' && ra.subresource ? {subresource: ra.subresource} : {}),
          ...(typeof ra.namespace === 'string' && ra.namespace ? {namespace: ra.namespace} : r.namespace ? {namespace: r.namespace} : {}),
          ...(typeof ra.name === 'string' && ra.name ? {name: ra.name} : {}),
          ...(namespaced !== undefined ? {namespaced} : {}),
        })
      }
      status = {allowed: allowed && subjectIsUs()}
    }
  }
  r.reply.json(201, {...base, status})
}

const SUBRESOURCE_VERBS: Record<string, string> = {GET: 'get', PUT: 'update', PATCH: 'patch', POST: 'create'}

export async function handleResource(state: ServerState, r: ResourceRequest): Promise<void> {
  const {def, verb} = r
  if (def.virtual) {
    if (verb !== 'create') throw methodNotAllowed()
    return review(state, r)
  }
  if (r.subresource) {
    const sub = def.subresources?.find((s) => s.name === r.subresource)
    if (!sub) throw notFound(gr(def), r.name ?? '')
    if (!(sub.verbs as readonly string[]).includes(verb)) throw methodNotAllowed()
    switch (`${def.group}/${def.resource}/${sub.name}`) {
      case '/pods/log':
        return podLog(state, r)
      case '/pods/binding':
        return binding(state, r)
      case '/pods/eviction':
        return eviction(state, r)
      default:
        if (sub.name === 'status') return verb === 'get' ? replyObject(r, 200, getExisting(state, r)) : verb === 'update' ? update(state, r) : patch(state, r)
        if (sub.name === 'scale') return scale(state, r)
        throw new ApiError(400, 'BadRequest', 'Upgrade request required')
    }
  }
  if (!(def.verbs as readonly string[]).includes(verb)) throw methodNotAllowed()
  switch (verb as Verb) {
    case 'list':
      return list(state, r)
    case 'watch':
      return watch(state, r)
    case 'get':
      return replyObject(r, 200, getExisting(state, r))
    case 'create':
      return create(state, r)
    case 'update':
      return update(state, r)
    case 'patch':
      return patch(state, r)
    case 'delete':
      return remove(state, r)
    case 'deletecollection':
      return removeCollection(state, r)
  }
}

/** The verb of a request as RBAC sees it (`get`, `list`, `watch`, `create`, ...). */
export function requestVerb(method: string, name: string | undefined, subresource: string | undefined, watchParam: boolean): string {
  if (subresource) return SUBRESOURCE_VERBS[method] ?? (method === 'DELETE' ? 'delete' : method.toLowerCase())
  switch (method) {
    case 'GET':
    case 'HEAD':
      return watchParam ? 'watch' : name ? 'get' : 'list'
    case 'POST':
      return 'create'
    case 'PUT':
      return 'update'
    case 'PATCH':
      return 'patch'
    case 'DELETE':
      return name ? 'delete' : 'deletecollection'
    default:
      return method.toLowerCase()
  }
}
