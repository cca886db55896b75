import {compareNumeric, compareText} from '../model/collate.js'
import type {Fact, Subject} from '../model/finding.js'
import {known} from '../model/finding.js'
import {UserError} from '../model/errors.js'
import type {Backend, Interception, Mode} from '../knowledge/kernel-modules.js'
import type {KubeClient} from './kube/client.js'
import {ApiError} from './kube/errors.js'
import {streamList} from './kube/list.js'
import type {KernelEvidence} from './probe/parse-probe.js'
import type {ProbeProblem} from './probe/pods.js'

/** The node fields that decide grouping and probing. */
export interface NodeSummary {
  readonly name: string
  readonly kernelVersion: string
  readonly osImage: string
  readonly architecture: string
  readonly containerRuntime: string
  readonly operatingSystem: string
  readonly ready: boolean
  readonly podCIDRs: readonly string[]
  /** The node pool from the platform's label (see POOL_LABELS), when there is one. */
  readonly pool?: string
  /** `node.kubernetes.io/instance-type`. */
  readonly instanceType?: string
  /** `topology.kubernetes.io/zone`. */
  readonly zone?: string
}

/**
 * Labels that name a node's pool, first match wins: EKS managed node groups, eksctl, Karpenter, GKE, AKS (current and
 * legacy), DigitalOcean. Well-known labels: https://kubernetes.io/docs/reference/labels-annotations-taints/
 */
export const POOL_LABELS = [
  'eks.amazonaws.com/nodegroup',
  'alpha.eksctl.io/nodegroup-name',
  'karpenter.sh/nodepool',
  'cloud.google.com/gke-nodepool',
  'kubernetes.azure.com/agentpool',
  'agentpool',
  'doks.digitalocean.com/node-pool',
] as const
export const INSTANCE_TYPE_LABEL = 'node.kubernetes.io/instance-type'
export const ZONE_LABEL = 'topology.kubernetes.io/zone'

export type ProbeOutcome =
  | {
      readonly state: 'ok'
      readonly source: 'pod' | 'local' | 'host-root' | 'kernel-config'
      readonly node?: string
      readonly pod?: string
      readonly input?: string
    }
  | {readonly state: 'skipped'; readonly reason: 'windows'}
  | {
      readonly state: 'failed'
      readonly problem: ProbeProblem | 'not-ready' | 'output'
      readonly message: string
      readonly node?: string
      readonly pod?: string
      readonly image?: string
      readonly policy?: string
      readonly permission?: string
    }

/** Nodes that share kernel, OS image, architecture and container runtime: one probe, one verdict. */
export interface NodeGroup {
  readonly id: string
  readonly subject: Subject
  readonly kernelVersion: string
  readonly osImage: string
  readonly architecture: string
  readonly containerRuntime: string
  readonly nodes: readonly string[]
  readonly notReady: readonly string[]
  readonly windows: boolean
  readonly probe: ProbeOutcome
}

export type IpFamilies = 'ipv4' | 'ipv6' | 'dual'

/** What the run judges: the set-ups selected by flags, and the cluster's IP families. */
export interface NodesSetup {
  readonly istioVersion: string
  readonly modes: readonly Mode[]
  readonly backends: readonly Backend[]
  readonly ipFamilies: IpFamilies
  /** How the families were found: "--ip-families", "node podCIDRs and the kubernetes Service", or an assumption. */
  readonly ipFamiliesSource: string
  readonly dnsCapture: Readonly<Record<Mode, boolean>>
  readonly interception: Interception
  readonly functional: boolean
  readonly image?: string
}

/** `M` is the kernel matrix derived from `kernel` (derive/kernel/matrix.ts KernelMatrix; a parameter because gather sits below derive). */
export interface NodeGroupFacts<M = unknown> {
  [key: string]: Fact<unknown>
  group: Fact<NodeGroup>
  kernel: Fact<KernelEvidence>
  /** Every mode × backend judged once on `kernel`: unavailable, for the same reason, where the kernel evidence is. */
  matrix: Fact<M>
  setup: Fact<NodesSetup>
}

