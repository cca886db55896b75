/**
 * The one list helper of the gathers: a paginated cluster-wide list that falls back to one list per namespace when it
 * is refused (403), every failure an unavailable fact naming verb and resource. Platform, workloads, nodes and the
 * installed-Istio lookup all list through it, each page a `client.readPages` read, so inside `check`'s snapshot a
 * list two areas need is requested once (same path, page size and selectors).
 */
import pLimit from 'p-limit'
import {UserError} from '../../model/errors.js'
import type {Fact} from '../../model/finding.js'
import {known} from '../../model/finding.js'
import {factFromError} from '../facts.js'
import type {KubeClient, ReadListOptions} from './client.js'
import {ApiError, isForbidden} from './errors.js'

/** A namespace the caller could not read, and why (the missing permission). */
export interface Unreadable {
  readonly namespace: string
  readonly reason: string
}

/**
 * Objects of one kind across namespaces. Normally one all-namespaces list; when that is refused (403), the
 * namespaces that matter are read one by one and the ones still refused are named, so "could not read" never
 * turns into "missing".
 */
export interface Inventory<T> {
  readonly items: readonly T[]
  /** Why the all-namespaces list was refused; set only when the kind was read namespace by namespace. */
  readonly clusterWideDenied?: string
  /** The namespaces read one by one (empty when the all-namespaces list worked). */
  readonly searched: readonly string[]
  readonly unreadable: readonly Unreadable[]
}

export interface ListScope extends Omit<ReadListOptions, 'onRestart'> {
  /** The kind's group/version prefix: `/api/v1`, `/apis/apps/v1`. */
  readonly prefix: string
  /** The plural: `daemonsets`. */
  readonly resource: string
  /** Read these namespaces one by one instead of listing cluster-wide (-n). */
  readonly namespaces?: readonly string[]
  /** When the cluster-wide list is refused (403), the namespaces to read one by one; undefined: the read is unavailable. */
  readonly fallback?: readonly string[]
  /** Lists in flight at a time when reading namespace by namespace (default 8). */
  readonly concurrency?: number
  /** The usage error for a label selector the API server rejects (400); default names -l/--selector. */
  readonly badSelector?: (selector: string, error: ApiError) => UserError
}

/** How a streamed list went. */
export interface ListRead {
  /** Why the cluster-wide list was refused, when the namespaces were read one by one instead. */
  readonly clusterWideDenied?: string
  /** The namespaces read one by one. */
  readonly searched: readonly string[]
  /** namespace → why it could not be read. */
  readonly denied: ReadonlyMap<string, string>
}

const defaultBadSelector = (selector: string, error: ApiError) =>
  new UserError(
    `-l/--selector "${selector}" was rejected by the API server (${error.message}); use key=value, key!=value or "key in (a,b)" terms separated by commas`,
  )

/**
 * Streams `<prefix>/<resource>` page by page into `onItems`: one cluster-wide list (or one per namespace of
 * `scope.namespaces`), falling back to `scope.fallback` namespace by namespace on 403. `restart` is told before
 * anything already delivered for that namespace (undefined: the cluster-wide list) is delivered again, after an
 * expired continue token or before a fallback. Unavailable when the cluster-wide list failed with no fallback.
 */
export async function streamList<T>(
  client: KubeClient,
  scope: ListScope,
  onItems: (items: T[], namespace?: string) => void,
  restart: (namespace?: string) => void = () => undefined,
): Promise<Fact<ListRead>> {
  const {prefix, resource, labelSelector, fieldSelector, limit, signal, share} = scope
  const options = {labelSelector, fieldSelector, limit, signal, share}
  const stream = async (path: string, namespace?: string) => {
    try {
      for await (const page of client.readPages<T>(path, {...options, onRestart: () => restart(namespace)})) onItems(page.items, namespace)
    } catch (error) {
      if (labelSelector && error instanceof ApiError && error.status === 400) throw (scope.badSelector ?? defaultBadSelector)(labelSelector, error)
      throw error
    }
  }
  const read = async (path: string, namespace?: string): Promise<Fact<true>> => {
    try {
      await stream(path, namespace)
      return known(true)
    } catch (error) {
      return factFromError(error)
    }
  }
  const perNamespace = async (namespaces: readonly string[]): Promise<Map<string, string>> => {
    const denied = new Map<string, string>()
    const run = pLimit(scope.concurrency ?? 8)
    await Promise.all(
      namespaces.map((ns) =>
        run(async () => {
          const fact = await read(`${prefix}/namespaces/${ns}/${resource}`, ns)
          if (fact.state === 'unavailable') {
            restart(ns)
            denied.set(ns, fact.reason)
          }
        }),
      ),
    )
    return denied
  }
  if (scope.namespaces !== undefined) {
    const searched = [...new Set(scope.namespaces)]
    return known({searched, denied: await perNamespace(searched)})
  }
  let clusterWideDenied: string
  try {
    await stream(`${prefix}/${resource}`)
    return known({searched: [], denied: new Map()})
  } catch (error) {
    const fact = factFromError(error) // rethrows what is not an API answer
    if (fact.state === 'known' || !isForbidden(error) || scope.fallback === undefined) return fact
    clusterWideDenied = fact.reason
  }
  restart()
  const searched = [...new Set(scope.fallback)]
  return known({clusterWideDenied, searched, denied: await perNamespace(searched)})
}

/** Every item of a list across namespaces as an Inventory, keeping only `map(item)`. */
export async function listAcross<T>(client: KubeClient, scope: ListScope & {readonly map: (raw: unknown) => T}): Promise<Fact<Inventory<T>>> {
  const byNamespace = new Map<string | undefined, T[]>()
  const read = await streamList<unknown>(
    client,
    scope,
    (items, namespace) => {
      const kept = byNamespace.get(namespace) ?? []
      for (const item of items) kept.push(scope.map(item))
      byNamespace.set(namespace, kept)
    },
    (namespace) => byNamespace.delete(namespace),
  )
  if (read.state === 'unavailable') return read
  const {clusterWideDenied, searched, denied} = read.value
  return known({
    items: [undefined, ...searched].flatMap((namespace) => byNamespace.get(namespace) ?? []),
    ...(clusterWideDenied !== undefined ? {clusterWideDenied} : {}),
    searched,
    unreadable: [...denied].map(([namespace, reason]) => ({namespace, reason})),
  })
}

/** Every item of one list (a cluster-scoped kind, or a namespaced kind cluster-wide with no fallback), mapped. */
export async function listMapped<T>(
  client: KubeClient,
  path: string,
  map: (raw: unknown) => T,
  options: Omit<ReadListOptions, 'onRestart'> = {},
): Promise<Fact<T[]>> {
  const cut = path.lastIndexOf('/')
  const items: T[] = []
  const read = await streamList<unknown>(
    client,
    {...options, prefix: path.slice(0, cut), resource: path.slice(cut + 1)},
    (page) => {
      for (const item of page) items.push(map(item))
    },
    () => (items.length = 0),
  )
  return read.state === 'unavailable' ? read : known(items)
}
