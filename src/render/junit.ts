import type {Category, Finding} from '../model/finding.js'
import {CATEGORIES} from '../model/finding.js'
import type {FailOn} from '../model/exit-codes.js'
import {planLabel} from '../model/plan.js'
import type {Report} from '../model/report.js'
import type {SuppressedFinding} from '../report/policy.js'
import {configText, evidenceLines, subjectText, suppressedByText, suppressedOf} from './finding-text.js'
import {VERDICT_WORDS} from './verdict.js'

/**
 * JUnit XML (the Jenkins/Ant dialect every CI reads; validated in the tests against Jenkins' junit-4.xsd).
 *
 * One `<testsuite>` per category, one `<testcase>` per check × subject × mode × backend (classname = check id, name =
 * subject and configuration). What each result becomes follows the exit code, so CI shows red exactly when the exit
 * code is non-zero (docs/output.md#junit):
 *
 * - fail → `<failure type="fail">`;
 * - warn → `<failure type="warn">` with `--fail-on warn` (the default), else a passed case with the warning in `<system-out>`;
 * - unknown → `<error type="unknown">` (the check could not run to a result) with `--fail-on warn|unknown`, else `<skipped>`;
 * - skip → `<skipped>`; a finding outside the install plan (`planned: false`) that is not a pass → `<skipped>` saying so;
 * - a suppressed finding → `<skipped>` naming the rule.
 */

const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g

/** Escapes text for XML content and attribute values; characters XML 1.0 cannot carry are dropped. */
export function xmlEscape(text: string): string {
  return text
    .replace(CONTROL, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\r/g, '&#13;')
}

const attrs = (values: Record<string, string | number>) =>
  Object.entries(values)
    .map(([k, v]) => ` ${k}="${xmlEscape(String(v)).replace(/\n/g, '&#10;')}"`)
    .join('')

type Outcome = {kind: 'passed'; out?: string} | {kind: 'failure' | 'error'; type: string} | {kind: 'skipped'; text: string}

function outcomeOf(f: Finding, failOn: FailOn): Outcome {
  if (!f.planned && f.severity !== 'pass')
    return {kind: 'skipped', text: `outside the install plan (${configText(f) ?? 'another configuration'}), information only: ${f.severity}: ${f.message}`}
  switch (f.severity) {
    case 'pass':
      return {kind: 'passed'}
    case 'skip':
      return {kind: 'skipped', text: f.message}
    case 'fail':
      return failOn === 'never' ? {kind: 'passed', out: `FAIL (--fail-on never): ${f.message}`} : {kind: 'failure', type: 'fail'}
    case 'warn':
      return failOn === 'warn' ? {kind: 'failure', type: 'warn'} : {kind: 'passed', out: `WARN: ${f.message}`}
    case 'unknown':
      return failOn === 'warn' || failOn === 'unknown' ? {kind: 'error', type: 'unknown'} : {kind: 'skipped', text: `could not tell: ${f.message}`}
  }
}

/** The body of a failure or error: the message, how to fix it, the evidence and the docs link. */
function details(f: Finding): string {
  const lines = [f.message]
  if (f.remediation) {
    lines.push('', `How to fix: ${f.remediation.text}`)
    if (f.remediation.command) lines.push(`$ ${f.remediation.command}`)
    if (f.remediation.yaml) lines.push(f.remediation.yaml.trimEnd())
  }
  const evidence = evidenceLines(f)
  if (evidence.length > 0) lines.push('', 'Evidence:', ...evidence.map((l) => `  ${l}`))
  lines.push('', `Docs: ${f.docsUrl}`)
  return lines.join('\n')
}

const caseName = (f: Finding) => {
  const config = configText(f)
  return config ? `${subjectText(f)} [${config}]` : subjectText(f)
}

function testcase(f: Finding | SuppressedFinding, failOn: FailOn): {xml: string; kind: Outcome['kind']} {
  const open = `    <testcase${attrs({classname: f.checkId, name: caseName(f), time: '0'})}`
  const outcome: Outcome =
    'suppressedBy' in f
      ? {kind: 'skipped', text: `suppressed by ${suppressedByText(f as SuppressedFinding)}: ${f.severity}: ${f.message}`}
      : outcomeOf(f, failOn)
  switch (outcome.kind) {
    case 'passed':
      return {kind: 'passed', xml: outcome.out ? `${open}>\n      <system-out>${xmlEscape(outcome.out)}</system-out>\n    </testcase>` : `${open}/>`}
    case 'skipped':
      return {kind: 'skipped', xml: `${open}>\n      <skipped>${xmlEscape(outcome.text)}</skipped>\n    </testcase>`}
    case 'failure':
    case 'error':
      return {
        kind: outcome.kind,
        xml: `${open}>\n      <${outcome.kind}${attrs({type: outcome.type, message: f.message})}>${xmlEscape(details(f))}</${outcome.kind}>\n    </testcase>`,
      }
  }
}

export function renderJunit(report: Report, options: {failOn?: FailOn} = {}): string {
  const failOn = options.failOn ?? 'warn'
  const suppressed = suppressedOf(report)
  const timestamp = report.generatedAt.replace(/\.\d+Z$/, 'Z')
  const properties = [
    ['command', report.command],
    ['istioVersion', report.istioVersion],
    ['plan', planLabel(report.plan)],
    ['verdict', report.verdict],
    ...(report.target.context ? [['context', report.target.context]] : []),
    ...(report.target.server ? [['server', report.target.server]] : []),
    ...(report.scope ? [['scope', report.scope]] : []),
  ]
  const totals = {tests: 0, failures: 0, errors: 0, skipped: 0}
  const suites: string[] = []
  for (const category of CATEGORIES as readonly Category[]) {
    const findings = [...report.findings, ...suppressed].filter((f) => f.category === category)
    if (findings.length === 0) continue
    const cases = findings.map((f) => testcase(f, failOn))
    const count = (kind: Outcome['kind']) => cases.filter((c) => c.kind === kind).length
    const suite = {tests: cases.length, failures: count('failure'), errors: count('error'), skipped: count('skipped')}
    totals.tests += suite.tests
    totals.failures += suite.failures
    totals.errors += suite.errors
    totals.skipped += suite.skipped
    suites.push(
      [
        `  <testsuite${attrs({name: `mesh-ready.${category}`, ...suite, time: '0', timestamp, ...(report.target.context ? {hostname: report.target.context} : {})})}>`,
        '    <properties>',
        ...properties.map(([name, value]) => `      <property${attrs({name: name!, value: value!})}/>`),
        '    </properties>',
        ...cases.map((c) => c.xml),
        '  </testsuite>',
      ].join('\n'),
    )
  }
  const name = `kubectl mesh-ready ${report.command}: ${VERDICT_WORDS[report.verdict]} for ${planLabel(report.plan)}`
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attrs({name, tests: totals.tests, failures: totals.failures, errors: totals.errors, time: '0'})}>`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n')
}
