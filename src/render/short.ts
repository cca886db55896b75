import type {Finding, Severity} from '../model/finding.js'
import type {Style} from './color.js'

/**
 * One-line text for a finding: status glyph, compact subject and a short reason that fits what is left of the line.
 * The full message, remediation and evidence are in `-o wide`, JSON and `kubectl mesh-ready explain`.
 */

export interface Glyph {
  readonly text: string
  readonly style: Style
}

const UNICODE: Record<Severity, Glyph> = {
  pass: {text: '✔', style: 'green'},
  warn: {text: '‼', style: 'yellow'},
  fail: {text: '×', style: 'red'},
  unknown: {text: '?', style: 'cyan'},
  skip: {text: '–', style: 'gray'},
}

/** Without a UTF-8 locale or with NO_COLOR: words of one width, so columns still line up and `grep FAIL` works. */
const ASCII: Record<Severity, Glyph> = {
  pass: {text: 'PASS', style: 'green'},
  warn: {text: 'WARN', style: 'yellow'},
  fail: {text: 'FAIL', style: 'red'},
  unknown: {text: '?   ', style: 'cyan'},
  skip: {text: 'SKIP', style: 'gray'},
}

export const glyphs = (ascii: boolean): Record<Severity, Glyph> => (ascii ? ASCII : UNICODE)

/** Display width of text: counts code points (the glyphs and – … × are one column each). */
export const widthOf = (text: string): number => [...text].length

/** Cuts text to `room` columns, ending with … when something was cut; prefers a word boundary. */
export function truncate(text: string, room: number): string {
  if (widthOf(text) <= room) return text
  if (room <= 1) return '…'.slice(0, Math.max(0, room))
  const chars = [...text].slice(0, room - 1)
  const cut = chars.join('')
  const space = cut.lastIndexOf(' ')
  const head = space >= Math.floor(room * 0.6) ? cut.slice(0, space) : cut
  return `${head.replace(/[\s,;:—-]+$/, '')}…`
}

/** Cuts the middle out of a long name (`data/pod/redis-6c…-z8x6v`), keeping how it starts and ends. */
export function truncateMiddle(text: string, room: number): string {
  const chars = [...text]
  if (chars.length <= room) return text
  const tail = Math.floor((room - 1) / 3)
  return `${chars.slice(0, room - 1 - tail).join('')}…${chars.slice(chars.length - tail).join('')}`
}

/** The compact subject: `cluster`, the node group's name, `shop/deployment/web`, `service shop/web`, `namespace shop`. */
export function subjectShort(f: Pick<Finding, 'subject'>): string {
  const {kind, name, namespace} = f.subject
  switch (kind) {
    case 'Cluster':
      return 'cluster'
    case 'NodeGroup':
      return name
    case 'Workload':
      return namespace ? `${namespace}/${name}` : name
    default:
      return `${kind.toLowerCase()} ${namespace ? `${namespace}/${name}` : name}`
  }
}

const SCENARIO = /^(sidecar|ambient) on (iptables|nftables)\b/

/** The mode and backend a finding is about: the finding's own fields, else the `ambient on iptables` its message starts with. */
export function configOf(f: Pick<Finding, 'mode' | 'backend' | 'message'>): {mode: string | null; backend: string | null} {
  const m = SCENARIO.exec(f.message)
  return {mode: f.mode ?? m?.[1] ?? null, backend: f.backend ?? m?.[2] ?? null}
}

/** `ambient/iptables`, `ambient`, `nftables` or '' for a finding about no particular configuration. */
export function configTag(f: Pick<Finding, 'mode' | 'backend' | 'message'>): string {
  const {mode, backend} = configOf(f)
  return [mode, backend].filter(Boolean).join('/')
}

const stringList = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [])

/** `xt_set, ip_set (+2)`: as many names as fit `room`, then how many more. */
export function nameList(names: readonly string[], room: number): string {
  if (names.length === 0) return ''
  let shown = names.length
  const text = (n: number) => `${names.slice(0, n).join(', ')}${n < names.length ? ` (+${names.length - n})` : ''}`
  while (shown > 1 && widthOf(text(shown)) > room) shown--
  // Tighter still: `nf_tables +10`.
  return widthOf(text(shown)) > room && shown < names.length ? `${names[0]} +${names.length - 1}` : text(shown)
}

/** Parenthesised asides, innermost first, with the space before them. */
function dropAsides(text: string): string {
  let out = text
  for (let previous = ''; previous !== out; ) {
    previous = out
    out = out.replace(/\s*\([^()]*\)/g, '').replace(/\s*\[[^[\]]*\]/g, '')
  }
  return out.trim()
}

/** The longest clause prefix (cut at `: `, `; `, ` — `) that fits, keeping at least two words. */
function clausePrefix(text: string, room: number): string | undefined {
  const cuts = [...text.matchAll(/: |; | — /g)].map((m) => m.index)
  for (const at of cuts.reverse()) {
    const head = text.slice(0, at)
    if (widthOf(head) <= room && head.split(' ').length >= 2) return head
  }
  return undefined
}

/** Node scenario findings (node.iptables-backend, node.nftables-backend): what is missing, from the evidence. */
function scenarioReason(f: Finding, tag: string, room: number): string | undefined {
  const e = f.evidence
  if (!e || typeof e.readiness !== 'string') return undefined
  const head = tag ? `${tag}: ` : ''
  const list = (word: string, names: string[]) => `${head}${word} ${nameList(names, room - widthOf(head) - word.length - 1)}`
  const missing = stringList(e.missing)
  const unknown = stringList(e.unknown)
  const warnings = stringList(e.warnings)
  if (f.severity === 'fail' && missing.length) return list('missing', missing)
  if (f.severity === 'unknown' && unknown.length) return list('could not tell', unknown)
  if (f.severity === 'warn' && warnings.length) return list('warnings:', warnings)
  if (f.severity === 'pass') {
    const via = typeof e.path === 'string' ? ` via ${e.path}` : ''
    return `${head}ready${via}`
  }
  return undefined
}

/**
 * A reason that fits `room` columns: for node scenarios `ambient/iptables: missing xt_set, ip_set (+2)`; otherwise the
 * message, then without its asides, then its longest leading clause, then cut with …. A leading mode (`ambient: `)
 * is kept whatever is cut.
 */
export function shortReason(f: Finding, room: number): string {
  const tag = configTag(f)
  const scenario = f.summary ? undefined : scenarioReason(f, tag, room)
  if (scenario !== undefined) return truncate(scenario, room)
  let message = (f.summary ?? f.message).trim()
  let prefix = ''
  const lead = /^(sidecar|ambient|iptables|nftables)(\/\w+)?: /.exec(message)
  const scenarioLead = SCENARIO.exec(message)
  if (lead) {
    prefix = lead[0]
    message = message.slice(prefix.length)
  } else if (scenarioLead) {
    // `ambient on iptables (DNS capture): will not work — …` → `ambient/iptables: will not work — …`
    prefix = `${tag}: `
    message = message.slice(scenarioLead[0].length).replace(/^[^:]*?:\s*/, '')
  } else if (tag) prefix = `${tag}: `
  const rest = room - widthOf(prefix)
  if (widthOf(message) <= rest) return prefix + message
  const plain = dropAsides(message)
  if (widthOf(plain) <= rest) return prefix + plain
  const clause = clausePrefix(plain, rest)
  if (clause) return prefix + clause
  return prefix + truncate(plain, rest)
}
