import type {Report} from '../engine/report.js'
import {buildReport} from '../engine/report.js'
import type {InstallPlan} from '../engine/plan.js'
import type {KubeClient} from '../gather/kube/client.js'
import type {AreaResult} from './types.js'

/** Merges area results into one report document that judges `plan`; `scope` says what was looked at. */
export function reportFrom(command: string, plan: InstallPlan, client: KubeClient | undefined, results: readonly AreaResult[], scope?: string): Report {
  const data = Object.assign({}, ...results.map((r) => r.data ?? {})) as Record<string, unknown>
  return buildReport({
    command,
    istioVersion: plan.istioVersion,
    plan,
    scope,
    coverage: results.flatMap((r) => (r.coverage ? [r.coverage] : [])),
    alternatives: results.flatMap((r) => r.alternatives ?? []),
    target: client ? {context: client.target.contextName, server: client.server, kubernetesVersion: typeof data.kubernetesVersion === 'string' ? data.kubernetesVersion : undefined} : {},
    findings: results.flatMap((r) => r.findings),
    data,
    views: results.flatMap((r) => r.views ?? []),
  })
}
