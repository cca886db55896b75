import type {Category, Finding, Severity} from '../model/finding.js'
import {CATEGORIES, SEVERITIES} from '../model/finding.js'
import {DOCS_BASE} from '../model/docs-url.js'
import {planLabel} from '../model/plan.js'
import type {Report, ReportView} from '../model/report.js'
import type {Paint} from './color.js'
import {suppressedSection} from './finding-text.js'
import type {Glyph} from './short.js'
import {configTag, glyphs, shortReason, subjectShort, truncate, truncateMiddle, widthOf} from './short.js'
import {verdictLines} from './verdict.js'

export interface TableOptions {
  paint: Paint
  /** Terminal width; defaults to 80 so piped output also fits a standard terminal. */
  width?: number
  /** Plain ASCII words instead of the status glyphs (no UTF-8 locale, NO_COLOR). */
  ascii?: boolean
  /** -o wide: every finding with its full message and evidence, every fix, every view in full. */
  showAll?: boolean
}

const CATEGORY_TITLES: Record<Category, string> = {
  cluster: 'Cluster',
  node: 'Nodes',
  platform: 'Platform',
  workload: 'Workloads',
}

/** A finding outside the install plan is information: its own mark, never the fail/warn glyph. */
const INFO: Record<'unicode' | 'ascii', Glyph> = {unicode: {text: 'ℹ', style: 'cyan'}, ascii: {text: 'INFO', style: 'cyan'}}

/** `group pool-b`, `workload shop/deployment/web`, `cluster` (the subject with its kind, for prose). */
export function subjectLabel(f: Pick<Finding, 'subject'>): string {
  const {kind, name, namespace} = f.subject
  if (kind === 'Cluster') return 'cluster'
  const prefix = kind === 'NodeGroup' ? 'group' : kind.toLowerCase()
  return namespace ? `${prefix} ${namespace}/${name}` : `${prefix} ${name}`
}

/**
 * Column widths that fit `width`: columns that are naturally narrow keep their width, the rest share what is left
 * evenly (water-filling), so a long cell wraps instead of pushing the table past the terminal.
 */
