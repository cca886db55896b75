import type {DryRunResult} from '../../gather/platform.js'
import type {Inventory} from '../../gather/platform-list.js'
import type {QuotaSummary, ScopeExpression} from '../../gather/platform-objects.js'
import {NODE_CRITICAL_PRIORITY} from '../../knowledge/istio-platform.js'
import type {Fact} from '../../model/finding.js'
import {namespaceGap} from './inventory.js'

/** One scopeSelector expression against a priority class name (https://kubernetes.io/docs/concepts/policy/resource-quotas/#quota-scopes). */
export function scopeExpressionMatches(e: ScopeExpression, value: string): boolean {
  switch (e.operator) {
    case 'In':
      return e.values.includes(value)
    case 'NotIn':
      return !e.values.includes(value)
    case 'Exists':
      return true
    default:
      return false // DoesNotExist, or an operator this plugin does not know
  }
}

/** A quota covers pods of the priority class when it has PriorityClass expressions and all of them match (ANDed). */
export function quotaAdmitsPriority(q: QuotaSummary, priorityClass: string): boolean {
  const expressions = q.scopeSelector.filter((e) => e.scopeName === 'PriorityClass')
  return expressions.length > 0 && expressions.every((e) => scopeExpressionMatches(e, priorityClass))
}

const SUFFIXES: Readonly<Record<string, number>> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
}

/** A Kubernetes quantity as a number (`1G` → 1e9, `5k` → 5000); undefined when it is not one. */
export function parseQuantity(q: string | undefined): number | undefined {
  const match = /^(\d+(?:\.\d+)?)([a-zA-Z]*)$/.exec(q?.trim() ?? '')
  const factor = match ? SUFFIXES[match[2]!] : undefined
  return match && factor !== undefined ? Number(match[1]) * factor : undefined
}

export interface NodeCriticalAdmission {
  readonly namespace: string
  /** true: a quota or the dry-run admits system-node-critical pods; false: refused or no quota; undefined: could not tell. */
  readonly admits: boolean | undefined
  readonly admittingQuota?: string
  /** The admitting quota has no pods left (status.used.pods ≥ hard.pods). */
  readonly quotaFull: boolean
  readonly dryRun?: DryRunResult
  /** Why the dry-run could not answer (no permission to create pods there). */
  readonly dryRunGap?: string
  /** Why the namespace's quotas could not be read. */
  readonly quotaGap?: string
  /** The dry-run was refused by a quota: the PriorityClass gate is active in this cluster. */
  readonly gated: boolean
}

/** May the namespace run system-node-critical pods? The dry-run decides when it ran; the quotas otherwise. */
export function assessNodeCritical(namespace: string, quotas: Fact<Inventory<QuotaSummary>>, dryRun: Fact<DryRunResult>): NodeCriticalAdmission {
  const quotaGap = quotas.state === 'unavailable' ? quotas.reason : namespaceGap(quotas.value, namespace)
  const matching = quotas.state === 'known' ? quotas.value.items.filter((q) => q.namespace === namespace && quotaAdmitsPriority(q, NODE_CRITICAL_PRIORITY)) : []
  const dry = dryRun.state === 'known' ? dryRun.value : undefined
  const gated = dry?.outcome === 'rejected' && dry.by === 'quota'
  let admits: boolean | undefined
  if (dry?.outcome === 'admitted') admits = true
  else if (gated) admits = false
  else if (quotaGap === undefined) admits = matching.length > 0
  const full = matching.find((q) => {
    const [used, hard] = [parseQuantity(q.usedPods), parseQuantity(q.hardPods)]
    return used !== undefined && hard !== undefined && used >= hard
  })
  return {
    namespace,
    admits,
    admittingQuota: matching[0]?.name,
    quotaFull: full !== undefined,
    dryRun: dry,
    dryRunGap: dryRun.state === 'unavailable' ? dryRun.reason : undefined,
    quotaGap,
    gated,
  }
}
