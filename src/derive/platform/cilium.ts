import type {Inventory} from '../../gather/platform-list.js'
import type {ConfigMapSummary} from '../../gather/platform-objects.js'
import {CILIUM_CONFIG_NAME} from '../../knowledge/cni-signals.js'
import type {Outcome, Subject} from '../../model/finding.js'
import {CLUSTER_SUBJECT} from '../../model/finding.js'
import type {CniDetection} from './detect-cni.js'
import {inventoryGaps} from './inventory.js'

export type CiliumContext = {readonly config: ConfigMapSummary; readonly subject: Subject} | {readonly outcome: Outcome}

/** The cilium-config to judge, or the one outcome that says why there is none (no Cilium, GKE-managed, unreadable). */
export function ciliumContext(cni: CniDetection, configs: Inventory<ConfigMapSummary>): CiliumContext {
  const cilium = cni.components.find((c) => c.id === 'cilium')
  const config = configs.items.find((c) => c.name === CILIUM_CONFIG_NAME)
  if (cilium === undefined && config === undefined) {
    if (cni.primary === undefined && cni.gaps.length > 0)
      return {outcome: {severity: 'unknown', subject: CLUSTER_SUBJECT, message: `could not tell whether Cilium is installed: ${cni.gaps.join('; ')}`}}
    return {outcome: {severity: 'skip', subject: CLUSTER_SUBJECT, message: 'Cilium is not installed'}}
  }
  if (config !== undefined) return {config, subject: {kind: 'Namespace', name: config.namespace}}
  if (cilium?.variant?.startsWith('GKE-managed'))
    return {
      outcome: {
        severity: 'skip',
        subject: CLUSTER_SUBJECT,
        message: 'Cilium is GKE Dataplane V2 (anetd), managed by Google; Istio supports it with global.platform=gke',
      },
    }
  const gaps = inventoryGaps(configs, 'configmaps')
  const why = gaps.length > 0 ? gaps.join('; ') : `no ConfigMap ${CILIUM_CONFIG_NAME} was found in any namespace`
  return {outcome: {severity: 'unknown', subject: CLUSTER_SUBJECT, message: `Cilium is installed but its settings could not be read: ${why}`}}
}

/** `helm upgrade` of the Cilium release with one more value (release and namespace as the Cilium docs install it). */
export const ciliumHelmSet = (namespace: string, sets: readonly string[]): string =>
  `helm upgrade cilium cilium/cilium -n ${namespace} --reuse-values ${sets.map((s) => `--set ${s}`).join(' ')} && kubectl -n ${namespace} rollout restart daemonset/cilium`

export const isTrue = (v: string | undefined): boolean => v?.trim().toLowerCase() === 'true'
