import type {Finding, Severity} from '../model/finding.js'
import {planLabel} from '../model/plan.js'
import type {Report} from '../model/report.js'
import {alternativesText, incompleteText, VERDICT_WORDS} from './verdict.js'
import {configText, subjectText, suppressedByText, suppressedOf} from './finding-text.js'

/**
 * A report to paste into a pull request or a ticket (GitHub-flavoured Markdown): a heading with the verdict, what was
 * judged, the counts, the problems worst first (a table), how to fix them (one entry per distinct fix, every subject it
 * applies to, commands in ```sh blocks), the configurations outside the plan, what was suppressed, and the passing
 * and skipped checks folded in a <details> block. docs/output.md#markdown.
 */

const WORST_FIRST: readonly Severity[] = ['fail', 'warn', 'unknown', 'skip', 'pass']
const ICON: Record<Severity, string> = {fail: '❌ fail', warn: '⚠️ warn', unknown: '❔ unknown', skip: '➖ skip', pass: '✅ pass'}

/** Escapes text for a table cell or a line of prose: no markup, no HTML, no cell breaks. */
export function mdEscape(text: string): string {
  return text
    .replace(/\r?\n/g, ' ')
    .replace(/([\\`*_[\]{}<>#|!~])/g, '\\$1')
    .replace(/^(\s*)([-+]|\d+\.)(\s)/, '$1\\$2$3')
}

/** A code span that survives backticks inside the text. */
const code = (text: string) => {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length))
  const fence = '`'.repeat(longest + 1)
  return longest > 0 ? `${fence} ${text} ${fence}` : `${fence}${text}${fence}`
}

/** A fenced block whose fence is longer than any run of backticks in the body. */
const block = (lang: string, body: string) => {
  const longest = Math.max(2, ...[...body.matchAll(/`+/g)].map((m) => m[0].length))
  const fence = '`'.repeat(longest + 1)
  return `${fence}${lang}\n${body.trimEnd()}\n${fence}`
}

const table = (headers: readonly string[], rows: ReadonlyArray<readonly string[]>) =>
  [`| ${headers.join(' | ')} |`, `|${headers.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n')

const byWorst = (a: Finding, b: Finding) => WORST_FIRST.indexOf(a.severity) - WORST_FIRST.indexOf(b.severity) || a.checkId.localeCompare(b.checkId)

const findingRow = (f: Finding) => [
  ICON[f.severity],
  `[${code(f.checkId)}](${f.docsUrl})`,
  mdEscape(subjectText(f)),
  mdEscape(configText(f) ?? '—'),
  mdEscape(f.message),
]
const HEADERS = ['status', 'check', 'subject', 'mode / backend', 'detail']

function fixes(problems: readonly Finding[]): string[] {
  const groups = new Map<string, {first: Finding; subjects: string[]}>()
  for (const f of problems) {
    if (!f.remediation) continue
    const key = [f.checkId, f.remediation.text, f.remediation.command ?? '', f.remediation.yaml ?? ''].join('\u0000')
    const group = groups.get(key)
    const subject = subjectText(f) + (configText(f) ? ` (${configText(f)})` : '')
    if (group) {
      if (!group.subjects.includes(subject)) group.subjects.push(subject)
    } else groups.set(key, {first: f, subjects: [subject]})
  }
  const out: string[] = []
  for (const {first, subjects} of groups.values()) {
    const r = first.remediation!
    out.push(`#### ${ICON[first.severity]} ${code(first.checkId)}`, '', `Applies to: ${subjects.map(mdEscape).join(', ')}`, '', mdEscape(r.text))
    if (r.command) out.push('', block('sh', r.command))
    if (r.yaml) out.push('', block('yaml', r.yaml))
    out.push('')
  }
  return out
}

export function renderMarkdown(report: Report): string {
  const suppressed = suppressedOf(report)
  const planned = report.findings.filter((f) => f.planned)
  const problems = planned.filter((f) => f.severity === 'fail' || f.severity === 'warn' || f.severity === 'unknown').sort(byWorst)
  const quiet = planned.filter((f) => f.severity === 'pass' || f.severity === 'skip').sort(byWorst)
  const outside = report.findings.filter((f) => !f.planned && f.severity !== 'pass' && f.severity !== 'skip').sort(byWorst)
  const out: string[] = []

  out.push(`## kubectl mesh-ready ${report.command}: ${VERDICT_WORDS[report.verdict]}`, '')
  const target = [
    `**Plan:** ${mdEscape(planLabel(report.plan))}`,
    ...(report.target.context ? [`**Context:** ${code(report.target.context)}`] : []),
    ...(report.target.kubernetesVersion ? [`**Kubernetes:** ${mdEscape(report.target.kubernetesVersion)}`] : []),
    ...(report.scope ? [`**Scope:** ${mdEscape(report.scope)}`] : []),
    `**Generated:** ${report.generatedAt}`,
  ]
  out.push(target.join(' · '), '')
  const counts: Array<[string, number]> = [
    ...WORST_FIRST.map((s): [string, number] => [s, report.summary[s]]),
    ['suppressed', suppressed.filter((f) => f.planned).length],
  ]
  out.push(
    table(
      counts.map(([s]) => s),
      [counts.map(([, n]) => String(n))],
    ),
    '',
  )
  if (report.verdict === 'incomplete') {
    const why = incompleteText(report)
    out.push(`> **Incomplete:** ${mdEscape(why || 'no planned check produced a result')}`, '')
  }

  out.push('### Problems', '')
  out.push(problems.length > 0 ? table(HEADERS, problems.map(findingRow)) : 'None: every planned check passed or did not apply.', '')

  const fixLines = fixes(problems)
  if (fixLines.length > 0) out.push('### How to fix', '', ...fixLines)

  if (outside.length > 0 || report.alternatives.length > 0) {
    out.push('### Outside the install plan (information only)', '')
    const alternatives = alternativesText(report)
    if (alternatives) out.push(mdEscape(alternatives), '')
    if (outside.length > 0) out.push(table(HEADERS, outside.map(findingRow)), '')
  }

  if (suppressed.length > 0) {
    out.push('### Suppressed', '')
    out.push(
      table(
        [...HEADERS, 'suppressed by'],
        [...suppressed].sort(byWorst).map((f) => [...findingRow(f), mdEscape(suppressedByText(f))]),
      ),
      '',
    )
  }

  if (quiet.length > 0) {
    out.push(`<details><summary>Passed and skipped checks (${quiet.length})</summary>`, '', table(HEADERS, quiet.map(findingRow)), '', '</details>', '')
  }
  return `${out
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trimEnd()}\n`
}
