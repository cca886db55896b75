import type {PlatformNode, ObjectRef} from '../../gather/platform-objects.js'
import type {PlatformEntry, PlatformFeatureId, PlatformId, SignalMatcher, SignalStrength} from '../../knowledge/platform-signals.js'
import {NODE_FLAVOURS, NODE_MATCHERS, PLATFORM_CATALOGUE, PLATFORM_FEATURES} from '../../knowledge/platform-signals.js'

/** What detection looks at. A field left undefined could not be read; `unread` says why. */
export interface DetectionInput {
  readonly serverVersion?: string
  readonly nodes?: readonly PlatformNode[]
  readonly apiGroups?: readonly string[]
  readonly daemonSets?: readonly ObjectRef[]
  readonly namespaces?: readonly string[]
  readonly webhooks?: readonly string[]
  readonly resourceQuotas?: readonly ObjectRef[]
  readonly unread?: readonly string[]
}

export type Confidence = 'high' | 'medium' | 'low' | 'none'

export interface MatchedSignal {
  readonly signal: string
  readonly strength: SignalStrength
  /** For node signals: on how many nodes, of how many. */
  readonly nodes?: number
  readonly of?: number
}

export interface PlatformNodeGroup {
  readonly platform: PlatformId
  /** `EKS (Auto Mode)`. */
  readonly name: string
  readonly nodes: number
  readonly examples: readonly string[]
}

export interface PlatformDetection {
  readonly platform: PlatformId
  readonly name: string
  readonly confidence: Confidence
  readonly signals: readonly MatchedSignal[]
  readonly features: ReadonlyArray<{readonly id: PlatformFeatureId; readonly name: string; readonly signal: string}>
  /** Lower-precedence platforms that also had a strong signal (kubeadm under kind, the cloud under OpenShift). */
  readonly alsoMatched: readonly PlatformId[]
  readonly nodeGroups: readonly PlatformNodeGroup[]
  /** Nodes positively identify more than one platform or flavour. */
  readonly mixed: boolean
  readonly unread: readonly string[]
}

export function describeMatcher(m: SignalMatcher): string {
  switch (m.on) {
    case 'serverVersion':
      return `server version ${m.says}`
    case 'kubeletVersion':
      return `kubelet version ${m.says}`
    case 'label':
      return `label ${m.key}${m.value === undefined ? '' : `=${m.value}`}`
    case 'annotation':
      return `annotation ${m.key}${m.prefix ? '*' : ''}`
    case 'providerID':
      return `providerID ${m.prefix}…`
    case 'osImage':
      return `osImage "${m.prefix}…"`
    case 'kernelVersion':
      return `kernel version ${m.says}`
    case 'nodeName':
      return `node name ${m.says}`
    case 'containerRuntime':
      return `container runtime ${m.says}`
    case 'apiGroup':
      return `API group ${m.group} is served`
    case 'daemonSet':
      return `DaemonSet ${m.namespace}/${m.name}`
    case 'namespace':
      return `namespace ${m.name}`
    case 'webhook':
      return `MutatingWebhookConfiguration ${m.name}`
    case 'resourceQuota':
      return `ResourceQuota ${m.namespace}/${m.name}`
  }
}

export function nodeMatches(m: SignalMatcher, n: PlatformNode): boolean {
  switch (m.on) {
    case 'kubeletVersion':
      return m.pattern.test(n.kubeletVersion ?? '')
    case 'label':
      return m.key in n.labels && (m.value === undefined || n.labels[m.key] === m.value)
    case 'annotation':
      return m.prefix ? Object.keys(n.annotations).some((k) => k.startsWith(m.key)) : m.key in n.annotations
    case 'providerID':
      return (n.providerID ?? '').startsWith(m.prefix)
    case 'osImage':
      return (n.osImage ?? '').startsWith(m.prefix)
    case 'kernelVersion':
      return m.pattern.test(n.kernelVersion ?? '')
    case 'nodeName':
      return m.pattern.test(n.name)
    case 'containerRuntime':
      return m.pattern.test(n.containerRuntimeVersion ?? '')
    default:
      return false
  }
}

const hasRef = (refs: readonly ObjectRef[] | undefined, namespace: string, name: string) =>
  refs?.some((r) => r.namespace === namespace && r.name === name) === true

function clusterMatches(m: SignalMatcher, input: DetectionInput): boolean {
  switch (m.on) {
    case 'serverVersion':
      return m.pattern.test(input.serverVersion ?? '')
    case 'apiGroup':
      return input.apiGroups?.includes(m.group) === true
    case 'daemonSet':
      return hasRef(input.daemonSets, m.namespace, m.name)
    case 'namespace':
      return input.namespaces?.includes(m.name) === true
    case 'webhook':
      return input.webhooks?.includes(m.name) === true
    case 'resourceQuota':
      return hasRef(input.resourceQuotas, m.namespace, m.name)
    default:
      return false
  }
}

