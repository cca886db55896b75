// In-memory object storage with a global resourceVersion counter, keys kept in etcd order
// (namespace/name) for paginated lists, and an event log that watches replay from.
import {randomUUID} from 'node:crypto'
import type {KubeObject} from './types.js'
import {timestamp} from './util.js'

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED'

export interface StoreEvent {
  type: EventType
  /** The resourceVersion this change produced. */
  rv: number
  /** Store key of the resource (`pods`, `apps/deployments`). */
  resource: string
  object: KubeObject
  /** The object before a MODIFIED change (watches use it to turn modifications into ADDED/DELETED for selectors). */
  previous?: KubeObject
}

export type StoreListener = (event: StoreEvent) => void

interface Bucket {
  objects: Map<string, KubeObject>
  keys: string[]
  sorted: boolean
}

export function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name
}

function lowerBound(keys: readonly string[], key: string): number {
  let lo = 0
  let hi = keys.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (keys[mid]! < key) lo = mid + 1
    else hi = mid
  }
  return lo
}

export interface PutOptions {
  /** Don't log or announce the change (used while loading a scenario). */
  silent?: boolean
  /** The caller hands the object and its metadata over: they are stored as they are, not copied. */
  adopt?: boolean
}

export class Store {
  private rv: number
  private readonly buckets = new Map<string, Bucket>()
  private log: StoreEvent[] = []
  /** Oldest resourceVersion a watch or continue token may still start from. */
  private compactedRv: number
  private readonly listeners = new Set<StoreListener>()

  /** How many change events are kept for watch replay before old ones are compacted away. */
  maxEvents = 100_000

  constructor(initialRv = 1000) {
    this.rv = initialRv
    this.compactedRv = initialRv
  }

  /** The latest resourceVersion (what list responses report). */
  currentRv(): number {
    return this.rv
  }

  oldestRv(): number {
    return this.compactedRv
  }

  resources(): string[] {
    return [...this.buckets.keys()]
  }

  private bucket(resource: string): Bucket {
    let b = this.buckets.get(resource)
    if (!b) {
      b = {objects: new Map(), keys: [], sorted: true}
      this.buckets.set(resource, b)
    }
    return b
  }

  private sortedKeys(resource: string): string[] {
    const b = this.buckets.get(resource)
    if (!b) return []
    if (!b.sorted) {
      b.keys.sort()
      b.sorted = true
    }
    return b.keys
  }

  /** `get('nodes', 'kind-worker')` for cluster-scoped, `get('pods', 'default', 'web')` for namespaced objects. */
  get(resource: string, namespaceOrName: string, name?: string): KubeObject | undefined {
    const key = name === undefined ? namespaceOrName : objectKey(namespaceOrName, name)
    return this.buckets.get(resource)?.objects.get(key)
  }

  /** All objects of a resource (in one namespace, or all), in key order. */
  list(resource: string, namespace?: string): KubeObject[] {
    return [...this.scan(resource, namespace)].map(([, o]) => o)
  }

  count(resource: string, namespace?: string): number {
    if (!namespace) return this.buckets.get(resource)?.objects.size ?? 0
    const keys = this.sortedKeys(resource)
    return lowerBound(keys, `${namespace}0`) - lowerBound(keys, `${namespace}/`)
  }

  /** Iterates [key, object] in key order, optionally within a namespace and strictly after a key. */
  *scan(resource: string, namespace?: string, after?: string): Generator<[string, KubeObject]> {
    const b = this.buckets.get(resource)
    if (!b) return
    const keys = this.sortedKeys(resource)
    // '0' is the character after '/', so [ns + '/', ns + '0') is exactly the namespace's range.
    let i = namespace ? lowerBound(keys, `${namespace}/`) : 0
    const end = namespace ? lowerBound(keys, `${namespace}0`) : keys.length
    if (after !== undefined) i = Math.max(i, lowerBound(keys, `${after}\u0000`))
    for (; i < end && i < keys.length; i++) {
      const key = keys[i]!
      const obj = b.objects.get(key)
      if (obj) yield [key, obj]
    }
  }

