import type {Fact} from '../../model/finding.js'
import {known, unavailable} from '../../model/finding.js'
import type {KubeClient} from '../kube/client.js'
import {ApiError} from '../kube/errors.js'
import {MANAGED_SELECTOR, RUN_ID_LABEL} from './labels.js'
import {LEASE_DURATION_SECONDS, PROBE_NAMESPACE} from './pods.js'
import type {ObjectKind} from './teardown.js'
import {deleteObject} from './teardown.js'

export type LeftoverKind = ObjectKind

export interface Leftover {
  readonly kind: LeftoverKind
  readonly name: string
  readonly namespace?: string
  readonly runId?: string
  /** Why it could not be deleted; undefined when it was (or, with dryRun, would be). */
  readonly error?: string
  /** Set when it was left alone because its run is still alive: why (the run's lease). */
  readonly kept?: string
}

export interface CleanupResult {
  readonly leftovers: readonly Leftover[]
  /** Lists that could not be read (e.g. forbidden): leftovers there may remain unseen. */
  readonly unreadable: readonly string[]
  /** --dry-run: nothing was deleted; `leftovers` without `kept` are what would be. */
  readonly dryRun?: boolean
}

export interface CleanupFacts {
  [key: string]: Fact<unknown>
  leftovers: Fact<CleanupResult>
}

interface Listed {
  metadata?: {name?: string; namespace?: string; labels?: Record<string, string>; ownerReferences?: Array<{kind?: string; name?: string}>}
  spec?: {renewTime?: string; acquireTime?: string; leaseDurationSeconds?: number; holderIdentity?: string}
}

/** Lists with a fallback path when the cluster-wide list is forbidden; undefined when both are. */
async function listManaged(client: KubeClient, paths: readonly string[]): Promise<{items: Listed[]} | {forbidden: string}> {
  let forbidden = ''
  const items: Listed[] = []
  let anyRead = false
  for (const path of paths) {
    try {
      items.push(...(await client.listAll<Listed>(path, {labelSelector: MANAGED_SELECTOR})))
      anyRead = true
      if (paths.indexOf(path) === 0) break // the cluster-wide list has everything
    } catch (error) {
      if (!(error instanceof ApiError)) throw error
      if (error.status === 404) {
        anyRead = true
        if (paths.indexOf(path) === 0) break
        continue
      }
      forbidden ||= error.status === 403 ? `forbidden: you may not ${error.permission}` : `${error.permission} failed: ${error.message}`
    }
  }
  return anyRead ? {items} : {forbidden}
}

export interface CleanupOptions {
  /** -n: where a --probe-namespace run may have left pods, searched when the cluster-wide list is refused. */
  readonly namespace?: string
  /** --dry-run: report what would be removed, delete nothing. */
  readonly dryRun?: boolean
  /** For tests. */
  readonly now?: number
}

/** A lease is live while renewed within its duration (LEASE_DURATION_SECONDS unless it says otherwise). */
export function leaseAge(lease: Listed, now: number): {live: boolean; ageSeconds: number} {
  const renewed = Date.parse(lease.spec?.renewTime ?? lease.spec?.acquireTime ?? '')
  if (Number.isNaN(renewed)) return {live: false, ageSeconds: Number.POSITIVE_INFINITY}
  const ageSeconds = Math.max(0, Math.round((now - renewed) / 1000))
  return {live: ageSeconds < (lease.spec?.leaseDurationSeconds ?? LEASE_DURATION_SECONDS), ageSeconds}
}

/**
 * Removes every DaemonSet, pod, lease and namespace the plugin created (by the managed-by label) of runs that are no longer alive,
 * whatever ended them. A run is alive while its Lease (src/gather/probe/pods.ts) was renewed within its
 * leaseDurationSeconds: its DaemonSet, pods, lease and the namespace holding them are left alone. DaemonSets (with their pods) go first, then pods, leases,
 * then namespaces. When the cluster-wide lists are refused, the default probe namespace and `namespace` (where a
 * --probe-namespace run may have left pods) are searched instead.
 */
