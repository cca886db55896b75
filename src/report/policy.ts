import {readFileSync} from 'node:fs'
import {isMap, parseDocument} from 'yaml'
import type {Finding, Severity} from '../model/finding.js'
import type {Report} from '../model/report.js'
import {summarize, verdictOf} from '../model/report.js'

/**
 * Suppression and severity policy, like `istioctl analyze --suppress`: a pure function from a report to a report.
 *
 * - `--suppress CHECK-ID[=SUBJECT-GLOB]` (repeatable) and a `--policy FILE` `suppress:` list take matching findings out
 *   of `findings` into `suppressed`; they are counted in `summary.suppressed` (planned) and
 *   `alternativeSummary.suppressed` (outside the plan) and never count toward the verdict or the exit code.
 * - The policy file's `severities:` map sets the severity of a check's problem findings (warn or fail) to `warn` or
 *   `fail`, before suppression. pass, skip and unknown are never changed (unknown means "could not tell").
 *
 * Only problem findings (warn, fail, unknown) are suppressed: a pass or skip has nothing to hide.
 * Documented in docs/output.md#suppression-and-policy.
 */

/** Where a rule comes from: `--suppress` or the policy file's path. */
export interface SuppressionRule {
  readonly checkId: string
  /** A glob over the subject (`*` any run of characters, `?` one); absent: every subject. */
  readonly subject?: string
  readonly reason?: string
  readonly source: string
}

export const OVERRIDE_SEVERITIES = ['warn', 'fail'] as const
export type OverrideSeverity = (typeof OVERRIDE_SEVERITIES)[number]

export interface Policy {
  readonly suppress: readonly SuppressionRule[]
  /** Check id → the severity its warn/fail findings get. */
  readonly severities: Readonly<Record<string, OverrideSeverity>>
  /** The file the severities came from, for `severityOverride.source`. */
  readonly severitySource?: string
}

export const EMPTY_POLICY: Policy = {suppress: [], severities: {}}

/** A finding that a rule suppressed, with the rule. */
export type SuppressedFinding = Finding & {readonly suppressedBy: {readonly rule: string; readonly source: string; readonly reason?: string}}

/** A finding whose severity a policy file changed. */
export type OverriddenFinding = Finding & {readonly severityOverride?: {readonly from: Severity; readonly source: string}}

/** What `applyPolicy` adds to a report. */
export interface PolicyFields {
  readonly summary: Report['summary'] & {readonly suppressed: number}
  readonly alternativeSummary: Report['alternativeSummary'] & {readonly suppressed: number}
  readonly suppressed: readonly SuppressedFinding[]
}

export type PolicedReport = Report & PolicyFields

/** An input error: the message names the input (flag or file) and the problem; the CLI turns it into exit 2. */
export class PolicyError extends Error {}

/** The text a subject glob is matched against: `NAMESPACE/NAME` for namespaced subjects, else `NAME`. */
export function subjectKey(f: Pick<Finding, 'subject'>): string {
  return f.subject.namespace ? `${f.subject.namespace}/${f.subject.name}` : f.subject.name
}

/** `*` matches any run of characters (including `/`), `?` one character; the whole subject must match. */
export function globToRegExp(glob: string): RegExp {
  const body = [...glob].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('')
  return new RegExp(`^${body}$`)
}

const ruleText = (r: Pick<SuppressionRule, 'checkId' | 'subject'>) => (r.subject === undefined ? r.checkId : `${r.checkId}=${r.subject}`)

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  const row = Array.from({length: b.length + 1}, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1))
      diagonal = above
    }
  }
  return row[b.length]!
}

/** Up to three known ids close to `id`: the same slug in another category, a shared prefix, or a small edit distance. */
export function closeMatches(id: string, knownIds: readonly string[]): string[] {
  const slug = id.split('.').at(-1) ?? id
  const scored = knownIds.map((k) => {
    const kSlug = k.split('.').at(-1) ?? k
    const d = Math.min(distance(id, k), distance(slug, kSlug))
    const related = k.includes(slug) || (slug.length >= 3 && kSlug.includes(slug)) || kSlug.includes(id) ? 0 : 1
    return {k, score: related === 0 ? Math.min(d, 1) : d}
  })
  const limit = Math.max(2, Math.floor(slug.length / 3))
  return scored
    .filter((s) => s.score <= limit)
    .sort((a, b) => a.score - b.score || a.k.localeCompare(b.k))
    .slice(0, 3)
    .map((s) => s.k)
}

