import pLimit from 'p-limit'
import type {Fact} from '../model/finding.js'
import {known} from '../model/finding.js'
import {factFromError, gatherFact} from './facts.js'
import type {KubeClient, ListOptions} from './kube/client.js'
import {isForbidden} from './kube/errors.js'

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

const limit = pLimit(8)

/** Pages through a list and keeps only the summary of each item. */
export function listMapped<T>(client: KubeClient, path: string, map: (raw: unknown) => T, options: ListOptions = {}): Promise<T[]> {
  return client.listMapped(path, map, options)
}



interface AcrossOptions<T> extends ListOptions {
  /** `/apis/apps/v1` — the kind's group/version prefix. */
  prefix: string
  resource: string
  map: (raw: unknown) => T
  /** Namespaces to read one by one if the all-namespaces list is refused. */
  fallback: readonly string[]
}

/** One all-namespaces list; on 403, one list per fallback namespace (at most 8 at a time). */
export async function listAcross<T>(client: KubeClient, o: AcrossOptions<T>): Promise<Fact<Inventory<T>>> {
  const options = {labelSelector: o.labelSelector, fieldSelector: o.fieldSelector, signal: o.signal}
  let clusterWideDenied: string
  try {
    return known({items: await listMapped(client, `${o.prefix}/${o.resource}`, o.map, options), searched: [], unreadable: []})
  } catch (error) {
    const fact = factFromError(error)
    if (!isForbidden(error) || fact.state === 'known') return fact
    clusterWideDenied = fact.reason // forbidden cluster-wide: read the fallback namespaces one by one
  }
  const searched = [...new Set(o.fallback)]
  const results = await Promise.all(
    searched.map((namespace) => limit(async () => ({namespace, fact: await gatherFact(() => listMapped(client, `${o.prefix}/namespaces/${namespace}/${o.resource}`, o.map, options))}))),
  )
  return known({
    items: results.flatMap((r) => (r.fact.state === 'known' ? r.fact.value : [])),
    clusterWideDenied,
    searched,
    unreadable: results.flatMap((r) => (r.fact.state === 'unavailable' ? [{namespace: r.namespace, reason: r.fact.reason}] : [])),
  })
}

