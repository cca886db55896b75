import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {allChecks} from '../../src/checks/index.js'
import type {Finding} from '../../src/model/finding.js'
import {resolvePlan} from '../../src/model/plan.js'
import {buildReport} from '../../src/model/report.js'
import {applyPolicy, closeMatches, globToRegExp, loadPolicy, parsePolicy, parseSuppression, PolicyError, policyFromFlags} from '../../src/report/policy.js'

const ids = allChecks.map((c) => c.id)
const tmp = mkdtempSync(path.join(tmpdir(), 'suppress-'))

const base = {title: 't', docsUrl: 'u', mode: null, backend: null, planned: true} as const
const workload = (name: string, namespace: string, severity: Finding['severity'], checkId = 'workload.app-version-labels'): Finding => ({
  ...base,
  checkId,
  category: 'workload',
  severity,
  subject: {kind: 'Workload', name, namespace},
  message: `${name} ${severity}`,
})
const report = buildReport({
  command: 'pods',
  istioVersion: '1.30',
  plan: resolvePlan({istioVersion: '1.30'}),
  target: {},
  findings: [
    workload('deployment/old', 'legacy', 'warn'),
    workload('deployment/older', 'legacy', 'warn'),
    workload('deployment/web', 'shop', 'warn'),
    workload('deployment/ok', 'shop', 'pass'),
    workload('deployment/root', 'shop', 'fail', 'workload.uid-1337'),
    {...workload('deployment/amb', 'shop', 'fail', 'workload.net-admin-capabilities'), mode: 'ambient', planned: false},
  ],
})

const expectPolicyError = (fn: () => unknown) => {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyError)
    const message = (error as Error).message
    expect(message.split('\n')).toHaveLength(1)
    return message
  }
  throw new Error('expected a PolicyError')
}

describe('--suppress CHECK-ID[=SUBJECT-GLOB]', () => {
  it.each([
    ['legacy/*', 'legacy/deployment/old', true],
    ['legacy/*', 'shop/deployment/web', false],
    ['*/deployment/old*', 'legacy/deployment/older', true],
    ['shop/deployment/we?', 'shop/deployment/web', true],
    ['shop/deployment/we?', 'shop/deployment/webs', false],
    ['a.b', 'aXb', false], // regex characters are literal
  ])('glob %s on %s → %s', (glob, subject, matches) => {
    expect(globToRegExp(glob).test(subject)).toBe(matches)
  })

  it('suppresses the matching problem findings: counted in summary.suppressed, not in the counts or the verdict', () => {
    const policed = applyPolicy(report, {
      suppress: [parseSuppression('workload.app-version-labels=legacy/*', ids), parseSuppression('workload.uid-1337', ids)],
      severities: {},
    })
    expect(policed.suppressed.map((f) => f.subject.name)).toEqual(['deployment/root', 'deployment/old', 'deployment/older'])
    expect(policed.summary).toEqual({pass: 1, skip: 0, unknown: 0, warn: 1, fail: 0, suppressed: 3})
    expect(report.verdict).toBe('not-ready')
    expect(policed.verdict).toBe('warnings')
    expect(policed.findings.map((f) => f.subject.name)).not.toContain('deployment/old')
    expect(policed.suppressed[0]!.suppressedBy).toEqual({rule: 'workload.uid-1337', source: '--suppress'})
  })

  it('never suppresses a pass, and counts suppressed findings outside the plan in alternativeSummary', () => {
    const policed = applyPolicy(report, {
      suppress: [parseSuppression('workload.app-version-labels', ids), parseSuppression('workload.net-admin-capabilities', ids)],
      severities: {},
    })
    expect(policed.findings.filter((f) => f.checkId === 'workload.app-version-labels').map((f) => f.severity)).toEqual(['pass'])
    expect(policed.summary.suppressed).toBe(3)
    expect(policed.alternativeSummary).toMatchObject({fail: 0, suppressed: 1})
  })

  it.each([
    ['workload.app-version-label', 'workload.app-version-labels'],
    ['app-version-labels', 'workload.app-version-labels'],
    ['node.iptables', 'node.iptables-backend'],
    ['workload.uid1337', 'workload.uid-1337'],
  ])('an unknown check id %s is an error naming close matches (%s)', (id, close) => {
    const message = expectPolicyError(() => parseSuppression(id, ids))
    expect(message).toMatch(new RegExp(`^--suppress "${id}": unknown check id "${id}"; did you mean .*${close.replace('.', '\\.')}`))
    expect(closeMatches(id, ids)).toContain(close)
  })

  it('an id close to nothing points to the list of checks', () => {
    expect(expectPolicyError(() => parseSuppression('zzzzzz.qqqqqq', ids))).toBe(
      '--suppress "zzzzzz.qqqqqq": unknown check id "zzzzzz.qqqqqq"; see docs/checks.md for the check ids',
    )
  })

  it.each(['', '=shop/*', 'workload.uid-1337='])('%j is a usage error', (text) => {
    expect(expectPolicyError(() => parseSuppression(text, ids))).toMatch(/^--suppress ".*": /)
  })
})

