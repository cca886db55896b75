// Watches: newline-delimited JSON events over a chunked response, replayed from the store's event
// log (or the current state as ADDED), filtered by namespace and selectors.
import {expired} from './errors.js'
import type {Reply, Representation} from './http.js'
import {groupVersion, resourceKey, type ResourceDef} from './registry.js'
import type {Fault} from './scenario.js'
import {matchesFields, matchesLabels, type FieldSelector, type LabelSelector} from './selectors.js'
import type {ServerState} from './state.js'
import type {StoreEvent} from './store.js'
import {tableColumns, tableRow, type IncludeObject} from './tables.js'
import type {KubeObject} from './types.js'

export interface WatchOptions {
  def: ResourceDef
  namespace?: string
  labels: LabelSelector
  fields: FieldSelector
  resourceVersion?: string
  timeoutSeconds?: number
  allowBookmarks: boolean
  sendInitialEvents: boolean
  representation: Representation
  includeObject: IncludeObject
  fault?: Fault
}

type WatchType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR'

export async function serveWatch(state: ServerState, reply: Reply, o: WatchOptions): Promise<void> {
  const key = resourceKey(o.def)
  const gv = groupVersion(o.def)
  const selects = (obj: KubeObject | undefined): boolean =>
    obj !== undefined &&
    (!o.namespace || obj.metadata.namespace === o.namespace) &&
    matchesLabels(o.labels, obj.metadata.labels) &&
    matchesFields(o.fields, obj)
  let headersSent = false

  const encode = (obj: KubeObject): unknown => {
    const full = {...obj, apiVersion: gv, kind: o.def.kind}
    const rep = o.representation
    if (rep.as === 'Table') {
      const table = {
        kind: 'Table',
        apiVersion: rep.apiVersion,
        metadata: {resourceVersion: obj.metadata.resourceVersion},
        columnDefinitions: headersSent ? [] : tableColumns(o.def),
        rows: [tableRow(o.def, full, o.includeObject, rep.apiVersion)],
      }
      headersSent = true
      return table
    }
    if (rep.as === 'PartialObjectMetadata') return {kind: 'PartialObjectMetadata', apiVersion: rep.apiVersion, metadata: obj.metadata}
    return full
  }

  const queue: string[] = []
  let writing = false
  let closed = false
  const flush = async (): Promise<void> => {
    if (writing) return
    writing = true
    while (queue.length && !closed) await reply.write(queue.splice(0, queue.length).join(''))
    writing = false
  }
  const send = (type: WatchType, object: unknown): void => {
    if (closed) return
    queue.push(`${JSON.stringify({type, object})}\n`)
    void flush()
  }
  const sendChange = (e: StoreEvent): void => {
    const now = e.type !== 'DELETED' && selects(e.object)
    const before = e.type === 'MODIFIED' ? selects(e.previous) : e.type === 'DELETED' && selects(e.object)
    if (e.type === 'DELETED') {
      if (before) send('DELETED', encode(e.object))
    } else if (now && before) send('MODIFIED', encode(e.object))
    else if (now) send('ADDED', encode(e.object))
    else if (before) send('DELETED', encode(e.object))
  }

  reply.stream(200)
  const rv = o.resourceVersion && o.resourceVersion !== '0' ? Number(o.resourceVersion) : undefined
  if (rv === undefined || o.sendInitialEvents) {
    for (const [, obj] of state.store.scan(key, o.def.namespaced ? o.namespace : undefined)) if (selects(obj)) send('ADDED', encode(obj))
    if (o.sendInitialEvents && o.allowBookmarks) {
      send('BOOKMARK', {
        kind: o.def.kind,
        apiVersion: gv,
        metadata: {resourceVersion: String(state.store.currentRv()), annotations: {'k8s.io/initial-events-end': 'true'}},
      })
    }
  } else {
    const replay = Number.isFinite(rv) ? state.store.eventsSince(key, rv) : 'expired'
    if (replay === 'expired') {
      send('ERROR', expired(`too old resource version: ${o.resourceVersion} (${state.store.oldestRv()})`).status)
      await flush()
      reply.end()
      return
    }
    for (const e of replay) sendChange(e)
  }

  await new Promise<void>((resolve) => {
    const unsubscribe = state.store.subscribe((e) => {
      if (e.resource === key) sendChange(e)
    })
    const timers: NodeJS.Timeout[] = []
    const finish = (drop: boolean): void => {
      if (closed) return
      closed = true
      unsubscribe()
      for (const t of timers) clearTimeout(t)
      state.closers.delete(close)
      if (drop) reply.res.destroy()
      else reply.end()
      resolve()
    }
    const close = (): void => finish(false)
    state.closers.add(close)
    reply.res.on('close', close)
    if (o.timeoutSeconds !== undefined && o.timeoutSeconds > 0) timers.push(setTimeout(() => void flush().then(close), o.timeoutSeconds * 1000))
    if (o.fault?.dropWatchAfterMs !== undefined) timers.push(setTimeout(() => finish(true), o.fault.dropWatchAfterMs))
  })
}