interface NodeObject {
  metadata?: {name?: string; labels?: Record<string, string>}
  spec?: {podCIDR?: string; podCIDRs?: string[]}
  status?: {nodeInfo?: Record<string, string>; conditions?: Array<{type?: string; status?: string}>}
}

export function summarizeNode(node: NodeObject): NodeSummary {
  const info = node.status?.nodeInfo ?? {}
  const labels = node.metadata?.labels ?? {}
  return {
    name: node.metadata?.name ?? '',
    kernelVersion: info.kernelVersion ?? '',
    osImage: info.osImage ?? '',
    architecture: info.architecture ?? labels['kubernetes.io/arch'] ?? '',
    containerRuntime: info.containerRuntimeVersion ?? '',
    operatingSystem: info.operatingSystem ?? labels['kubernetes.io/os'] ?? 'linux',
    ready: node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
    podCIDRs: node.spec?.podCIDRs ?? (node.spec?.podCIDR ? [node.spec.podCIDR] : []),
    ...optional(
      'pool',
      POOL_LABELS.map((l) => labels[l]).find((v) => v !== undefined && v !== ''),
    ),
    ...optional('instanceType', labels[INSTANCE_TYPE_LABEL] ?? labels['beta.kubernetes.io/instance-type']),
    ...optional('zone', labels[ZONE_LABEL] ?? labels['failure-domain.beta.kubernetes.io/zone']),
  }
}

const optional = <K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> => (value ? ({[key]: value} as Record<K, string>) : {})

export const isWindows = (n: NodeSummary) => n.operatingSystem.toLowerCase() === 'windows'

export interface NodeGroupDraft {
  readonly id: string
  readonly groupingKey: string
  readonly subject: Subject
  readonly key: Pick<NodeSummary, 'kernelVersion' | 'osImage' | 'architecture' | 'containerRuntime'>
  readonly nodes: readonly NodeSummary[]
  readonly windows: boolean
}

/** What makes nodes one group: kernel, OS image, architecture and runtime (or the node itself with --all-nodes). */
export function groupKey(node: NodeSummary, perNode: boolean): string {
  return perNode ? node.name : [node.kernelVersion, node.osImage, node.architecture, node.containerRuntime].join('\u0000')
}

const distinct = (values: ReadonlyArray<string | undefined>) => [...new Set(values.filter((v): v is string => Boolean(v)))]
const listed = (names: readonly string[], what: string) => (names.length <= 2 ? names.join(', ') : `${names[0]} +${names.length - 1} ${what}`)
const firstNode = (members: readonly NodeSummary[]) => `${members[0]!.name}${members.length > 1 ? ` +${members.length - 1}` : ''}`

/**
 * A name a user recognises: the node pool when every node carries a pool label (`pool-a`, `pool-a, pool-b`), else the
 * instance type, else the first node's name and how many more (`worker-a-0 +1`). The zone, then the kernel are
 * added where two groups would otherwise share a name; kernel and OS have their own columns in the matrix.
 */
export function groupNames(groups: ReadonlyArray<readonly NodeSummary[]>): string[] {
  const base = groups.map((members) => {
    const pools = distinct(members.map((n) => n.pool))
    if (pools.length > 0 && members.every((n) => n.pool)) return listed(pools, 'pools')
    const types = distinct(members.map((n) => n.instanceType))
    if (types.length > 0 && members.every((n) => n.instanceType)) return listed(types, 'types')
    return firstNode(members)
  })
  const clash = (names: readonly string[], i: number) => names.filter((n) => n === names[i]).length > 1
  const withZone = base.map((name, i) => {
    const zones = distinct(groups[i]!.map((n) => n.zone))
    return clash(base, i) && zones.length === 1 ? `${name}, ${zones[0]}` : name
  })
  const withKernel = withZone.map((name, i) => (clash(withZone, i) ? `${name}, ${groups[i]![0]!.kernelVersion || 'unknown kernel'}` : name))
  return withKernel.map((name, i) => (clash(withKernel, i) ? firstNode(groups[i]!) : name))
}

