import type {Report} from '../engine/report.js'
import {buildReport} from '../engine/report.js'
import type {KubeClient} from '../gather/kube/client.js'
import type {AreaResult} from './types.js'

/** Merges area results into one report document. */
export function reportFrom(command: string, istioVersion: string, client: KubeClient | undefined, results: readonly AreaResult[]): Report {
  const data = Object.assign({}, ...results.map((r) => r.data ?? {})) as Record<string, unknown>
  return buildReport({
    command,
    istioVersion,
    target: client ? {context: client.target.contextName, server: client.server, kubernetesVersion: typeof data.kubernetesVersion === 'string' ? data.kubernetesVersion : undefined} : {},
    findings: results.flatMap((r) => r.findings),
    data,
    views: results.flatMap((r) => r.views ?? []),
  })
}