  /** Number of keys in range strictly after `after` (for remainingItemCount). */
  countAfter(resource: string, namespace: string | undefined, after: string): number {
    const keys = this.sortedKeys(resource)
    const end = namespace ? lowerBound(keys, `${namespace}0`) : keys.length
    return Math.max(0, end - lowerBound(keys, `${after}\u0000`))
  }

  /**
   * Creates or replaces an object and announces it. Fills in uid and creationTimestamp when
   * missing and always assigns a new resourceVersion. Returns the stored object.
   */
  put(resource: string, obj: KubeObject, opts: PutOptions = {}): KubeObject {
    const name = obj.metadata.name
    if (!name) throw new Error(`store.put(${resource}): object has no metadata.name`)
    const key = objectKey(obj.metadata.namespace, name)
    const b = this.bucket(resource)
    const previous = b.objects.get(key)
    const rv = ++this.rv
    const stored: KubeObject = opts.adopt ? obj : {...obj, metadata: {...obj.metadata}}
    const meta = stored.metadata
    meta.uid = meta.uid ?? previous?.metadata.uid ?? randomUUID()
    meta.creationTimestamp = meta.creationTimestamp ?? previous?.metadata.creationTimestamp ?? timestamp()
    meta.resourceVersion = String(rv)
    b.objects.set(key, stored)
    if (!previous) {
      if (b.sorted && (b.keys.length === 0 || b.keys[b.keys.length - 1]! < key)) b.keys.push(key)
      else if (b.sorted && !opts.silent) b.keys.splice(lowerBound(b.keys, key), 0, key)
      else {
        b.keys.push(key)
        b.sorted = false
      }
    }
    if (opts.silent) this.compactedRv = this.rv
    else this.emit({type: previous ? 'MODIFIED' : 'ADDED', rv, resource, object: stored, ...(previous ? {previous} : {})})
    return stored
  }

  /** Deletes an object; the DELETED event carries it with the deletion's resourceVersion. */
  remove(resource: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const b = this.buckets.get(resource)
    const key = objectKey(namespace, name)
    const previous = b?.objects.get(key)
    if (!b || !previous) return undefined
    const keys = this.sortedKeys(resource)
    const idx = lowerBound(keys, key)
    if (keys[idx] === key) keys.splice(idx, 1)
    b.objects.delete(key)
    const rv = ++this.rv
    const object = {...previous, metadata: {...previous.metadata, resourceVersion: String(rv)}}
    this.emit({type: 'DELETED', rv, resource, object})
    return object
  }

  /** Drops every object of a resource (a CRD was deleted), announcing each deletion. */
  removeAll(resource: string): void {
    for (const obj of this.list(resource)) this.remove(resource, obj.metadata.namespace, obj.metadata.name ?? '')
    this.buckets.delete(resource)
  }

  private emit(event: StoreEvent): void {
    this.log.push(event)
    if (this.log.length > this.maxEvents) {
      const drop = Math.max(1, Math.floor(this.maxEvents / 10))
      this.compactedRv = this.log[drop - 1]!.rv
      this.log = this.log.slice(drop)
    }
    for (const l of this.listeners) l(event)
  }

  subscribe(listener: StoreListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /**
   * Logged events of a resource after `rv`, or 'expired' when the log no longer reaches back that
   * far (the real server answers 410 Gone then).
   */
  eventsSince(resource: string, rv: number): StoreEvent[] | 'expired' {
    if (rv < this.compactedRv) return 'expired'
    let lo = 0
    let hi = this.log.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.log[mid]!.rv <= rv) lo = mid + 1
      else hi = mid
    }
    return this.log.slice(lo).filter((e) => e.resource === resource)
  }

  /** Forgets the event log, like an etcd compaction: older watches and continue tokens now get 410 Gone. */
  compact(): void {
    this.log = []
    this.compactedRv = this.rv
  }
}
