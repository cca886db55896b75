import type {Finding} from '../model/finding.js'
import type {Report} from '../model/report.js'
import type {PolicyFields, SuppressedFinding} from '../report/policy.js'
import {subjectLabel} from './table.js'

/**
 * Small pieces of text the machine and markdown formats share (junit, sarif, markdown): the same subject, the same
 * mode/backend label and the same suppressed list everywhere.
 */

/** `group pool-b`, `workload shop/deployment/web`, `cluster`: the table's subject label. */
export const subjectText = (f: Pick<Finding, 'subject'>): string => subjectLabel(f)

/** `ambient on nftables`, `sidecar`, `iptables`; undefined when the finding is about neither. */
export function configText(f: Pick<Finding, 'mode' | 'backend'>): string | undefined {
  if (f.mode && f.backend) return `${f.mode} on ${f.backend}`
  return f.mode ?? f.backend ?? undefined
}

/** The findings a policy suppressed (absent on reports that never went through applyPolicy). */
export function suppressedOf(report: Report): readonly SuppressedFinding[] {
  return (report as Report & Partial<Pick<PolicyFields, 'suppressed'>>).suppressed ?? []
}

/** `--suppress node.probe=pool-b` / `policy.yaml: node.probe (reason)`. */
export function suppressedByText(f: SuppressedFinding): string {
  const by = f.suppressedBy
  const where = by.source === '--suppress' ? `--suppress ${by.rule}` : `${by.rule} in ${by.source}`
  return by.reason ? `${where} (${by.reason})` : where
}

/** Evidence as `key: value` lines (arrays joined with ", "). */
export function evidenceLines(f: Pick<Finding, 'evidence'>): string[] {
  return Object.entries(f.evidence ?? {}).map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(', ') : String(v)}`)
}

/**
 * The table's "Suppressed" section: in `-o wide` one line per suppressed finding with the rule that suppressed it;
 * in the default table one line counting them. Empty when nothing was suppressed.
 */
export function suppressedSection(
  report: Report,
  options: {showAll?: boolean; width: number; bold: (s: string) => string; gray: (s: string) => string},
): string {
  const suppressed = suppressedOf(report)
  if (suppressed.length === 0) return ''
  if (!options.showAll) return options.gray(`${suppressed.length} suppressed by --suppress/--policy (-o wide to list them)`)
  const fit = (line: string) => (line.length > options.width ? `${line.slice(0, options.width - 1)}…` : line)
  const lines = suppressed.flatMap((f) => {
    const config = configText(f)
    return [
      fit(`${f.severity.toUpperCase()} ${f.checkId} (${subjectText(f)}${config ? `, ${config}` : ''}): ${f.message}`),
      fit(`  suppressed by ${suppressedByText(f)}`),
    ]
  })
  return [options.bold(`Suppressed (${suppressed.length}, not counted in the verdict)`), ...lines].join('\n')
}