export function fitColumns(natural: readonly number[], width: number, min = 8, gap = 1): number[] {
  const available = width - gap * (natural.length - 1)
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

/** Greedy word wrap with a hanging indent; a word longer than the line is cut (URLs and commands are laid out elsewhere). */
export function wrap(text: string, width: number, indent: string): string[] {
  const room = Math.max(8, width - widthOf(indent))
  const lines: string[] = []
  let line = ''
  const words = text
    .split(/\s+/)
    .filter(Boolean)
    .flatMap((word) => {
      const chars = [...word]
      const parts: string[] = []
      for (let i = 0; i < chars.length; i += room) parts.push(chars.slice(i, i + room).join(''))
      return parts
    })
  for (const word of words) {
    if (line !== '' && widthOf(line) + 1 + widthOf(word) > room) {
      lines.push(indent + line)
      line = word
    } else line = line === '' ? word : `${line} ${word}`
  }
  if (line !== '') lines.push(indent + line)
  return lines
}

/** Wraps each paragraph of a cell (cells may hold `\n`). */
const wrapCell = (text: string, width: number): string[] => text.split('\n').flatMap((p) => (p.trim() === '' ? [''] : wrap(p, width, '')))

const pad = (text: string, width: number) => text + ' '.repeat(Math.max(0, width - widthOf(text)))

/** A borderless grid: columns fitted to `width`, cells wrapped, two spaces between columns, no trailing spaces. */
export function grid(headers: readonly string[], rows: ReadonlyArray<readonly string[]>, width: number, paint: Paint): string[] {
  const longest = (text: string) => Math.max(0, ...text.split('\n').map(widthOf))
  const natural = headers.map((h, i) => Math.max(longest(h), ...rows.map((r) => longest(r[i] ?? ''))))
  // Two spaces between columns, one when that is what it takes to fit without wrapping.
  const fits = (gap: number) => natural.reduce((a, b) => a + b, 0) + gap * (natural.length - 1) <= width
  const gap = fits(2) || !fits(1) ? 2 : 1
  const widths = fitColumns(natural, width, 6, gap)
  const lay = (cells: readonly string[], style?: (s: string) => string) => {
    const wrapped = widths.map((w, i) => wrapCell(cells[i] ?? '', w))
    const height = Math.max(1, ...wrapped.map((c) => c.length))
    return Array.from({length: height}, (_, line) => {
      const text = widths
        .map((w, i) => pad(wrapped[i]![line] ?? '', w))
        .join(' '.repeat(gap))
        .trimEnd()
      return style ? style(text) : text
    })
  }
  return [...lay(headers, (s) => paint('bold', s)), ...rows.flatMap((r) => lay(r))]
}

function renderView(view: ReportView, width: number, paint: Paint): string {
  return [...wrap(view.title, width, '').map((l, i) => paint('bold', i === 0 ? l : `  ${l}`)), ...grid(view.headers, view.rows, width, paint)].join('\n')
}

/** Worst first (fail, warn, unknown, skip, pass), then category, then the report's own order. */
function worstFirst(findings: readonly Finding[]): Finding[] {
  const rank = (s: Severity) => -SEVERITIES.indexOf(s)
  return findings
    .map((f, i) => ({f, i}))
    .sort((a, b) => rank(a.f.severity) - rank(b.f.severity) || CATEGORIES.indexOf(a.f.category) - CATEGORIES.indexOf(b.f.category) || a.i - b.i)
    .map(({f}) => f)
}

/** The id column at least: most ids (`workload.port-protocol`); wider while 44 columns stay for subject and reason. */
const ID_COLUMN = 22

interface Line {
  readonly glyph: Glyph
  readonly id: string
  readonly subject: string
  readonly finding: Finding
  /** Other checks that said the same about the same subject (folded into this line). */
  readonly more: number
}

/**
 * One line per finding: glyph, check id, subject, short reason, fitted to `width`. Findings of several checks that
 * say the same thing about the same subject (a probe that failed makes every node check unknown) share one line.
 */
export function findingLines(findings: readonly Finding[], options: {width: number; paint: Paint; ascii: boolean; info?: boolean}): string[] {
  const marks = glyphs(options.ascii)
  const lines: Line[] = []
  const folded = new Map<string, number>()
  for (const f of findings) {
    const key = [f.severity, f.subject.kind, f.subject.namespace ?? '', f.subject.name, f.mode ?? '', f.backend ?? '', f.message].join('\u0000')
    const at = folded.get(key)
    if (at !== undefined && f.severity !== 'pass') {
      lines[at] = {...lines[at]!, more: lines[at]!.more + 1}
      continue
    }
    folded.set(key, lines.length)
    const glyph = options.info ? INFO[options.ascii ? 'ascii' : 'unicode'] : marks[f.severity]
    lines.push({glyph, id: f.checkId, subject: subjectShort(f), finding: f, more: 0})
  }
  const ids = lines.map((l) => (l.more ? `${l.id} +${l.more}` : l.id))
  const glyphW = Math.max(...lines.map((l) => widthOf(l.glyph.text)))
  // Ids are aligned up to a width; a longer one pushes its own line's text along rather than every line's.
  const idW = Math.min(Math.max(...ids.map(widthOf)), Math.max(ID_COLUMN, options.width - glyphW - 3 - 44))
  return lines.map((l, i) => {
    // `subject: reason` after the aligned id; the cluster as subject goes without saying.
    const lead = glyphW + 1 + Math.max(idW, widthOf(ids[i]!)) + 2
    const subject = l.finding.subject.kind === 'Cluster' ? '' : `${truncateMiddle(l.subject, Math.max(16, Math.min(36, options.width - lead - 24)))}: `
    const room = Math.max(10, options.width - lead - widthOf(subject))
    const reason = truncate(shortReason(l.finding, room), room)
    const text = `${pad(l.glyph.text, glyphW)} ${pad(ids[i]!, idW)}  ${subject}${reason}`.trimEnd()
    return options.paint(l.glyph.style, l.glyph.text) + text.slice(l.glyph.text.length)
  })
}

/** The counts of what a section leaves out: `✔ 31 passed, – 9 skipped (-o wide lists them)`. */
function hiddenLine(findings: readonly Finding[], options: {paint: Paint; ascii: boolean}): string | undefined {
  const marks = glyphs(options.ascii)
  const passed = findings.filter((f) => f.severity === 'pass').length
  const skipped = findings.filter((f) => f.severity === 'skip').length
  const parts = [
    passed ? `${options.ascii ? '' : `${marks.pass.text} `}${passed} passed` : '',
    skipped ? `${options.ascii ? '' : `${marks.skip.text} `}${skipped} skipped` : '',
  ].filter(Boolean)
  return parts.length ? options.paint('gray', `${parts.join(', ')} (-o wide lists them)`) : undefined
}

/** -o wide: one block per finding, the full message and the evidence, grouped by category. */
function wideBlocks(findings: readonly Finding[], options: {width: number; paint: Paint; ascii: boolean; info?: boolean}): string[] {
  const out: string[] = []
  for (const category of CATEGORIES) {
    const own = findings.filter((f) => f.category === category)
    if (own.length === 0) continue
    out.push(options.paint('bold', CATEGORY_TITLES[category]))
    for (const f of worstFirst(own)) {
      const mark = options.info ? INFO[options.ascii ? 'ascii' : 'unicode'] : glyphs(options.ascii)[f.severity]
      const tag = configTag(f)
      const head = `${mark.text}  ${f.checkId}  ${subjectShort(f)}${tag ? `  (${tag})` : ''}${options.info ? `  [${f.severity}]` : ''}`
      const [first = '', ...rest] = wrap(head, options.width, '')
      out.push(options.paint(mark.style, mark.text) + first.slice(mark.text.length), ...rest.map((l) => `   ${l}`))
      out.push(...wrap(f.message, options.width, '    '))
      for (const [k, v] of Object.entries(f.evidence ?? {})) {
        const value = Array.isArray(v) ? (v.length ? v.join(', ') : '-') : String(v)
        out.push(
          ...wrap(`${k}: ${value}`, options.width, '      ').map((l, i) =>
            i === 0 ? options.paint('gray', `    ${l.trimStart()}`) : options.paint('gray', l),
          ),
        )
      }
    }
  }
  return out
}

interface Fix {
  readonly text: string
  readonly command?: string
  readonly yaml?: string
  readonly findings: Finding[]
}

/** One entry per distinct fix (text, command and YAML), with every finding it applies to; worst first. */
export function collectFixes(findings: readonly Finding[]): Fix[] {
  const byKey = new Map<string, Fix>()
  for (const f of findings) {
    if (!f.remediation || f.severity === 'pass' || f.severity === 'skip') continue
    const {text, command, yaml} = f.remediation
    const key = [text, command ?? '', yaml ?? ''].join('\u0000')
    const fix = byKey.get(key)
    if (fix) fix.findings.push(f)
    else byKey.set(key, {text, ...(command ? {command} : {}), ...(yaml ? {yaml} : {}), findings: [f]})
  }
  const worst = (fix: Fix) => Math.max(...fix.findings.map((f) => SEVERITIES.indexOf(f.severity)))
  return [...byKey.values()]
    .map((fix, i) => ({fix, i}))
    .sort((a, b) => worst(b.fix) - worst(a.fix) || a.i - b.i)
    .map(({fix}) => fix)
}

/** Splits a shell word list at spaces outside quotes. */
function shellWords(command: string): string[] {
  const words: string[] = []
  let word = ''
  let quote: string | undefined
  for (const ch of command) {
    if (quote) {
      word += ch
      if (ch === quote) quote = undefined
    } else if (ch === "'" || ch === '"') {
      quote = ch
      word += ch
    } else if (ch === ' ') {
      if (word) words.push(word)
      word = ''
    } else word += ch
  }
  if (word) words.push(word)
  return words
}

/**
 * A command laid out to paste as it is: no prompt, one line when it fits, else continued with ` \` at spaces outside
 * quotes (a shell reads it as the same command). A word longer than the line stays whole.
 */
export function commandLines(command: string, width: number, indent = '    '): string[] {
  if (command.includes('\n') || widthOf(indent) + widthOf(command) <= width) return command.split('\n').map((l) => `${indent}${l}`.trimEnd())
  const words = shellWords(command)
  const lines: string[] = []
  let line = ''
  const next = `${indent}  `
  for (const word of words) {
    const lead = lines.length === 0 ? indent : next
    if (line !== '' && widthOf(lead) + widthOf(line) + 1 + widthOf(word) + 2 > width) {
      lines.push(`${lead}${line} \\`)
      line = word
    } else line = line === '' ? word : `${line} ${word}`
  }
  if (line !== '') lines.push(`${lines.length === 0 ? indent : next}${line}`)
  return lines
}

/** `edge-arm-0 +1, worker-a-0 +1 and 3 more`: as many subjects as fit `room`. */
function subjectsText(names: readonly string[], room: number): string {
  let shown = names.length
  const text = (n: number) => `${names.slice(0, n).join(', ')}${n < names.length ? ` and ${names.length - n} more` : ''}`
  while (shown > 1 && widthOf(text(shown)) > room) shown--
  return text(shown)
}

function renderFixes(fixes: readonly Fix[], options: {width: number; paint: Paint; ascii: boolean; showAll: boolean}): string[] {
  const out: string[] = []
  const marks = glyphs(options.ascii)
  for (const fix of fixes) {
    const worst = fix.findings.reduce((w, f) => (SEVERITIES.indexOf(f.severity) > SEVERITIES.indexOf(w) ? f.severity : w), 'pass' as Severity)
    const info = fix.findings.every((f) => !f.planned)
    const mark = info ? INFO[options.ascii ? 'ascii' : 'unicode'] : marks[worst]
    const ids = [...new Set(fix.findings.map((f) => f.checkId))].join(', ')
    const tags = [...new Set(fix.findings.map(configTag).filter(Boolean))]
    const head = `${mark.text} ${ids}${tags.length ? ` (${tags.join(', ')})` : ''}${info ? ' [outside the plan]' : ''}: `
    const subjects = [...new Set(fix.findings.map(subjectShort))]
    // Default view: the subjects on the heading line; -o wide: every subject, wrapped.
    const heading = options.showAll
      ? wrap(`${head}${subjects.join(', ')}`, options.width, '')
      : [`${head}${subjectsText(subjects, options.width - widthOf(head))}`]
    const [first = '', ...rest] = heading.map((l, i) => (i === 0 ? truncate(l, options.width) : `  ${l}`))
    out.push(options.paint(mark.style, mark.text) + first.slice(mark.text.length), ...rest)
    out.push(...wrap(fix.text, options.width, '  '))
    if (fix.command) out.push(...commandLines(fix.command, options.width))
    if (fix.yaml)
      out.push(
        ...fix.yaml
          .trimEnd()
          .split('\n')
          .map((l) => `    ${l}`.trimEnd()),
      )
    if (options.showAll) out.push(...[...new Set(fix.findings.map((f) => f.docsUrl))].map((u) => options.paint('gray', `  ${u}`)))
  }
  return out
}

/**
 * The human report. Default: the views, one line per planned problem, the problems outside the plan as information,
 * the fixes worst first, the verdict. `-o wide` adds every finding's full message and evidence, every fix and view.
 */
export function renderTable(report: Report, options: TableOptions): string {
  const width = Math.max(60, options.width ?? 80)
  const {paint} = options
  const ascii = options.ascii ?? false
  const showAll = options.showAll ?? false
  const sections: string[] = []
  const categories = new Set(report.findings.map((f) => f.category))
  // A report spanning several areas (check) shows the views' brief lines, together at the top, then the full views.
  const useBrief = (view: ReportView) => !showAll && categories.size > 1 && view.brief !== undefined
  // An install command for a mode outside the plan is in -o wide and `platform`; the screen keeps the plan's.
  const outsidePlan = (line: string) =>
    /^Install \((sidecar|ambient)\):/.exec(line)?.[1] !== undefined && !report.plan.modes.includes(/^Install \((\w+)\)/.exec(line)![1] as never)
  const briefs = report.views.filter(useBrief).flatMap((v) => v.brief!.filter((l) => !outsidePlan(l)).map((l) => truncate(l, width)))
  if (briefs.length > 0) sections.push(briefs.join('\n'))
  for (const view of report.views) if (!useBrief(view)) sections.push(renderView(view, width, paint))

  const planned = report.findings.filter((f) => f.planned)
  const outside = report.findings.filter((f) => !f.planned)
  const problem = (f: Finding) => f.severity !== 'pass' && f.severity !== 'skip'
  const lineOptions = {width, paint, ascii}
  if (planned.length > 0) {
    const heading = paint('bold', truncate(`Findings for ${planLabel(report.plan)}`, width))
    if (showAll) sections.push([heading, ...wideBlocks(planned, lineOptions)].join('\n'))
    else {
      const shown = worstFirst(planned.filter(problem))
      const hidden = hiddenLine(
        planned.filter((f) => !problem(f)),
        {paint, ascii},
      )
      sections.push([heading, ...(shown.length ? findingLines(shown, lineOptions) : []), ...(hidden ? [hidden] : [])].join('\n'))
    }
  }
  if (outside.length > 0) {
    const heading = paint('bold', truncate('Outside the plan (information, not counted in the verdict)', width))
    if (showAll) sections.push([heading, ...wideBlocks(outside, {...lineOptions, info: true})].join('\n'))
    else {
      // Only the problems: what passes outside the plan is in the matrix and -o wide.
      const shown = worstFirst(outside.filter(problem))
      if (shown.length > 0) sections.push([heading, ...findingLines(shown, {...lineOptions, info: true})].join('\n'))
    }
  }

  const fixes = collectFixes(showAll ? [...planned, ...outside] : planned)
  const outsideFixes = showAll ? 0 : collectFixes(outside).length
  const pointer = showAll
    ? ['One check in full: kubectl mesh-ready explain CHECK-ID [SUBJECT]', `Every check: ${DOCS_BASE}`]
    : [
        outsideFixes > 0
          ? `${outsideFixes} fix${outsideFixes === 1 ? '' : 'es'} outside the plan, every reason: -o wide or kubectl mesh-ready explain ID`
          : 'Every reason and the evidence: kubectl mesh-ready explain CHECK-ID [SUBJECT]',
      ]
  const footer = report.findings.some(problem) ? pointer.map((l) => paint('gray', truncate(l, width))) : []
  if (fixes.length > 0) sections.push([paint('bold', 'How to fix (worst first)'), ...renderFixes(fixes, {...lineOptions, showAll}), ...footer].join('\n'))
  else if (footer.length > 0) sections.push(footer.join('\n'))
  const suppressed = suppressedSection(report, {showAll, width, bold: (t) => paint('bold', t), gray: (t) => paint('gray', t)})
  if (suppressed) sections.push(suppressed)
  sections.push(verdictLine(report, paint, width))
  return `${sections.join('\n\n')}\n`
}

/** The verdict lines (see ./verdict.ts), kept under this name for the renderers that import it from here. */
export function verdictLine(report: Report, paint: Paint, width = 80): string {
  return verdictLines(report, paint, width).join('\n')
}

/**
 * `-o short` / `--summary`, for CI logs: the verdict line(s), then one line per planned fail, warn and unknown (the
 * results that decide the exit code), worst first.
 */
export function renderShort(report: Report, options: TableOptions): string {
  const width = Math.max(60, options.width ?? 80)
  const problems = worstFirst(report.findings.filter((f) => f.planned && (f.severity === 'fail' || f.severity === 'warn' || f.severity === 'unknown')))
  const lines = [
    verdictLine(report, options.paint, width),
    ...(problems.length ? findingLines(problems, {width, paint: options.paint, ascii: options.ascii ?? false}) : []),
  ]
  return `${lines.join('\n')}\n`
}
