/** Copy-pasteable `kubectl patch` commands for a workload's pod template (strategic merge, so containers merge by name). */
import type {WorkloadRef} from '../../gather/workloads-shape.js'

/** Where the pod template sits in each kind whose template may be changed (Jobs and Pods are immutable). */
const TEMPLATE_PATH: Readonly<Record<string, readonly string[]>> = {
  Deployment: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  ReplicationController: ['spec', 'template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`

/** `kubectl -n ns patch deployment web -p '{"spec":{"template":…}}'`, or undefined for kinds that cannot be patched. */
export function templatePatch(w: WorkloadRef, template: Record<string, unknown>): string | undefined {
  const path = TEMPLATE_PATH[w.kind]
  if (path === undefined) return undefined
  const body = path.reduceRight<unknown>((inner, key) => ({[key]: inner}), template)
  return `kubectl -n ${w.namespace} patch ${w.kind.toLowerCase()} ${w.name} -p ${shellQuote(JSON.stringify(body))}`
}

/** `kubectl -n ns patch service s --type=json -p '[…]'`. */
export function serviceJsonPatch(namespace: string, name: string, operations: ReadonlyArray<Record<string, unknown>>): string {
  return `kubectl -n ${namespace} patch service ${name} --type=json -p ${shellQuote(JSON.stringify(operations))}`
}

/** What to tell the user when the template cannot be patched in place. */
export const recreateHint = (w: WorkloadRef) =>
  w.kind === 'Pod'
    ? 'Change the manifest that creates this pod and recreate it.'
    : `Change the ${w.kind}'s manifest and re-create it (its pod template cannot be changed in place).`