export async function removeLeftovers(client: KubeClient, options: CleanupOptions = {}): Promise<Fact<CleanupResult>> {
  const now = options.now ?? Date.now()
  const namespaced = [...new Set([PROBE_NAMESPACE, ...(options.namespace ? [options.namespace] : [])])]
  const pods = await listManaged(client, ['/api/v1/pods', ...namespaced.map((ns) => `/api/v1/namespaces/${ns}/pods`)])
  const leases = await listManaged(client, [
    '/apis/coordination.k8s.io/v1/leases',
    ...namespaced.map((ns) => `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases`),
  ])
  const daemonSets = await listManaged(client, ['/apis/apps/v1/daemonsets', ...namespaced.map((ns) => `/apis/apps/v1/namespaces/${ns}/daemonsets`)])
  const namespaces = await listManaged(client, ['/api/v1/namespaces'])
  if ('forbidden' in pods && 'forbidden' in namespaces) return unavailable(`${pods.forbidden}; ${namespaces.forbidden}`)

  const leaseItems = 'items' in leases ? leases.items : []
  /** Run id → why it counts as alive. */
  const alive = new Map<string, string>()
  const liveNamespaces = new Set<string>()
  for (const lease of leaseItems) {
    const runId = lease.metadata?.labels?.[RUN_ID_LABEL]
    const {live, ageSeconds} = leaseAge(lease, now)
    if (!live || runId === undefined) continue
    alive.set(
      runId,
      `run ${runId} is still alive: its lease ${lease.metadata?.namespace}/${lease.metadata?.name} was renewed ${ageSeconds}s ago (stale after ${lease.spec?.leaseDurationSeconds ?? LEASE_DURATION_SECONDS}s)`,
    )
    if (lease.metadata?.namespace) liveNamespaces.add(lease.metadata.namespace)
  }
  const entry = (kind: LeftoverKind, item: Listed): Leftover => {
    const runId = item.metadata?.labels?.[RUN_ID_LABEL]
    const kept = runId !== undefined ? alive.get(runId) : undefined
    return {kind, name: item.metadata?.name ?? '', ...(kind !== 'Namespace' ? {namespace: item.metadata?.namespace} : {}), runId, ...(kept ? {kept} : {})}
  }
  const foundDaemonSets = ('items' in daemonSets ? daemonSets.items : []).map((d) => entry('DaemonSet', d))
  // A leftover DaemonSet's pods go with it (garbage collection): they are not deleted one by one.
  const ownedByLeftover = (p: Listed) =>
    p.metadata?.ownerReferences?.some(
      (r) => r.kind === 'DaemonSet' && foundDaemonSets.some((d) => d.name === r.name && d.namespace === p.metadata?.namespace && !d.kept),
    )
  const foundPods = ('items' in pods ? pods.items : []).filter((p) => !ownedByLeftover(p)).map((p) => entry('Pod', p))
  const foundLeases = leaseItems.map((l) => entry('Lease', l))
  // A namespace holding a live run's lease or pods stays, whichever run made it (concurrent runs share it).
  const foundNamespaces = ('items' in namespaces ? namespaces.items : []).map((n): Leftover => {
    const base = entry('Namespace', n)
    if (base.kept) return base
    const user = [...foundPods, ...foundDaemonSets, ...foundLeases].find((o) => o.namespace === base.name && o.kept)
    return user ? {...base, kept: user.kept} : liveNamespaces.has(base.name) ? {...base, kept: 'a live run holds a lease in it'} : base
  })

  const remove = async (l: Leftover): Promise<Leftover> => {
    if (l.kept || options.dryRun) return l
    const error = await deleteObject(client, l)
    return error ? {...l, error} : l
  }
  const removedDaemonSets = await Promise.all(foundDaemonSets.map(remove))
  const removedPods = await Promise.all(foundPods.map(remove))
  const removedLeases = await Promise.all(foundLeases.map(remove))
  const removedNamespaces = await Promise.all(foundNamespaces.map(remove))
  const unreadable = [pods, leases, daemonSets, namespaces].flatMap((l) => ('forbidden' in l ? [l.forbidden] : []))
  return known({
    leftovers: [...removedNamespaces, ...removedDaemonSets, ...removedPods, ...removedLeases],
    unreadable,
    ...(options.dryRun ? {dryRun: true} : {}),
  })
}

/** What `cleanup` did, for its JSON data, its table and its verdict line. */
export interface CleanupSummary {
  readonly dryRun: boolean
  readonly removed: readonly Leftover[]
  readonly failed: readonly Leftover[]
  readonly kept: readonly Leftover[]
}

export function summarizeCleanup(result: CleanupResult | undefined): CleanupSummary {
  const all = result?.leftovers ?? []
  return {
    dryRun: result?.dryRun === true,
    removed: all.filter((l) => !l.error && !l.kept),
    failed: all.filter((l) => l.error),
    kept: all.filter((l) => l.kept),
  }
}
