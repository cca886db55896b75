import type {ResolvedEnv} from '../../gather/platform-env.js'
import type {Inventory} from '../../gather/platform-list.js'
import type {CalicoSettings, ConfigMapSummary, PlatformNode, OpenShiftNetwork, PlatformWorkload} from '../../gather/platform-objects.js'
import {imageVersion} from '../../gather/platform-objects.js'
import type {CniEntry, CniId} from '../../knowledge/cni-signals.js'
import {AKS_CILIUM_LABEL, CALICO_BPF_ENV, CILIUM_KEYS, CNI_CATALOGUE, FLANNEL_NODE_ANNOTATION} from '../../knowledge/cni-signals.js'
import {inventoryGaps} from './inventory.js'

export interface CniComponent {
  readonly id: CniId
  readonly name: string
  /** `GKE-managed (anetd)`, `operator, BPF dataplane`, `chained (aws-cni)`. */
  readonly variant?: string
  readonly namespace?: string
  readonly daemonSet?: string
  readonly version?: string
  /** What identified it. */
  readonly signal: string
  readonly meta: boolean
  readonly verified: boolean
}

export interface CniDetection {
  /** The CNI that owns pod networking (undefined when none was seen). */
  readonly primary?: CniComponent
  readonly components: readonly CniComponent[]
  /** Why a CNI may have been missed (namespaces the caller could not read). */
  readonly gaps: readonly string[]
}

export interface CniInput {
  readonly daemonSets?: Inventory<PlatformWorkload>
  readonly nodes?: readonly PlatformNode[]
  readonly apiGroups?: readonly string[]
  readonly calico?: CalicoSettings | null
  readonly ciliumConfigs?: Inventory<ConfigMapSummary>
  readonly openshiftNetwork?: OpenShiftNetwork | null
  readonly workloadEnv?: Readonly<Record<string, ResolvedEnv>>
  /** Reasons inputs could not be read at all. */
  readonly unread?: readonly string[]
}

function ciliumVariant(ds: PlatformWorkload | undefined, input: CniInput): string {
  const config = input.ciliumConfigs?.items[0]?.data ?? {}
  const chaining = config[CILIUM_KEYS.chainingMode]
  const chained = chaining && chaining !== 'none' ? `, chained (${chaining})` : ''
  if (ds?.name === 'anetd') return `GKE-managed (anetd, Dataplane V2)${chained}`
  if (input.nodes?.some((n) => n.labels[AKS_CILIUM_LABEL.key] === AKS_CILIUM_LABEL.value)) return `AKS-managed (Azure CNI powered by Cilium)${chained}`
  return `self-managed${chained}`
}

function calicoVariant(ds: PlatformWorkload | undefined, input: CniInput): string {
  const operator = ds?.namespace === 'calico-system' || input.calico?.linuxDataplane !== undefined || input.apiGroups?.includes('operator.tigera.io') === true
  const env = ds ? input.workloadEnv?.[`${ds.namespace}/${ds.name}`]?.['calico-node']?.[CALICO_BPF_ENV]?.value : undefined
  const dataplane = input.calico?.linuxDataplane ?? (input.calico?.felixBpfEnabled === true || env?.toLowerCase() === 'true' ? 'BPF' : 'Iptables')
  return `${operator ? 'operator' : 'manifest'}, ${dataplane} dataplane`
}

function fromDaemonSet(entry: CniEntry, ds: PlatformWorkload, input: CniInput): CniComponent {
  const variant = entry.id === 'cilium' ? ciliumVariant(ds, input) : entry.id === 'calico' ? calicoVariant(ds, input) : undefined
  return {
    id: entry.id,
    name: entry.name,
    variant,
    namespace: ds.namespace,
    daemonSet: ds.name,
    version: imageVersion(ds.containers[0]?.image ?? ''),
    signal: `DaemonSet ${ds.namespace}/${ds.name}${entry.verified ? '' : ' (name not verified by the reference)'}`,
    meta: entry.meta === true,
    verified: entry.verified,
  }
}

/** Signals that are not a DaemonSet: CRDs, node annotations, the OpenShift network config. */
function otherSignal(entry: CniEntry, input: CniInput): Omit<CniComponent, 'id' | 'name' | 'meta' | 'verified'> | undefined {
  const group = entry.apiGroups?.find((g) => input.apiGroups?.includes(g))
  if (entry.id === 'cilium' && input.ciliumConfigs?.items[0]) {
    const cm = input.ciliumConfigs.items[0]
    return {variant: ciliumVariant(undefined, input), namespace: cm.namespace, signal: `ConfigMap ${cm.namespace}/${cm.name}`}
  }
  if (entry.id === 'calico' && (group || input.calico))
    return {variant: calicoVariant(undefined, input), signal: group ? `API group ${group} is served` : 'Calico FelixConfiguration'}
  if (entry.id === 'ovn-kubernetes' && input.openshiftNetwork?.networkType === 'OVNKubernetes')
    return {signal: 'networks.config.openshift.io cluster: networkType OVNKubernetes'}
  if (entry.id === 'flannel' && input.nodes?.some((n) => FLANNEL_NODE_ANNOTATION in n.annotations)) {
    return {variant: 'no DaemonSet (embedded, as in K3s)', signal: `node annotation ${FLANNEL_NODE_ANNOTATION}`}
  }
  if (entry.id === 'multus' && group) return {signal: `API group ${group} is served`}
  return undefined
}

/** Which CNI(s) run the pod network. */
export function detectCni(input: CniInput): CniDetection {
  const daemonSets = input.daemonSets?.items ?? []
  const components: CniComponent[] = []
  for (const entry of CNI_CATALOGUE) {
    const ds = daemonSets.find((d) => entry.daemonSets.some((s) => s.name === d.name && (s.namespace === undefined || s.namespace === d.namespace)))
    if (ds) {
      components.push(fromDaemonSet(entry, ds, input))
      continue
    }
    const other = otherSignal(entry, input)
    if (other) components.push({id: entry.id, name: entry.name, meta: entry.meta === true, verified: entry.verified, ...other})
  }
  // Flannel found only through node annotations is the embedded one: not when another CNI owns the network.
  const owners = components.filter((c) => !c.meta && !(c.id === 'flannel' && c.daemonSet === undefined))
  const kept = owners.length > 0 ? components.filter((c) => !(c.id === 'flannel' && c.daemonSet === undefined)) : components
  const candidates = kept.filter((c) => !c.meta)
  const primary = candidates.find((c) => !(c.id === 'cilium' && c.variant?.includes('chained'))) ?? candidates[0]
  const gaps = [...(input.unread ?? []), ...(input.daemonSets ? inventoryGaps(input.daemonSets, 'daemonsets') : [])]
  return {primary, components: kept, gaps}
}

export const cniLabel = (c: CniComponent | undefined): string =>
  c === undefined ? 'no CNI identified' : `${c.name}${c.version ? ` ${c.version}` : ''}${c.variant ? ` (${c.variant})` : ''}`
