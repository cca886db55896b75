// Server-side printing: meta.k8s.io Table responses for `kubectl get` without -o, with the same
// columns (and cell texts) as the real server's printers for the kinds covered here.
import type {PrinterColumn, ResourceDef} from './registry.js'
import type {ContainerStatus, KubeObject, Node, Pod} from './types.js'
import {isObject} from './types.js'
import {age, humanDuration} from './util.js'

export interface TableColumn {
  name: string
  type: string
  format: string
  description: string
  priority: number
}

export type IncludeObject = 'None' | 'Metadata' | 'Object'

export interface TableRow {
  cells: unknown[]
  object?: unknown
}

export interface Table {
  kind: 'Table'
  apiVersion: string
  metadata: {resourceVersion?: string; continue?: string; remainingItemCount?: number}
  columnDefinitions: TableColumn[]
  rows: TableRow[]
}

const col = (name: string, type: string, description: string, priority = 0, format = ''): TableColumn => ({
  name,
  type,
  format,
  description,
  priority,
})
const NAME = col(
  'Name',
  'string',
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names',
  0,
  'name',
)
const AGE = col(
  'Age',
  'string',
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata',
)

type Printer = {columns: TableColumn[]; cells: (obj: KubeObject, now: number) => unknown[]}

function podCells(obj: KubeObject, now: number): unknown[] {
  const pod = obj as Pod
  const status = pod.status ?? {}
  let reason: string = status.reason || status.phase || ''
  let restarts = 0
  let ready = 0
  let initializing = false
  const initStatuses: ContainerStatus[] = status.initContainerStatuses ?? []
  for (const [i, c] of initStatuses.entries()) {
    restarts += c.restartCount ?? 0
    const t = c.state?.terminated
    const w = c.state?.waiting
    if (t && t.exitCode === 0) continue
    if (t) reason = t.reason ? `Init:${t.reason}` : t.signal ? `Init:Signal:${t.signal}` : `Init:ExitCode:${t.exitCode}`
    else if (w?.reason && w.reason !== 'PodInitializing') reason = `Init:${w.reason}`
    else reason = `Init:${i}/${pod.spec.initContainers?.length ?? initStatuses.length}`
    initializing = true
    break
  }
  const initialized = (status.conditions ?? []).some((c) => c.type === 'Initialized' && c.status === 'True')
  if (!initializing || initialized) {
    restarts = 0
    let hasRunning = false
    const statuses = status.containerStatuses ?? []
    for (let i = statuses.length - 1; i >= 0; i--) {
      const c = statuses[i]!
      restarts += c.restartCount ?? 0
      const t = c.state?.terminated
      if (c.state?.waiting?.reason) reason = c.state.waiting.reason
      else if (t?.reason) reason = t.reason
      else if (t) reason = t.signal ? `Signal:${t.signal}` : `ExitCode:${t.exitCode}`
      else if (c.ready && c.state?.running) {
        hasRunning = true
        ready++
      }
    }
    if (reason === 'Completed' && hasRunning) {
      reason = (status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True') ? 'Running' : 'NotReady'
    }
  }
  if (pod.metadata.deletionTimestamp) reason = status.reason === 'NodeLost' ? 'Unknown' : 'Terminating'
  const gates = pod.spec.readinessGates?.length ?? 0
  return [
    pod.metadata.name,
    `${ready}/${pod.spec.containers?.length ?? 0}`,
    reason,
    String(restarts),
    age(pod.metadata.creationTimestamp, now),
    status.podIP || '<none>',
    pod.spec.nodeName || '<none>',
    (status.nominatedNodeName as string | undefined) || '<none>',
    gates ? `0/${gates}` : '<none>',
  ]
}

function nodeCells(obj: KubeObject, now: number): unknown[] {
  const node = obj as Node
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready')
  let state = ready?.status === 'True' ? 'Ready' : ready?.status === 'False' ? 'NotReady' : 'Unknown'
  if (node.spec?.unschedulable) state += ',SchedulingDisabled'
  const roles = new Set<string>()
  for (const [k, v] of Object.entries(node.metadata.labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/') && k.length > 'node-role.kubernetes.io/'.length) roles.add(k.slice('node-role.kubernetes.io/'.length))
    if (k === 'kubernetes.io/role' && v) roles.add(v)
  }
  const address = (type: string): string => node.status?.addresses?.find((a) => a.type === type)?.address ?? '<none>'
  const info = node.status?.nodeInfo ?? {}
  return [
    node.metadata.name,
    state,
    roles.size ? [...roles].sort().join(',') : '<none>',
    age(node.metadata.creationTimestamp, now),
    info.kubeletVersion ?? '',
    address('InternalIP'),
    address('ExternalIP'),
    info.osImage ?? '<unknown>',
    info.kernelVersion ?? '<unknown>',
    info.containerRuntimeVersion ?? '<unknown>',
  ]
}

function selectorText(sel: unknown): string {
  if (!isObject(sel)) return '<none>'
  const labels = isObject(sel.matchLabels) ? sel.matchLabels : sel
  const parts = Object.entries(labels)
    .filter(([, v]) => typeof v === 'string')
    .map(([k, v]) => `${k}=${String(v)}`)
  return parts.length ? parts.join(',') : '<none>'
}

function serviceCells(obj: KubeObject, now: number): unknown[] {
  const spec = obj.spec ?? {}
  const type = typeof spec.type === 'string' ? spec.type : 'ClusterIP'
  const ports = Array.isArray(spec.ports) ? spec.ports.filter(isObject) : []
  const portText = ports.length
    ? ports
        .map((p) =>
          p.nodePort ? `${String(p.port)}:${String(p.nodePort)}/${String(p.protocol ?? 'TCP')}` : `${String(p.port)}/${String(p.protocol ?? 'TCP')}`,
        )
        .join(',')
    : '<none>'
  let external = Array.isArray(spec.externalIPs) && spec.externalIPs.length ? spec.externalIPs.join(',') : '<none>'
  if (type === 'ExternalName') external = String(spec.externalName ?? '<none>')
  if (type === 'LoadBalancer') {
    const lb = isObject(obj.status?.loadBalancer) ? obj.status.loadBalancer : {}
    const ingress = Array.isArray(lb.ingress) ? lb.ingress.filter(isObject).map((i) => String(i.ip ?? i.hostname ?? '')) : []
    external = ingress.length ? ingress.join(',') : '<pending>'
  }
  return [
    obj.metadata.name,
    type,
    String(spec.clusterIP ?? '<none>'),
    external,
    portText,
    age(obj.metadata.creationTimestamp, now),
    selectorText(spec.selector),
  ]
}

function deploymentCells(obj: KubeObject, now: number): unknown[] {
  const spec = obj.spec ?? {}
  const status = obj.status ?? {}
  const template = isObject(spec.template) && isObject(spec.template.spec) ? spec.template.spec : {}
  const containers = Array.isArray(template.containers) ? template.containers.filter(isObject) : []
  return [
    obj.metadata.name,
    `${Number(status.readyReplicas ?? 0)}/${Number(spec.replicas ?? 1)}`,
    Number(status.updatedReplicas ?? 0),
    Number(status.availableReplicas ?? 0),
    age(obj.metadata.creationTimestamp, now),
    containers.map((c) => String(c.name)).join(','),
    containers.map((c) => String(c.image)).join(','),
    selectorText(spec.selector),
  ]
}

function eventCells(obj: KubeObject, now: number): unknown[] {
  const o = obj as KubeObject & Record<string, unknown>
  const involved = isObject(o.involvedObject) ? o.involvedObject : {}
  const source = isObject(o.source) ? o.source : {}
  const last = o.lastTimestamp ?? o.eventTime ?? obj.metadata.creationTimestamp
  const first = o.firstTimestamp ?? o.eventTime ?? obj.metadata.creationTimestamp
  return [
    age(last, now),
    o.type ?? '',
    o.reason ?? '',
    `${String(involved.kind ?? '').toLowerCase()}/${String(involved.name ?? '')}`,
    involved.fieldPath ?? '',
    [source.component, source.host].filter(Boolean).join(', '),
    o.message ?? '',
    age(first, now),
    Number(o.count ?? 1),
    obj.metadata.name,
  ]
}

const dataCount = (o: KubeObject): number => ['data', 'binaryData'].reduce((n, k) => n + (isObject(o[k]) ? Object.keys(o[k] as object).length : 0), 0)

const PRINTERS: Record<string, Printer> = {
  configmaps: {
    columns: [NAME, col('Data', 'string', 'Data contains the configuration data.'), AGE],
    cells: (o, now) => [o.metadata.name, dataCount(o), age(o.metadata.creationTimestamp, now)],
  },
  secrets: {
    columns: [NAME, col('Type', 'string', 'The type of the secret'), col('Data', 'string', 'The number of data items in the secret'), AGE],
    cells: (o, now) => [o.metadata.name, String(o.type ?? 'Opaque'), dataCount(o), age(o.metadata.creationTimestamp, now)],
  },
  events: {
    columns: [
      col('Last Seen', 'string', 'Time when last event occurred'),
      col('Type', 'string', 'Type of this event (Normal, Warning), new types could be added in the future.'),
      col(
        'Reason',
        'string',
        "This should be a short, machine understandable string that gives the reason for this event being generated. For example, if the event is reporting that a container can't start, the Reason might be 'ImagePullBackOff'.",
      ),
      col('Object', 'string', 'Object this event is about.'),
      col('Subobject', 'string', 'The field of the object this event is about.', 1),
      col('Source', 'string', 'The component reporting this event.', 1),
      col('Message', 'string', 'A human-readable description of the status of this operation.'),
      col('First Seen', 'string', 'The time at which the event was first recorded.', 1),
      col('Count', 'string', 'The number of times this event has occurred.', 1),
      col('Name', 'string', 'Name of the event.', 1, 'name'),
    ],
    cells: eventCells,
  },
  pods: {
    columns: [
      NAME,
      col('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
      col('Status', 'string', 'The aggregate status of the containers in this pod.'),
      col('Restarts', 'string', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
      AGE,
      col('IP', 'string', 'IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.', 1),
      col('Node', 'string', 'NodeName is a request to schedule this pod onto a specific node.', 1),
      col('Nominated Node', 'string', 'nominatedNodeName is set only when this pod preempts other pods on the node.', 1),
      col('Readiness Gates', 'string', 'If specified, all readiness gates will be evaluated for pod readiness.', 1),
    ],
    cells: podCells,
  },
  nodes: {
    columns: [
      NAME,
      col('Status', 'string', 'The status of the node'),
      col('Roles', 'string', 'The roles of the node'),
      AGE,
      col('Version', 'string', 'Kubelet Version reported by the node.'),
      col('Internal-IP', 'string', 'List of addresses reachable to the node. Queried from cloud provider, if available.', 1),
      col('External-IP', 'string', 'List of addresses reachable to the node. Queried from cloud provider, if available.', 1),
      col('OS-Image', 'string', 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).', 1),
      col('Kernel-Version', 'string', "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", 1),
      col('Container-Runtime', 'string', 'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).', 1),
    ],
    cells: nodeCells,
  },
  namespaces: {
    columns: [NAME, col('Status', 'string', 'The status of the namespace'), AGE],
    cells: (o, now) => [o.metadata.name, String(o.status?.phase ?? 'Active'), age(o.metadata.creationTimestamp, now)],
  },
  services: {
    columns: [
      NAME,
      col('Type', 'string', 'type determines how the Service is exposed.'),
      col('Cluster-IP', 'string', 'clusterIP is the IP address of the service and is usually assigned randomly.'),
      col('External-IP', 'string', 'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.'),
      col('Port(s)', 'string', 'The list of ports that are exposed by this service.'),
      AGE,
      col('Selector', 'string', 'Route service traffic to pods with label keys and values matching this selector.', 1),
    ],
    cells: serviceCells,
  },
  deployments: {
    columns: [
      NAME,
      col('Ready', 'string', 'Number of the pod with ready state'),
      col('Up-to-date', 'string', 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.'),
      col('Available', 'string', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.'),
      AGE,
      col('Containers', 'string', 'Names of each container in the template.', 1),
      col('Images', 'string', 'Images referenced by each container in the template.', 1),
      col(
        'Selector',
        'string',
        'Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.',
        1,
      ),
    ],
    cells: deploymentCells,
  },
  default: {
    columns: [NAME, AGE],
    cells: (o, now) => [o.metadata.name, age(o.metadata.creationTimestamp, now)],
  },
}

/** Evaluates the simple JSONPath subset CRD printer columns use: `.a.b`, `[0]`, `['k']`, `[?(@.k=="v")]`. */
export function evalJsonPath(obj: unknown, path: string): unknown {
  const tokens = path.match(/\.[^.[\]]+|\[[^\]]*\]/g) ?? []
  let cur: unknown = obj
  for (const t of tokens) {
    if (cur === undefined || cur === null) return undefined
    if (t.startsWith('.')) cur = isObject(cur) ? cur[t.slice(1)] : undefined
    else {
      const inner = t.slice(1, -1)
      const filter = /^\?\(@\.([\w.-]+)\s*==\s*["']?([^"']*)["']?\)$/.exec(inner)
      if (filter && Array.isArray(cur)) cur = cur.find((e) => isObject(e) && String(evalJsonPath(e, `.${filter[1]}`)) === filter[2])
      else if (/^\d+$/.test(inner) && Array.isArray(cur)) cur = cur[Number(inner)]
      else cur = isObject(cur) ? cur[inner.replace(/^['"]|['"]$/g, '')] : undefined
    }
  }
  return cur
}

function crdPrinter(columns: readonly PrinterColumn[]): Printer {
  return {
    columns: [NAME, ...columns.map((c) => col(c.name, c.type === 'date' ? 'date' : c.type, c.description ?? '', c.priority ?? 0, c.format ?? ''))],
    cells: (o, now) => [
      o.metadata.name,
      ...columns.map((c) => {
        const v = evalJsonPath(o, c.jsonPath)
        if (v === undefined || v === null) return null
        if (c.type === 'date') return typeof v === 'string' ? humanDuration(now - Date.parse(v)) : null
        if (isObject(v) || Array.isArray(v)) return JSON.stringify(v)
        return v
      }),
    ],
  }
}

function printerFor(def: ResourceDef): Printer {
  if (def.printerColumns?.length) return crdPrinter(def.printerColumns)
  return PRINTERS[def.printer ?? 'default'] ?? PRINTERS.default!
}

export function tableColumns(def: ResourceDef): TableColumn[] {
  return printerFor(def).columns
}

function rowObject(obj: KubeObject, include: IncludeObject, metaApiVersion: string): unknown {
  if (include === 'None') return undefined
  if (include === 'Object') return obj
  return {kind: 'PartialObjectMetadata', apiVersion: metaApiVersion, metadata: obj.metadata}
}

export function tableRow(def: ResourceDef, obj: KubeObject, include: IncludeObject, metaApiVersion: string, now = Date.now()): TableRow {
  const printer = printerFor(def)
  const object = rowObject(obj, include, metaApiVersion)
  return {cells: printer.cells(obj, now).slice(0, printer.columns.length), ...(object ? {object} : {})}
}

export function toTable(
  def: ResourceDef,
  objects: readonly KubeObject[],
  opts: {include: IncludeObject; metaApiVersion: string; metadata: Table['metadata']; noHeaders?: boolean},
): Table {
  const now = Date.now()
  return {
    kind: 'Table',
    apiVersion: opts.metaApiVersion,
    metadata: opts.metadata,
    columnDefinitions: opts.noHeaders ? [] : tableColumns(def),
    rows: objects.map((o) => tableRow(def, o, opts.include, opts.metaApiVersion, now)),
  }
}