/** Groups nodes (or one group per node), in a stable order: biggest first. */
export function groupNodes(nodes: readonly NodeSummary[], perNode: boolean): NodeGroupDraft[] {
  const byKey = new Map<string, NodeSummary[]>()
  for (const node of [...nodes].sort((a, b) => compareNumeric(a.name, b.name))) {
    const key = groupKey(node, perNode)
    const members = byKey.get(key)
    if (members) members.push(node)
    else byKey.set(key, [node])
  }
  const entries = [...byKey.entries()]
  const names = perNode ? [] : groupNames(entries.map(([, members]) => members))
  const drafts = entries.map(([groupingKey, members], i) => {
    const first = members[0]!
    const key = {kernelVersion: first.kernelVersion, osImage: first.osImage, architecture: first.architecture, containerRuntime: first.containerRuntime}
    const subject: Subject = perNode ? {kind: 'Node', name: first.name} : {kind: 'NodeGroup', name: names[i]!}
    return {subject, key, groupingKey, nodes: members, windows: members.some(isWindows)}
  })
  drafts.sort((a, b) => b.nodes.length - a.nodes.length || compareText(a.subject.name, b.subject.name))
  return drafts.map((d, i) => ({id: `g${i + 1}`, ...d}))
}

/** IP families from node pod CIDRs and the `kubernetes` Service; undefined when neither says anything. */
export function ipFamiliesFrom(nodes: readonly NodeSummary[], serviceFamilies: readonly string[] | undefined): IpFamilies | undefined {
  const cidrs = nodes.flatMap((n) => n.podCIDRs)
  const v6 = cidrs.some((c) => c.includes(':')) || serviceFamilies?.includes('IPv6') === true
  const v4 = cidrs.some((c) => !c.includes(':')) || serviceFamilies?.includes('IPv4') === true
  if (v4 && v6) return 'dual'
  if (v6) return 'ipv6'
  if (v4) return 'ipv4'
  return undefined
}

/**
 * Lists nodes (paginated, through the gathers' one list helper), calling `onNode` as each arrives; a 403 becomes an
 * unavailable fact naming the permission. In check's snapshot the pages are the ones the platform gather listed
 * (same page size, no selector): the nodes are listed once per run.
 */
export async function listNodes(
  client: KubeClient,
  selector: string | undefined,
  signal: AbortSignal,
  onNode?: (node: NodeSummary) => void,
): Promise<Fact<NodeSummary[]>> {
  // A restarted list (expired continue token) yields nodes again: onNode sees each name once.
  const seen = new Set<string>()
  const nodes: NodeSummary[] = []
  const badSelector = (sel: string, error: ApiError) => new UserError(`-l "${sel}" is not a valid label selector: ${error.message}`)
  const read = await streamList<NodeObject>(
    client,
    {prefix: '/api/v1', resource: 'nodes', labelSelector: selector, signal, badSelector},
    (items) => {
      for (const item of items) {
        const node = summarizeNode(item)
        nodes.push(node)
        if (!seen.has(node.name)) {
          seen.add(node.name)
          onNode?.(node)
        }
      }
    },
    () => (nodes.length = 0),
  )
  return read.state === 'unavailable' ? read : known(nodes)
}

/** The families of the `kubernetes` Service in `default`; undefined when it cannot be read. */
export async function kubernetesServiceFamilies(client: KubeClient): Promise<string[] | undefined> {
  try {
    const svc = await client.get<{spec?: {ipFamilies?: string[]; clusterIPs?: string[]; clusterIP?: string}}>('/api/v1/namespaces/default/services/kubernetes')
    const ips = svc.spec?.clusterIPs ?? (svc.spec?.clusterIP ? [svc.spec.clusterIP] : [])
    return svc.spec?.ipFamilies ?? ips.map((ip) => (ip.includes(':') ? 'IPv6' : 'IPv4'))
  } catch (error) {
    if (error instanceof ApiError) return undefined
    throw error
  }
}
