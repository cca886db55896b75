import type {Fact} from '../../checks/types.js'
import {known, unavailable} from '../../checks/types.js'
import type {KubeClient} from '../kube/client.js'
import {ApiError, isNotFound} from '../kube/errors.js'
import {MANAGED_SELECTOR, RUN_ID_LABEL} from './labels.js'
import {PROBE_NAMESPACE} from './pods.js'

export interface Leftover {
  readonly kind: 'Namespace' | 'Pod'
  readonly name: string
  readonly namespace?: string
  readonly runId?: string
  /** Why it could not be deleted; undefined when it was. */
  readonly error?: string
}

export interface CleanupResult {
  readonly leftovers: readonly Leftover[]
  /** Lists that could not be read (e.g. forbidden): leftovers there may remain unseen. */
  readonly unreadable: readonly string[]
}

export interface CleanupFacts {
  [key: string]: Fact<unknown>
  leftovers: Fact<CleanupResult>
}

interface Listed {
  metadata?: {name?: string; namespace?: string; labels?: Record<string, string>}
}

/** Lists with a fallback path when the cluster-wide list is forbidden; undefined when both are. */
async function listManaged(client: KubeClient, paths: readonly string[]): Promise<{items: Listed[]} | {forbidden: string}> {
  let forbidden = ''
  for (const path of paths) {
    try {
      return {items: await client.listAll<Listed>(path, {labelSelector: MANAGED_SELECTOR})}
    } catch (error) {
      if (!(error instanceof ApiError)) throw error
      if (error.status === 404) return {items: []}
      forbidden ||= error.status === 403 ? `forbidden: you may not ${error.permission}` : `${error.permission} failed: ${error.message}`
    }
  }
  return {forbidden}
}

/**
 * Removes every pod and namespace the plugin ever created (by the managed-by label), from any earlier run,
 * whatever ended it. Pods go first, then namespaces. When the cluster-wide pod list is refused, the default probe
 * namespace and `namespace` (where a --probe-namespace run may have left pods) are searched instead.
 */
export async function removeLeftovers(client: KubeClient, namespace?: string): Promise<Fact<CleanupResult>> {
  const fallbacks = [...new Set([PROBE_NAMESPACE, ...(namespace ? [namespace] : [])])].map((ns) => `/api/v1/namespaces/${ns}/pods`)
  const pods = await listManaged(client, ['/api/v1/pods', ...fallbacks])
  const namespaces = await listManaged(client, ['/api/v1/namespaces'])
  if ('forbidden' in pods && 'forbidden' in namespaces) return unavailable(`${pods.forbidden}; ${namespaces.forbidden}`)
  const found: Leftover[] = [
    ...('items' in pods ? pods.items : []).map((p): Leftover => ({kind: 'Pod', name: p.metadata?.name ?? '', namespace: p.metadata?.namespace, runId: p.metadata?.labels?.[RUN_ID_LABEL]})),
    ...('items' in namespaces ? namespaces.items : []).map((n): Leftover => ({kind: 'Namespace', name: n.metadata?.name ?? '', runId: n.metadata?.labels?.[RUN_ID_LABEL]})),
  ]
  const remove = async (l: Leftover): Promise<Leftover> => {
    const path = l.kind === 'Pod' ? `/api/v1/namespaces/${l.namespace}/pods/${l.name}` : `/api/v1/namespaces/${l.name}`
    try {
      await client.delete(path, l.kind === 'Pod' ? {gracePeriodSeconds: 0} : undefined)
      return l
    } catch (error) {
      if (isNotFound(error)) return l
      if (!(error instanceof ApiError)) throw error
      return {...l, error: error.status === 403 ? `forbidden: you may not ${error.permission}` : error.message}
    }
  }
  const removedPods = await Promise.all(found.filter((l) => l.kind === 'Pod').map(remove))
  const removedNamespaces = await Promise.all(found.filter((l) => l.kind === 'Namespace').map(remove))
  const unreadable = [pods, namespaces].flatMap((l) => ('forbidden' in l ? [l.forbidden] : []))
  return known({leftovers: [...removedNamespaces, ...removedPods], unreadable})
}
