import type {Report, Verdict} from '../engine/report.js'
import {planLabel} from '../engine/plan.js'
import type {Paint, Style} from './color.js'

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
 * The verdict, what it judged (plan and scope) and the counts, then the alternatives outside the plan:
 * `READY for sidecar on iptables (Istio 1.30 default) on kind, all namespaces: 20 pass — ambient: NOT READY …`.
 * One line when it fits the width, else the alternatives (and the reason of an incomplete verdict) on their own lines;
 * no line is wider than `width`.
 */
export function verdictLines(report: Report, paint: Paint, width = 80): string[] {
  const order = ['fail', 'warn', 'unknown', 'pass', 'skip'] as const
  const counts = order.filter((s) => report.summary[s] > 0).map((s) => `${report.summary[s]} ${s}`)
  const verdict = VERDICT_WORDS[report.verdict]
  const where = [report.target.context, report.scope].filter((s): s is string => Boolean(s)).join(', ')
  const compose = (context: string, shown: readonly string[]) => `${verdict} for ${planLabel(report.plan)}${context ? ` on ${context}` : ''}: ${shown.join(', ') || 'no checks ran'}`
  let context = where
  let shown = counts
  let line = compose(context, shown)
  while (line.length > width && shown.length > 1) {
    shown = shown.slice(0, -1)
    line = compose(context, shown)
  }
  if (line.length > width && context) {
    const room = Math.max(8, context.length - (line.length - width) - 1)
    context = context.length > room ? `${context.slice(0, room)}…` : context
    line = compose(context, shown)
  }
  line = fit(line, width)
  const extra: string[] = []
  if (report.verdict === 'incomplete') {
    const why = incompleteText(report)
    if (why) extra.push(`— not judged: ${why}`)
  }
  const alternatives = alternativesText(report)
  if (alternatives) extra.push(`— ${alternatives}`)
  const lines = [line]
  for (const e of extra) {
    if (lines.length === 1 && `${line} ${e}`.length <= width) lines[0] = `${line} ${e}`
    else lines.push(...wrap(e, width))
  }
  lines[0] = lines[0]!.replace(verdict, paint(VERDICT_STYLES[report.verdict], verdict))
  return lines
}

/** Word-wraps one text to the width, continuation lines indented by two spaces. */
function wrap(text: string, width: number): string[] {
  const out: string[] = []
  let current = ''
  for (const word of text.split(' ')) {
    const next = current ? `${current} ${word}` : word
    if (next.length > width && current) {
      out.push(current)
      current = `  ${word}`
    } else current = next
  }
  if (current) out.push(current)
  return out.map((l) => fit(l, width))
}
