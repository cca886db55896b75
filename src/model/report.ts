import {compareNumeric, compareText} from './collate.js'
import type {Category, Finding, Severity} from './finding.js'
import {CATEGORIES, SEVERITIES} from './finding.js'
import type {InstallPlan} from './plan.js'

export const SCHEMA_VERSION = 'mesh-ready.io/v1'

/** A table the command wants shown in table output in addition to the findings (e.g. the node-group matrix). */
export interface ReportView {
  readonly title: string
  readonly headers: readonly string[]
  readonly rows: ReadonlyArray<readonly string[]>
  /**
   * A few lines that stand for the view in the default table of a report spanning several areas (`check`), where one
   * screen has to hold everything; `[]` leaves the view out there. `-o wide` and single-area commands show the table.
   */
  readonly brief?: readonly string[]
}

export interface ReportTarget {
  readonly context?: string
  readonly server?: string
  readonly kubernetesVersion?: string
}

/**
 * How much of one selected area was judged. `judged: 0` makes the verdict `incomplete`: nothing was seen
 * (no probe ran, the whole area was denied, no workload was listed), so the report cannot say "ready".
 */
export interface AreaCoverage {
  readonly area: 'cluster' | 'nodes' | 'platform' | 'pods'
  /** How many subjects were judged (node groups probed, workloads seen, …); 1 for all-or-nothing areas. */
  readonly judged: number
  /** What `judged` counts: "node groups", "workloads". */
  readonly unit: string
  /** Why nothing (or not everything) was judged. */
  readonly reason?: string
}

/** A configuration outside the plan, summarised for the verdict line: `ambient: NOT READY on 1 of 3 node groups (missing ip_set)`. */
export interface AlternativeSummary {
  /** `ambient`, `nftables`, `ambient on nftables`. */
  readonly label: string
  readonly verdict: Verdict
  /** `on 1 of 3 node groups (missing ip_set)`. */
  readonly detail?: string
}

export interface Report {
  readonly schemaVersion: typeof SCHEMA_VERSION
  readonly command: string
  readonly generatedAt: string
  readonly istioVersion: string
  readonly target: ReportTarget
  /** The install the verdict judges. */
  readonly plan: InstallPlan
  /** What was looked at, in words: `all namespaces`, `namespace shop`. Absent where it does not apply. */
  readonly scope?: string
  /** Counts of the planned findings (the ones the verdict judges). */
  readonly summary: Readonly<Record<Severity, number>>
  /** Counts of the findings about configurations outside the plan (information only). */
  readonly alternativeSummary: Readonly<Record<Severity, number>>
  readonly verdict: Verdict
  readonly coverage: readonly AreaCoverage[]
  readonly alternatives: readonly AlternativeSummary[]
  readonly findings: readonly Finding[]
  /** Structured per-command data (node groups, detected platform, install flags, …) documented in docs/output.md. */
  readonly data: Readonly<Record<string, unknown>>
  readonly views: readonly ReportView[]
}

export type Verdict = 'ready' | 'warnings' | 'incomplete' | 'not-ready'

export interface ReportInput {
  command: string
  istioVersion: string
  target: ReportTarget
  plan: InstallPlan
  scope?: string
  coverage?: readonly AreaCoverage[]
  alternatives?: readonly AlternativeSummary[]
  findings: readonly Finding[]
  data?: Record<string, unknown>
  views?: ReportView[]
  now?: Date
}

const categoryOrder = (c: Category) => CATEGORIES.indexOf(c)
const severityOrder = (s: Severity) => -SEVERITIES.indexOf(s)

/** Stable order: category, then worst first, then id, then subject. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) =>
      categoryOrder(a.category) - categoryOrder(b.category) ||
      severityOrder(a.severity) - severityOrder(b.severity) ||
      compareText(a.checkId, b.checkId) ||
      compareText(a.subject.namespace ?? '', b.subject.namespace ?? '') ||
      compareNumeric(a.subject.name, b.subject.name),
  )
}

export function summarize(findings: readonly Finding[]): Record<Severity, number> {
  const summary = {pass: 0, skip: 0, unknown: 0, warn: 0, fail: 0}
  for (const f of findings) summary[f.severity]++
  return summary
}

/**
 * Judges the planned findings only. A fail wins; then a selected area that judged nothing (or no planned finding at
 * all) is `incomplete` — never "ready" on nothing; then warnings and unknowns (the plugin could not confirm
 * readiness); else ready.
 */
export function verdictOf(summary: Readonly<Record<Severity, number>>, coverage: readonly AreaCoverage[] = []): Verdict {
  if (summary.fail > 0) return 'not-ready'
  const total = SEVERITIES.reduce((n, s) => n + summary[s], 0)
  if (coverage.some((c) => c.judged === 0) || total === 0 || total === summary.skip) return 'incomplete'
  if (summary.warn > 0 || summary.unknown > 0) return 'warnings'
  return 'ready'
}

export function buildReport(input: ReportInput): Report {
  const findings = sortFindings(input.findings)
  const summary = summarize(findings.filter((f) => f.planned))
  const coverage = input.coverage ?? []
  return {
    schemaVersion: SCHEMA_VERSION,
    command: input.command,
    generatedAt: (input.now ?? new Date()).toISOString(),
    istioVersion: input.istioVersion,
    target: input.target,
    plan: input.plan,
    ...(input.scope !== undefined ? {scope: input.scope} : {}),
    summary,
    alternativeSummary: summarize(findings.filter((f) => !f.planned)),
    verdict: verdictOf(summary, coverage),
    coverage,
    alternatives: input.alternatives ?? [],
    findings,
    data: input.data ?? {},
    views: input.views ?? [],
  }
}