function checkKnown(id: string, knownIds: readonly string[], where: string): void {
  if (knownIds.includes(id)) return
  const close = closeMatches(id, knownIds)
  const hint = close.length > 0 ? `did you mean ${close.join(', ')}?` : 'see docs/checks.md for the check ids'
  throw new PolicyError(`${where}: unknown check id "${id}"; ${hint}`)
}

/** One `CHECK-ID[=SUBJECT-GLOB]` (the flag's syntax, also allowed as a string entry of the policy's `suppress:` list). */
export function parseSuppression(text: string, knownIds: readonly string[], source = '--suppress'): SuppressionRule {
  const trimmed = text.trim()
  const eq = trimmed.indexOf('=')
  const checkId = (eq < 0 ? trimmed : trimmed.slice(0, eq)).trim()
  const subject = eq < 0 ? undefined : trimmed.slice(eq + 1).trim()
  const where = source === '--suppress' ? `--suppress "${text}"` : source
  if (checkId === '') throw new PolicyError(`${where}: no check id; use CHECK-ID or CHECK-ID=SUBJECT-GLOB, e.g. workload.app-version-labels=shop/*`)
  if (subject === '') throw new PolicyError(`${where}: empty subject glob after "="; leave "=" out to suppress every subject`)
  checkKnown(checkId, knownIds, where)
  return {checkId, ...(subject !== undefined ? {subject} : {}), source}
}

const POLICY_KEYS = ['apiVersion', 'kind', 'severities', 'suppress']
const RULE_KEYS = ['check', 'subject', 'reason']

/**
 * Reads a policy file:
 *
 * ```yaml
 * severities:                       # optional: check id → warn | fail (for that check's warn/fail findings)
 *   workload.app-version-labels: fail
 * suppress:                         # optional: rules, as objects or as CHECK-ID[=SUBJECT-GLOB] strings
 *   - check: workload.app-version-labels
 *     subject: "legacy/*"          # optional glob over NAMESPACE/NAME or NAME
 *     reason: not meshed this quarter   # optional, shown with the suppressed finding
 *   - platform.pod-security-admission=legacy
 * ```
 *
 * Any problem is a PolicyError whose message starts with the file name.
 */
export function parsePolicy(text: string, file: string, knownIds: readonly string[]): Policy {
  const fail = (problem: string): never => {
    throw new PolicyError(`--policy ${file}: ${problem}`)
  }
  const doc = parseDocument(text, {uniqueKeys: true})
  const first = doc.errors[0]
  if (first) {
    const pos = first.linePos?.[0]
    const what = (first.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '')
    fail(`not valid YAML${pos ? ` at line ${pos.line}, column ${pos.col}` : ''}: ${what}`)
  }
  const root = doc.contents
  if (root === null) fail('the file is empty; expected a mapping with severities: and/or suppress:')
  if (!isMap(root)) fail('expected a mapping with severities: and/or suppress: at the top level')
  const value = doc.toJS() as Record<string, unknown>
  for (const key of Object.keys(value)) if (!POLICY_KEYS.includes(key)) fail(`unknown key "${key}"; allowed: ${POLICY_KEYS.join(', ')}`)
  if (value.kind !== undefined && value.kind !== 'Policy') fail(`kind is "${String(value.kind)}"; expected Policy (or leave it out)`)

  const severities: Record<string, OverrideSeverity> = {}
  if (value.severities !== undefined && value.severities !== null) {
    if (typeof value.severities !== 'object' || Array.isArray(value.severities)) fail('severities must be a mapping of check id to warn or fail')
    for (const [id, severity] of Object.entries(value.severities as Record<string, unknown>)) {
      checkKnown(id, knownIds, `--policy ${file}: severities`)
      if (!OVERRIDE_SEVERITIES.includes(severity as OverrideSeverity))
        fail(`severities.${id} is ${JSON.stringify(severity)}; use warn or fail (to hide findings, use suppress:)`)
      severities[id] = severity as OverrideSeverity
    }
  }

  const suppress: SuppressionRule[] = []
  if (value.suppress !== undefined && value.suppress !== null) {
    if (!Array.isArray(value.suppress)) fail('suppress must be a list of rules')
    ;(value.suppress as unknown[]).forEach((entry, i) => {
      const where = `--policy ${file}: suppress[${i}]`
      if (typeof entry === 'string') {
        suppress.push(parseSuppression(entry, knownIds, file))
        return
      }
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
        fail(`suppress[${i}] must be a mapping with check: (and optional subject:, reason:) or a CHECK-ID[=SUBJECT-GLOB] string`)
      const rule = entry as Record<string, unknown>
      for (const key of Object.keys(rule)) if (!RULE_KEYS.includes(key)) fail(`suppress[${i}] has unknown key "${key}"; allowed: ${RULE_KEYS.join(', ')}`)
      if (typeof rule.check !== 'string' || rule.check === '') fail(`suppress[${i}] needs check: <check id>`)
      if (rule.subject !== undefined && (typeof rule.subject !== 'string' || rule.subject === ''))
        fail(`suppress[${i}].subject must be a non-empty glob string`)
      if (rule.reason !== undefined && typeof rule.reason !== 'string') fail(`suppress[${i}].reason must be a string`)
      checkKnown(rule.check as string, knownIds, where)
      suppress.push({
        checkId: rule.check as string,
        ...(rule.subject !== undefined ? {subject: rule.subject as string} : {}),
        ...(rule.reason !== undefined ? {reason: rule.reason as string} : {}),
        source: file,
      })
    })
  }
  return {suppress, severities, severitySource: file}
}

