import Table from 'cli-table3'
import type {Category, Finding, Severity} from '../checks/types.js'
import {CATEGORIES} from '../checks/types.js'
import {DOCS_BASE} from '../engine/docs-url.js'
import type {Report, ReportView} from '../engine/report.js'
import type {Paint, Style} from './color.js'
import {verdictLines} from './verdict.js'

export interface TableOptions {
  paint: Paint
  /** Terminal width; defaults to 80 so piped output also fits a standard terminal. */
  width?: number
  /** Show passing and skipped findings too (default: collapsed into a count per category). */
  showAll?: boolean
}

const CATEGORY_TITLES: Record<Category, string> = {
  cluster: 'Cluster',
  node: 'Nodes',
  platform: 'Platform',
  workload: 'Workloads',
}

const STATUS: Record<Severity, {label: string; style: Style}> = {
  pass: {label: 'PASS', style: 'green'},
  skip: {label: 'SKIP', style: 'gray'},
  unknown: {label: '?', style: 'cyan'},
  warn: {label: 'WARN', style: 'yellow'},
  fail: {label: 'FAIL', style: 'red'},
}

const PLAIN_CHARS = {
  top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '',
  'bottom-right': '', left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: ' ',
}

export function subjectLabel(f: Pick<Finding, 'subject'>): string {
  const {kind, name, namespace} = f.subject
  if (kind === 'Cluster') return 'cluster'
  const prefix = kind === 'NodeGroup' ? 'group' : kind.toLowerCase()
  return namespace ? `${prefix} ${namespace}/${name}` : `${prefix} ${name}`
}

/** Borderless, fixed-width table (so it wraps instead of overflowing an 80-column terminal). */
function makeTable(widths: number[], head: string[]): Table.Table {
  return new Table({
    head,
    chars: PLAIN_CHARS,
    colWidths: widths,
    wordWrap: true,
    wrapOnWordBoundary: true,
    style: {head: [], border: [], 'padding-left': 0, 'padding-right': 1},
  } as Table.TableConstructorOptions)
}

function renderFindings(findings: readonly Finding[], width: number, paint: Paint): string {
  // colWidths include the right padding; the two column separators take one character each.
  const statusW = 7
  const longestId = Math.max(...findings.map((f) => f.checkId.length))
  const checkW = Math.min(36, Math.max(14, longestId + 1))
  const messageW = Math.max(20, width - statusW - checkW - 2)
  const table = makeTable([statusW, checkW, messageW], ['STATUS', 'CHECK', 'SUBJECT / DETAIL'].map((h) => paint('bold', h)))
  for (const f of findings) {
    const status = STATUS[f.severity]
    table.push([paint(status.style, status.label), f.checkId, `${subjectLabel(f)}: ${f.message}`])
  }
  return table.toString()
}

/**
 * Column widths that fit `width`: columns that are naturally narrow keep their width, the rest share what is left
 * evenly (water-filling), so a long cell wraps instead of pushing the table past the terminal.
 */
export function fitColumns(natural: readonly number[], width: number, min = 8): number[] {
  const available = width - (natural.length - 1)
  if (natural.reduce((a, b) => a + b, 0) <= available) return [...natural]
  const widths = new Array<number>(natural.length).fill(0)
  let remaining = available
  const order = natural.map((w, i) => ({w, i})).sort((a, b) => a.w - b.w)
  order.forEach(({w, i}, k) => {
    const share = Math.floor(remaining / (order.length - k))
    widths[i] = Math.max(min, Math.min(w, share))
    remaining -= widths[i]!
  })
  return widths
}

function renderView(view: ReportView, width: number, paint: Paint): string {
  const longest = (text: string) => Math.max(...text.split('\n').map((l) => l.length))
  const natural = view.headers.map((h, i) => Math.max(longest(h), ...view.rows.map((r) => longest(r[i] ?? ''))) + 1)
  const table = makeTable(fitColumns(natural, width), view.headers.map((h) => paint('bold', h)))
  for (const row of view.rows) table.push([...row])
  return `${paint('bold', view.title)}\n${table.toString()}`
}

/** Greedy word wrap with a hanging indent; long unbreakable words (URLs, commands) keep their own line. */
export function wrap(text: string, width: number, indent: string): string[] {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line !== '' && indent.length + line.length + 1 + word.length > width) {
      lines.push(indent + line)
      line = word
    } else line = line === '' ? word : `${line} ${word}`
  }
  if (line !== '') lines.push(indent + line)
  return lines
}

function renderRemediations(findings: readonly Finding[], paint: Paint, width: number): string {
  const lines: string[] = []
  const seen = new Set<string>()
  for (const f of findings) {
    if (!f.remediation || f.severity === 'pass' || f.severity === 'skip') continue
    const key = `${f.checkId}\u0000${f.remediation.text}\u0000${f.remediation.command ?? ''}`
    if (seen.has(key)) continue
    seen.add(key)
    const [heading = '', ...rest] = wrap(`${STATUS[f.severity].label} ${f.checkId} (${subjectLabel(f)})`, width, '')
    lines.push(heading.replace(STATUS[f.severity].label, paint(STATUS[f.severity].style, STATUS[f.severity].label)), ...rest.map((l) => `  ${l}`))
    lines.push(...wrap(f.remediation.text, width, '  '))
    if (f.remediation.command) lines.push(`  $ ${f.remediation.command}`)
    if (f.remediation.yaml) lines.push(...f.remediation.yaml.trimEnd().split('\n').map((l) => `    ${l}`))
  }
  if (lines.length === 0) return ''
  // One docs link for the section: per-check URLs do not fit 80 columns (they are in -o wide and JSON).
  return [paint('bold', 'How to fix'), ...lines, '', `Each check is explained under its id at`, DOCS_BASE].join('\n')
}

/** The verdict lines (see ./verdict.ts), kept under this name for the renderers that import it from here. */
export function verdictLine(report: Report, paint: Paint, width = 80): string {
  return verdictLines(report, paint, width).join('\n')
}

export function renderTable(report: Report, options: TableOptions): string {
  const width = Math.max(60, options.width ?? 80)
  const {paint} = options
  const sections: string[] = []
  for (const view of report.views) sections.push(renderView(view, width, paint))
  for (const category of CATEGORIES) {
    const all = report.findings.filter((f) => f.category === category)
    if (all.length === 0) continue
    const shown = options.showAll ? all : all.filter((f) => f.severity !== 'pass' && f.severity !== 'skip')
    const hidden = all.length - shown.length
    let body = shown.length > 0 ? renderFindings(shown, width, paint) : ''
    if (hidden > 0) body += `${body ? '\n' : ''}${paint('gray', `${hidden} more passed or skipped (-o wide to list them)`)}`
    sections.push(`${paint('bold', CATEGORY_TITLES[category])}\n${body}`)
  }
  const fixes = renderRemediations(report.findings, paint, width)
  if (fixes) sections.push(fixes)
  sections.push(verdictLine(report, paint, width))
  return `${sections.join('\n\n')}\n`
}