describe('--policy FILE', () => {
  const file = 'policy.yaml'

  it('reads severities and suppressions (objects and CHECK-ID[=GLOB] strings); severities apply before suppression', () => {
    const policy = parsePolicy(
      [
        'severities:',
        '  workload.app-version-labels: fail',
        '  workload.uid-1337: warn',
        'suppress:',
        '  - check: workload.app-version-labels',
        '    subject: "legacy/*"',
        '    reason: not meshed this quarter',
        '  - workload.net-admin-capabilities=shop/*',
        '',
      ].join('\n'),
      file,
      ids,
    )
    expect(policy.suppress).toEqual([
      {checkId: 'workload.app-version-labels', subject: 'legacy/*', reason: 'not meshed this quarter', source: file},
      {checkId: 'workload.net-admin-capabilities', subject: 'shop/*', source: file},
    ])
    const policed = applyPolicy(report, policy)
    const web = policed.findings.find((f) => f.subject.name === 'deployment/web')!
    expect(web).toMatchObject({severity: 'fail', severityOverride: {from: 'warn', source: file}})
    expect(policed.findings.find((f) => f.subject.name === 'deployment/root')).toMatchObject({severity: 'warn', severityOverride: {from: 'fail'}})
    expect(policed.findings.find((f) => f.subject.name === 'deployment/ok')).toMatchObject({severity: 'pass'})
    expect(policed.suppressed.map((f) => [f.subject.name, f.severity, f.suppressedBy.reason])).toEqual([
      ['deployment/amb', 'fail', undefined],
      ['deployment/old', 'fail', 'not meshed this quarter'],
      ['deployment/older', 'fail', 'not meshed this quarter'],
    ])
    expect(policed.summary).toMatchObject({fail: 1, warn: 1, suppressed: 2})
    expect(policed.alternativeSummary).toMatchObject({suppressed: 1})
    expect(policed.verdict).toBe('not-ready')
  })

  it.each([
    ['severities: [', /^--policy policy\.yaml: not valid YAML at line 1, column \d+: /],
    ['', /^--policy policy\.yaml: the file is empty; expected a mapping/],
    ['- a\n- b\n', /^--policy policy\.yaml: expected a mapping with severities: and\/or suppress: at the top level$/],
    ['supress: []\n', /^--policy policy\.yaml: unknown key "supress"; allowed: apiVersion, kind, severities, suppress$/],
    ['kind: Pod\n', /^--policy policy\.yaml: kind is "Pod"; expected Policy/],
    ['severities: [a]\n', /^--policy policy\.yaml: severities must be a mapping of check id to warn or fail$/],
    ['severities:\n  workload.uid-1337: error\n', /^--policy policy\.yaml: severities\.workload\.uid-1337 is "error"; use warn or fail/],
    ['severities:\n  workload.uid1337: warn\n', /^--policy policy\.yaml: severities: unknown check id "workload\.uid1337"; did you mean workload\.uid-1337\?$/],
    ['suppress: workload.uid-1337\n', /^--policy policy\.yaml: suppress must be a list of rules$/],
    ['suppress:\n  - subject: a\n', /^--policy policy\.yaml: suppress\[0\] needs check: <check id>$/],
    [
      'suppress:\n  - check: workload.uid-1337\n    subjects: a\n',
      /^--policy policy\.yaml: suppress\[0\] has unknown key "subjects"; allowed: check, subject, reason$/,
    ],
    ['suppress:\n  - check: node.iptable\n', /^--policy policy\.yaml: suppress\[0\]: unknown check id "node\.iptable"; did you mean node\.iptables-backend/],
    ['suppress:\n  - 42\n', /^--policy policy\.yaml: suppress\[0\] must be a mapping/],
    ['suppress:\n  - node.nope=x\n', /^policy\.yaml: unknown check id "node\.nope"/],
    ['severities:\n  a: warn\n  a: fail\n', /^--policy policy\.yaml: not valid YAML at line 3/],
  ])('%j → one-line error naming the file and the problem', (text, expected) => {
    expect(expectPolicyError(() => parsePolicy(text, file, ids))).toMatch(expected)
  })

  it('an unreadable file is named with the reason', () => {
    expect(expectPolicyError(() => loadPolicy(path.join(tmp, 'missing.yaml'), ids))).toBe(`--policy ${path.join(tmp, 'missing.yaml')}: no such file`)
    expect(expectPolicyError(() => loadPolicy(tmp, ids))).toBe(`--policy ${tmp}: is a directory, not a YAML file`)
  })

  it('flags and file combine: the file rules first, then every --suppress', () => {
    const policyFile = path.join(tmp, 'p.yaml')
    writeFileSync(policyFile, 'suppress: [workload.uid-1337]\n')
    const policy = policyFromFlags({policy: policyFile, suppress: ['workload.app-version-labels=legacy/*']}, ids)
    expect(policy.suppress.map((r) => [r.checkId, r.source])).toEqual([
      ['workload.uid-1337', policyFile],
      ['workload.app-version-labels', '--suppress'],
    ])
  })
})
