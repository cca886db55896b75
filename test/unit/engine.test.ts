import {describe, expect, it} from 'vitest'
import type {Finding} from '../../src/model/finding.js'
import {CLUSTER_SUBJECT, defineCheck, known, unavailable} from '../../src/model/finding.js'
import {exitCodeFor} from '../../src/model/exit-codes.js'
import {resolvePlan} from '../../src/model/plan.js'
import {buildReport, verdictOf} from '../../src/model/report.js'
import {runChecks} from '../../src/checks/run.js'

type Facts = {a: ReturnType<typeof known<number>>; b: ReturnType<typeof known<string>>}

const needsA = defineCheck<Facts>()({
  id: 'cluster.test-a',
  title: 'A is positive',
  category: 'cluster',
  needs: ['a'],
  source: 'test',
  run: ({a}) => [{severity: a > 0 ? 'pass' : 'fail', subject: CLUSTER_SUBJECT, message: `a=${a}`}],
})
const needsB = defineCheck<Facts>()({
  id: 'cluster.test-b',
  title: 'B is set',
  category: 'cluster',
  needs: ['b'],
  source: 'test',
  run: ({b}) => [
    {severity: 'warn', subject: {kind: 'Namespace', name: b}, message: 'twice'},
    {severity: 'warn', subject: {kind: 'Namespace', name: b}, message: 'twice'},
  ],
})

describe('runChecks', () => {
  it('runs checks whose facts are known and fills id, title, category and docs link', () => {
    const findings = runChecks([needsA, needsB], {a: known(1), b: known('x')})
    expect(findings.map((f) => [f.checkId, f.severity])).toEqual([
      ['cluster.test-a', 'pass'],
      ['cluster.test-b', 'warn'],
    ])
    expect(findings[0]?.docsUrl).toMatch(/checks\.md#cluster-test-a$/)
    expect(findings[0]?.title).toBe('A is positive')
  })

  it('reports unknown with the reason when a needed fact is unavailable, and still runs the others', () => {
    const findings = runChecks([needsA, needsB], {a: unavailable('forbidden: you may not list nodes (cluster-wide)'), b: known('x')} as never)
    expect(findings.find((f) => f.checkId === 'cluster.test-a')).toMatchObject({
      severity: 'unknown',
      message: 'forbidden: you may not list nodes (cluster-wide)',
    })
    expect(findings.find((f) => f.checkId === 'cluster.test-b')?.severity).toBe('warn')
  })
})

const finding = (severity: Finding['severity']): Finding => ({
  checkId: 'cluster.x',
  title: 't',
  category: 'cluster',
  docsUrl: 'u',
  severity,
  subject: CLUSTER_SUBJECT,
  message: 'm',
  mode: null,
  backend: null,
  planned: true,
})

describe('verdict and exit codes', () => {
  it.each([
    [['pass', 'skip'], 'ready', {warn: 0, fail: 0, never: 0}],
    [['pass', 'warn'], 'warnings', {warn: 4, fail: 0, never: 0}],
    [['pass', 'unknown'], 'warnings', {warn: 4, unknown: 4, fail: 0, never: 0}],
    [['pass', 'warn'], 'warnings', {warn: 4, unknown: 0, fail: 0, never: 0}],
    [['warn', 'fail'], 'not-ready', {warn: 3, unknown: 3, fail: 3, never: 0}],
    [[], 'incomplete', {warn: 5, unknown: 5, fail: 5, never: 0}],
    [['skip', 'skip'], 'incomplete', {warn: 5, unknown: 5, fail: 5, never: 0}],
  ] as const)('%j → %s', (severities, verdict, codes) => {
    const report = buildReport({
      command: 'check',
      istioVersion: '1.30',
      plan: resolvePlan({istioVersion: '1.30'}),
      target: {},
      findings: severities.map(finding),
    })
    expect(report.verdict).toBe(verdict)
    expect(verdictOf(report.summary)).toBe(verdict)
    for (const [failOn, code] of Object.entries(codes)) expect(exitCodeFor(report.verdict, failOn as never, report.summary)).toBe(code)
  })

  it('sorts findings by category, worst first, then id', () => {
    const report = buildReport({
      command: 'check',
      istioVersion: '1.30',
      plan: resolvePlan({istioVersion: '1.30'}),
      target: {},
      findings: [
        {...finding('pass'), category: 'workload', checkId: 'workload.a'},
        {...finding('pass'), checkId: 'cluster.b'},
        {...finding('fail'), checkId: 'cluster.z'},
      ],
    })
    expect(report.findings.map((f) => f.checkId)).toEqual(['cluster.z', 'cluster.b', 'workload.a'])
    expect(report.summary).toEqual({pass: 2, skip: 0, unknown: 0, warn: 0, fail: 1})
  })
})

describe('a check that throws', () => {
  const broken = defineCheck<Facts>()({
    id: 'cluster.test-broken',
    title: 'never throws',
    category: 'cluster',
    needs: ['a'],
    source: 'test',
    run: () => {
      throw new TypeError("Cannot read properties of undefined (reading 'spec')")
    },
  })
  it('becomes one unknown finding and the other checks still run', () => {
    const findings = runChecks([broken, needsA], {a: known(1), b: known('x')})
    expect(findings.find((f) => f.checkId === 'cluster.test-broken')).toMatchObject({severity: 'unknown', message: expect.stringContaining("reading 'spec'")})
    expect(findings.find((f) => f.checkId === 'cluster.test-a')?.severity).toBe('pass')
  })
})
