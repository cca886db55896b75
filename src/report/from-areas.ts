import type {AlternativeSummary, Report, Verdict} from '../model/report.js'
import {buildReport} from '../model/report.js'
import type {InstallPlan} from '../model/plan.js'
import type {KubeClient} from '../gather/kube/client.js'
import type {AreaResult} from '../model/area.js'

/** Merges area results into one report document that judges `plan`; `scope` says what was looked at. */
export function reportFrom(command: string, plan: InstallPlan, client: KubeClient | undefined, results: readonly AreaResult[], scope?: string): Report {
  const data = Object.assign({}, ...results.map((r) => r.data ?? {})) as Record<string, unknown>
  return buildReport({
    command,
    istioVersion: plan.istioVersion,
    plan,
    scope,
    coverage: results.flatMap((r) => (r.coverage ? [r.coverage] : [])),
    alternatives: mergeAlternatives(results.flatMap((r) => r.alternatives ?? [])),
    target: client
      ? {
          context: client.target.contextName,
          server: client.server,
          kubernetesVersion: typeof data.kubernetesVersion === 'string' ? data.kubernetesVersion : undefined,
        }
      : {},
    findings: results.flatMap((r) => r.findings),
    data,
    views: results.flatMap((r) => r.views ?? []),
  })
}

const VERDICT_RANK: Record<Verdict, number> = {ready: 0, warnings: 1, incomplete: 2, 'not-ready': 3}

/**
 * One summary per alternative across areas (platform and nodes both judge `ambient`): the worst verdict wins and
 * keeps the details of every area that reached it, so "ambient: READY" from one area never hides another's failure.
 */
export function mergeAlternatives(alternatives: readonly AlternativeSummary[]): AlternativeSummary[] {
  const byLabel = new Map<string, AlternativeSummary[]>()
  for (const a of alternatives) byLabel.set(a.label, [...(byLabel.get(a.label) ?? []), a])
  return [...byLabel.entries()].map(([label, all]) => {
    const worst = all.reduce((w, a) => (VERDICT_RANK[a.verdict] > VERDICT_RANK[w.verdict] ? a : w))
    const details = [...new Set(all.filter((a) => a.verdict === worst.verdict && a.detail).map((a) => a.detail!))]
    return {label, verdict: worst.verdict, ...(details.length ? {detail: details.join('; ')} : {})}
  })
}