interface Evaluation {
  readonly entry: PlatformEntry
  readonly signals: MatchedSignal[]
  readonly strong: boolean
  readonly coversAll: boolean
}

function evaluate(entry: PlatformEntry, input: DetectionInput): Evaluation {
  const nodes = input.nodes ?? []
  const signals: MatchedSignal[] = []
  let coversAll = false
  for (const {match, strength} of entry.signals) {
    if (NODE_MATCHERS.has(match.on)) {
      const count = nodes.filter((n) => nodeMatches(match, n)).length
      if (count === 0) continue
      signals.push({signal: describeMatcher(match), strength, nodes: count, of: nodes.length})
      if (strength === 'strong' && count === nodes.length) coversAll = true
    } else if (clusterMatches(match, input)) {
      signals.push({signal: describeMatcher(match), strength})
      if (strength === 'strong') coversAll = true
    }
  }
  return {entry, signals, strong: signals.some((s) => s.strength === 'strong'), coversAll}
}

function confidenceOf(e: Evaluation): Confidence {
  if (e.entry.fallback) return 'low'
  if (e.coversAll) return e.signals.length >= 2 ? 'high' : 'medium'
  return e.signals.length >= 2 ? 'medium' : 'low'
}

const strongOnNode = (entry: PlatformEntry, node: PlatformNode) =>
  entry.signals.some((s) => s.strength === 'strong' && NODE_MATCHERS.has(s.match.on) && nodeMatches(s.match, node))

/** Groups nodes by the platform (and flavour) they identify themselves as; silent nodes go with the cluster's platform. */
function groupNodes(nodes: readonly PlatformNode[], chosen: PlatformId): PlatformNodeGroup[] {
  const groups = new Map<string, {platform: PlatformId; name: string; nodes: string[]}>()
  for (const node of nodes) {
    const entry = PLATFORM_CATALOGUE.find((e) => strongOnNode(e, node)) ?? PLATFORM_CATALOGUE.find((e) => e.id === chosen)
    const platform = entry?.id ?? 'unknown'
    const flavours = NODE_FLAVOURS.find((f) => f.platform === platform)
    const flavour = flavours ? (flavours.names[node.labels[flavours.labelKey] ?? ''] ?? flavours.otherwise) : undefined
    const name = `${entry?.name ?? 'unknown'}${flavour ? ` (${flavour})` : ''}`
    const group = groups.get(name) ?? {platform, name, nodes: []}
    group.nodes.push(node.name)
    groups.set(name, group)
  }
  return [...groups.values()]
    .sort((a, b) => b.nodes.length - a.nodes.length || a.name.localeCompare(b.name))
    .map((g) => ({platform: g.platform, name: g.name, nodes: g.nodes.length, examples: g.nodes.slice(0, 3)}))
}

/**
 * Table-driven platform detection: every node is looked at, the highest-precedence platform
 * with a strong signal wins, and each matched signal is reported with a confidence.
 */
export function detectPlatform(input: DetectionInput): PlatformDetection {
  const evaluations = PLATFORM_CATALOGUE.map((entry) => evaluate(entry, input)).filter((e) => e.strong)
  const chosen = evaluations[0]
  const platform: PlatformId = chosen?.entry.id ?? 'unknown'
  const features = PLATFORM_FEATURES.filter((f) => f.platform === platform).flatMap((f) => {
    const match = f.signals.find((m) => (NODE_MATCHERS.has(m.on) ? (input.nodes ?? []).some((n) => nodeMatches(m, n)) : clusterMatches(m, input)))
    return match ? [{id: f.id, name: f.name, signal: describeMatcher(match)}] : []
  })
  const nodeGroups = groupNodes(input.nodes ?? [], platform)
  return {
    platform,
    name: chosen?.entry.name ?? 'unknown platform',
    confidence: chosen ? confidenceOf(chosen) : 'none',
    signals: chosen?.signals ?? [],
    features,
    alsoMatched: evaluations.slice(1).map((e) => e.entry.id),
    nodeGroups,
    mixed: nodeGroups.length > 1,
    unread: input.unread ?? [],
  }
}

export const hasFeature = (d: PlatformDetection, id: PlatformFeatureId): boolean => d.features.some((f) => f.id === id)

/** `GKE (Autopilot, Dataplane V2)`. */
export const platformLabel = (d: PlatformDetection): string => (d.features.length > 0 ? `${d.name} (${d.features.map((f) => f.name).join(', ')})` : d.name)
