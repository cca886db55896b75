import type {Category, Finding, Severity} from '../checks/types.js'
import {CATEGORIES, SEVERITIES} from '../checks/types.js'

export const SCHEMA_VERSION = 'mesh-ready.io/v1'

/** A table the command wants shown in table output in addition to the findings (e.g. the node-group matrix). */
export interface ReportView {
  readonly title: string
  readonly headers: readonly string[]
  readonly rows: ReadonlyArray<readonly string[]>
}

export interface ReportTarget {
  readonly context?: string
  readonly server?: string
  readonly kubernetesVersion?: string
}

export interface Report {
  readonly schemaVersion: typeof SCHEMA_VERSION
  readonly command: string
  readonly generatedAt: string
  readonly istioVersion: string
  readonly target: ReportTarget
  readonly summary: Readonly<Record<Severity, number>>
  readonly verdict: Verdict
  readonly findings: readonly Finding[]
  /** Structured per-command data (node groups, detected platform, install flags, …) documented in docs/output.md. */
  readonly data: Readonly<Record<string, unknown>>
  readonly views: readonly ReportView[]
}

export type Verdict = 'ready' | 'warnings' | 'not-ready'

export interface ReportInput {
  command: string
  istioVersion: string
  target: ReportTarget
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
      a.checkId.localeCompare(b.checkId) ||
      (a.subject.namespace ?? '').localeCompare(b.subject.namespace ?? '') ||
      a.subject.name.localeCompare(b.subject.name, undefined, {numeric: true}),
  )
}

export function summarize(findings: readonly Finding[]): Record<Severity, number> {
  const summary = {pass: 0, skip: 0, unknown: 0, warn: 0, fail: 0}
  for (const f of findings) summary[f.severity]++
  return summary
}

/** Unknown counts as a warning: the plugin could not confirm readiness. */
export function verdictOf(summary: Readonly<Record<Severity, number>>): Verdict {
  if (summary.fail > 0) return 'not-ready'
  if (summary.warn > 0 || summary.unknown > 0) return 'warnings'
  return 'ready'
}

export function buildReport(input: ReportInput): Report {
  const findings = sortFindings(input.findings)
  const summary = summarize(findings)
  return {
    schemaVersion: SCHEMA_VERSION,
    command: input.command,
    generatedAt: (input.now ?? new Date()).toISOString(),
    istioVersion: input.istioVersion,
    target: input.target,
    summary,
    verdict: verdictOf(summary),
    findings,
    data: input.data ?? {},
    views: input.views ?? [],
  }
}
