/**
 * Removing what the plugin created, shared by a probe run's own teardown and `kubectl mesh-ready cleanup`: one path
 * and one delete per kind of object, and a run's removal in order (DaemonSet, pods, then the namespace).
 */
import type {KubeClient} from '../kube/client.js'
import {ApiError, isNotFound} from '../kube/errors.js'
import {MANAGED_BY_LABEL, MANAGED_BY_VALUE, MANAGED_SELECTOR, RUN_ID_LABEL} from './labels.js'

export type ObjectKind = 'Namespace' | 'Pod' | 'Lease' | 'DaemonSet'

export interface ProbeObjectRef {
  readonly kind: ObjectKind
  readonly name: string
  readonly namespace?: string
}

const ns = (namespace: string | undefined) => encodeURIComponent(namespace ?? '')

export function objectPath(ref: ProbeObjectRef): string {
  switch (ref.kind) {
    case 'Pod':
      return `/api/v1/namespaces/${ns(ref.namespace)}/pods/${encodeURIComponent(ref.name)}`
    case 'Lease':
      return `/apis/coordination.k8s.io/v1/namespaces/${ns(ref.namespace)}/leases/${encodeURIComponent(ref.name)}`
    case 'DaemonSet':
      return `/apis/apps/v1/namespaces/${ns(ref.namespace)}/daemonsets/${encodeURIComponent(ref.name)}`
    case 'Namespace':
      return `/api/v1/namespaces/${encodeURIComponent(ref.name)}`
  }
}

/**
 * Deletes one object: pods without a grace period, a DaemonSet with background propagation (the garbage collector
 * removes its pods). Gone already counts as deleted. Returns why it could not be deleted, else undefined.
 */
export async function deleteObject(client: KubeClient, ref: ProbeObjectRef): Promise<string | undefined> {
  const options = ref.kind === 'Pod' ? {gracePeriodSeconds: 0} : ref.kind === 'DaemonSet' ? {propagationPolicy: 'Background'} : undefined
  try {
    await client.delete(objectPath(ref), options)
    return undefined
  } catch (error) {
    if (isNotFound(error)) return undefined
    if (!(error instanceof ApiError)) throw error
    return error.status === 403 ? `forbidden: you may not ${error.permission}` : error.message
  }
}

interface Listed {
  metadata?: {name?: string; labels?: Record<string, string>; deletionTimestamp?: string}
}

const podsPath = (namespace: string) => `/api/v1/namespaces/${ns(namespace)}/pods`
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export interface RunObjects {
  readonly namespace: string
  readonly runId: string
  /** Bare probe pods this run created. */
  readonly pods: readonly string[]
  /** The run's DaemonSet, when it made (or tried to make) one. */
  readonly daemonSet?: string
  /** Remove the namespace too, if the plugin made it and no other run's probes are in it. */
  readonly mayDeleteNamespace: boolean
  readonly notice?: (text: string) => void
}

/**
 * Deletes a run's DaemonSet (its pods follow through garbage collection, and are waited for), its pods (by name, and
 * by label for any the API created without answering), then the probe namespace if a run of this plugin made it and
 * no other run's probes are still in it: concurrent runs share it, and the last one out removes it.
 */
export async function removeRun(client: KubeClient, run: RunObjects): Promise<void> {
  const {namespace} = run
  const failures: string[] = []
  const remove = async (ref: ProbeObjectRef) => {
    const error = await deleteObject(client, ref)
    if (error) failures.push(`${ref.kind.toLowerCase()} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}: ${error}`)
  }
  const runSelector = `${RUN_ID_LABEL}=${run.runId}`
  const all = new Set(run.pods)
  if (run.daemonSet) {
    await remove({kind: 'DaemonSet', name: run.daemonSet, namespace})
    // Its pods are the garbage collector's to remove; wait for them (listing one at a time) before the namespace check.
    if (!(await podsGone(client, namespace, runSelector, 30_000)))
      run.notice?.(`probe pods of DaemonSet ${namespace}/${run.daemonSet} are still being removed by the cluster`)
  } else {
    try {
      const list = await client.get<{items?: Listed[]}>(podsPath(namespace), {query: {labelSelector: runSelector}})
      for (const p of list.items ?? []) if (p.metadata?.name) all.add(p.metadata.name)
    } catch {
      // listing is only a safety net; the names we created are deleted below either way
    }
  }
  await Promise.all([...all].map((name) => remove({kind: 'Pod', name, namespace})))
  if (run.mayDeleteNamespace) {
    const path = objectPath({kind: 'Namespace', name: namespace})
    const existing = await client.get<Listed>(path).catch((error: unknown) => {
      if (!isNotFound(error)) failures.push(`namespace ${namespace}: ${(error as Error).message}`)
      return undefined
    })
    if (existing && existing.metadata?.labels?.[MANAGED_BY_LABEL] === MANAGED_BY_VALUE && !existing.metadata.deletionTimestamp) {
      const others = await client
        .get<{items?: Listed[]}>(podsPath(namespace), {query: {labelSelector: MANAGED_SELECTOR}})
        .then(
          (list) =>
            (list.items ?? []).filter(
              (p) => !p.metadata?.deletionTimestamp && p.metadata?.labels?.[RUN_ID_LABEL] !== run.runId && !all.has(p.metadata?.name ?? ''),
            ).length,
        )
        .catch(() => 0)
      if (others > 0) run.notice?.(`namespace ${namespace} is kept: another run's ${others} probe pod(s) are still in it (that run removes it)`)
      else {
        await remove({kind: 'Namespace', name: namespace})
        if (!(await gone(client, path, 30_000))) run.notice?.(`namespace ${namespace} is still terminating; it will be removed by the cluster`)
      }
    }
  }
  if (failures.length > 0) throw new Error(`could not delete ${failures.join('; ')}; remove leftovers with: kubectl mesh-ready cleanup`)
}

async function podsGone(client: KubeClient, namespace: string, labelSelector: string, withinMs: number): Promise<boolean> {
  const until = Date.now() + withinMs
  while (Date.now() < until) {
    try {
      const list = await client.get<{items?: Listed[]}>(podsPath(namespace), {query: {labelSelector, limit: 1}})
      if ((list.items ?? []).length === 0) return true
    } catch {
      return false
    }
    await sleep(100)
  }
  return false
}

async function gone(client: KubeClient, path: string, withinMs: number): Promise<boolean> {
  const until = Date.now() + withinMs
  while (Date.now() < until) {
    try {
      await client.get(path)
    } catch (error) {
      return isNotFound(error)
    }
    await sleep(100)
  }
  return false
}
