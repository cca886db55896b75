import type {Report, Verdict} from '../model/report.js'
import {planLabel} from '../model/plan.js'
import type {Paint, Style} from './color.js'
import {cleanupVerdictLine} from './cleanup-verdict.js'

export const VERDICT_WORDS: Record<Verdict, string> = {
  ready: 'READY',
  warnings: 'READY WITH WARNINGS',
  incomplete: 'INCOMPLETE',
  'not-ready': 'NOT READY',
}
export const VERDICT_STYLES: Record<Verdict, Style> = {ready: 'green', warnings: 'yellow', incomplete: 'cyan', 'not-ready': 'red'}

/** `ambient: NOT READY on 1 of 3 node groups (missing ip_set)`, `; `-joined. */
export function alternativesText(report: Pick<Report, 'alternatives'>): string {
  return report.alternatives.map((a) => `${a.label}: ${VERDICT_WORDS[a.verdict]}${a.detail ? ` ${a.detail}` : ''}`).join('; ')
}

/** Why an incomplete report is incomplete: the areas that judged nothing. */
export function incompleteText(report: Pick<Report, 'coverage'>): string {
  return report.coverage
    .filter((c) => c.judged === 0)
    .map((c) => `${c.area}: 0 ${c.unit} judged${c.reason ? ` (${c.reason})` : ''}`)
    .join('; ')
}

const fit = (text: string, width: number) => (text.length > width ? `${text.slice(0, Math.max(1, width - 1))}…` : text)

/**
 * The verdict, what it judged (plan and scope), the counts, and the alternatives outside the plan. On one line when
 * it fits the width:
 * `READY for sidecar on iptables (Istio 1.30 default) on kind, all namespaces: 20 pass — ambient: NOT READY …`;
 * else as a block whose first line is the verdict and the plan, then indented lines for where and the counts, the
 * reason of an incomplete verdict and each alternative. No line is wider than `width`.
 */
export function verdictLines(report: Report, paint: Paint, width = 80): string[] {
  // cleanup judges no Istio install: its own words (src/render/cleanup-verdict.ts), never "READY for Istio".
  if (report.command === 'cleanup') return [cleanupVerdictLine(report, paint)]
  const order = ['fail', 'warn', 'unknown', 'pass', 'skip'] as const
  const counts = order.filter((s) => report.summary[s] > 0).map((s) => `${report.summary[s]} ${s}`)
  const verdict = VERDICT_WORDS[report.verdict]
  const where = [report.target.context, report.scope].filter((s): s is string => Boolean(s)).join(', ')
  const head = `${verdict} for ${planLabel(report.plan)}`
  const tally = `${where ? `on ${where}: ` : ''}${counts.join(', ') || 'no checks ran'}`
  const extra: string[] = []
  if (report.verdict === 'incomplete') {
    const why = incompleteText(report)
    if (why) extra.push(`not judged: ${why}`)
  }
  extra.push(...report.alternatives.map((a) => `${a.label}: ${VERDICT_WORDS[a.verdict]}${a.detail ? ` ${a.detail}` : ''}`))
  const joined = `${head}${where ? ' ' : ': '}${tally}${extra.length ? ` — ${extra.join('; ')}` : ''}`
  let lines: string[]
  if (joined.length <= width) lines = [joined]
  else {
    lines = [fit(head, width), ...wrap(`  ${shorten(tally, where, width)}`, width)]
    for (const e of extra) lines.push(...wrap(`  — ${e}`, width))
  }
  lines[0] = lines[0]!.replace(verdict, paint(VERDICT_STYLES[report.verdict], verdict))
  return lines
}

/** The where-and-counts line, the context name shortened when it alone would not fit. */
function shorten(tally: string, where: string, width: number): string {
  if (tally.length + 2 <= width || !where) return tally
  const room = Math.max(8, where.length - (tally.length + 2 - width) - 1)
  return tally.replace(where, `${where.slice(0, room)}…`)
}

/** Word-wraps one text to the width, continuation lines indented by two spaces. */
function wrap(text: string, width: number): string[] {
  const indent = /^ */.exec(text)![0]
  const out: string[] = []
  let current = ''
  for (const word of text.trimStart().split(' ')) {
    const next = current ? `${current} ${word}` : `${indent}${word}`
    if (next.length > width && current) {
      out.push(current)
      current = `${indent}  ${word}`
    } else current = next
  }
  if (current) out.push(current)
  return out.map((l) => fit(l, width))
}