/** Reads and parses `--policy FILE`; an unreadable file is a PolicyError naming it. */
export function loadPolicy(file: string, knownIds: readonly string[]): Policy {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const problem =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'is a directory, not a YAML file'
          : code === 'EACCES'
            ? 'permission denied'
            : (error as Error).message
    throw new PolicyError(`--policy ${file}: ${problem}`)
  }
  return parsePolicy(text, file, knownIds)
}

/** The policy from the flags: the file's rules and severities, plus every `--suppress`. */
export function policyFromFlags(flags: {readonly suppress?: readonly string[]; readonly policy?: string}, knownIds: readonly string[]): Policy {
  const file = flags.policy !== undefined ? loadPolicy(flags.policy, knownIds) : EMPTY_POLICY
  const fromFlags = (flags.suppress ?? []).map((s) => parseSuppression(s, knownIds))
  return {...file, suppress: [...file.suppress, ...fromFlags]}
}

const isProblem = (s: Severity) => s === 'warn' || s === 'fail' || s === 'unknown'

/** Applies severity overrides, then suppressions, and recomputes summaries and the verdict. */
export function applyPolicy<R extends Report>(report: R, policy: Policy): R & PolicyFields {
  const matchers = policy.suppress.map((rule) => ({rule, subject: rule.subject === undefined ? undefined : globToRegExp(rule.subject)}))
  const kept: Finding[] = []
  const suppressed: SuppressedFinding[] = []
  for (const original of report.findings) {
    const override = policy.severities[original.checkId]
    const f: OverriddenFinding =
      override !== undefined && (original.severity === 'warn' || original.severity === 'fail') && override !== original.severity
        ? {...original, severity: override, severityOverride: {from: original.severity, source: policy.severitySource ?? '--policy'}}
        : original
    const hit = isProblem(f.severity)
      ? matchers.find((m) => m.rule.checkId === f.checkId && (m.subject === undefined || m.subject.test(subjectKey(f))))
      : undefined
    if (hit)
      suppressed.push({
        ...f,
        suppressedBy: {rule: ruleText(hit.rule), source: hit.rule.source, ...(hit.rule.reason !== undefined ? {reason: hit.rule.reason} : {})},
      })
    else kept.push(f)
  }
  const summary = summarize(kept.filter((f) => f.planned))
  return {
    ...report,
    findings: kept,
    summary: {...summary, suppressed: suppressed.filter((f) => f.planned).length},
    alternativeSummary: {...summarize(kept.filter((f) => !f.planned)), suppressed: suppressed.filter((f) => !f.planned).length},
    verdict: verdictOf(summary, report.coverage),
    suppressed,
  }
}
