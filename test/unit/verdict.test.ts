import {describe, expect, it} from 'vitest'
import type {Finding, Severity} from '../../src/model/finding.js'
import {CLUSTER_SUBJECT} from '../../src/model/finding.js'
import {exitCodeFor} from '../../src/model/exit-codes.js'
import {inPlan, planLabel, resolvePlan} from '../../src/model/plan.js'
import type {AreaCoverage} from '../../src/model/report.js'
import {buildReport} from '../../src/model/report.js'
import {painter} from '../../src/render/color.js'
import {verdictLines} from '../../src/render/verdict.js'
import {mergeAlternatives} from '../../src/report/from-areas.js'

const finding = (severity: Severity, planned = true, mode: Finding['mode'] = null): Finding => ({
  checkId: 'node.iptables-backend',
  title: 't',
  category: 'node',
  docsUrl: 'u',
  severity,
  subject: CLUSTER_SUBJECT,
  message: 'm',
  mode,
  backend: mode ? 'iptables' : null,
  planned,
})
const plain = painter(false)

describe('install plan', () => {
  it.each([
    [{}, ['sidecar'], ['iptables'], 'defaults'],
    [{mode: 'ambient'}, ['ambient'], ['iptables'], 'flags'],
    [{mode: 'both', backend: 'both'}, ['sidecar', 'ambient'], ['iptables', 'nftables'], 'flags'],
    [{backend: 'nftables'}, ['sidecar'], ['nftables'], 'flags'],
    [{installed: {modes: ['sidecar', 'ambient']}}, ['sidecar', 'ambient'], ['iptables'], 'installed'],
    [{installed: {modes: ['sidecar'], backend: 'nftables'}, mode: 'ambient'}, ['sidecar'], ['nftables'], 'installed'],
    [{installed: {modes: ['sidecar']}, mode: 'both'}, ['sidecar', 'ambient'], ['iptables'], 'flags'],
    [{installed: {}}, ['sidecar'], ['iptables'], 'defaults'],
  ] as const)('%j → %j on %j from %s', (input, modes, backends, source) => {
    const plan = resolvePlan({istioVersion: '1.30', ...input})
    expect(plan).toEqual({istioVersion: '1.30', modes, backends, source})
  })

  it('labels the plan with where it comes from', () => {
    expect(planLabel(resolvePlan({istioVersion: '1.30'}))).toBe('sidecar on iptables (Istio 1.30 default)')
    expect(planLabel(resolvePlan({istioVersion: '1.29', installed: {modes: ['sidecar', 'ambient']}}))).toBe(
      'sidecar and ambient on iptables (installed Istio 1.29)',
    )
    expect(planLabel(resolvePlan({istioVersion: '1.28', mode: 'ambient', backend: 'nftables'}))).toBe('ambient on nftables (Istio 1.28, as flagged)')
  })

  it('a finding about no mode or backend is always in the plan', () => {
    const plan = resolvePlan({istioVersion: '1.30'})
    expect(inPlan(plan, null, null)).toBe(true)
    expect(inPlan(plan, 'sidecar', 'iptables')).toBe(true)
    expect(inPlan(plan, 'ambient', 'iptables')).toBe(false)
    expect(inPlan(plan, 'sidecar', 'nftables')).toBe(false)
  })
})

describe('verdict of the plan', () => {
  const plan = resolvePlan({istioVersion: '1.30'})
  const nodes = (judged: number): AreaCoverage => ({area: 'nodes', judged, unit: 'node groups', ...(judged ? {} : {reason: 'the probe failed'})})
  it.each([
    ['a fail outside the plan is information', [finding('pass'), finding('fail', false, 'ambient')], [nodes(1)], 'ready', 0],
    ['a warning outside the plan is information', [finding('pass'), finding('warn', false, 'ambient')], [nodes(1)], 'ready', 0],
    ['a planned fail fails', [finding('fail'), finding('pass', false, 'ambient')], [nodes(1)], 'not-ready', 3],
    ['an area that judged nothing is incomplete', [finding('pass')], [nodes(0)], 'incomplete', 5],
    ['a fail beats incomplete', [finding('fail')], [nodes(0)], 'not-ready', 3],
    ['nothing judged at all is incomplete', [], [], 'incomplete', 5],
    ['only skips is incomplete', [finding('skip')], [], 'incomplete', 5],
    ['only alternatives is incomplete', [finding('pass', false, 'ambient')], [], 'incomplete', 5],
  ] as const)('%s', (_name, findings, coverage, verdict, code) => {
    const report = buildReport({command: 'nodes', istioVersion: '1.30', plan, target: {}, findings, coverage})
    expect(report.verdict).toBe(verdict)
    expect(exitCodeFor(report.verdict, 'warn', report.summary)).toBe(code)
    expect(exitCodeFor(report.verdict, 'fail', report.summary)).toBe(verdict === 'ready' ? 0 : code)
    expect(exitCodeFor(report.verdict, 'never', report.summary)).toBe(0)
  })

  it('counts planned findings in the summary and the rest apart', () => {
    const report = buildReport({
      command: 'nodes',
      istioVersion: '1.30',
      plan,
      target: {},
      findings: [finding('pass'), finding('fail', false, 'ambient'), finding('warn', false, 'ambient')],
    })
    expect(report.summary).toMatchObject({pass: 1, fail: 0, warn: 0})
    expect(report.alternativeSummary).toMatchObject({pass: 0, fail: 1, warn: 1})
  })
})

describe('verdict lines', () => {
  const plan = resolvePlan({istioVersion: '1.30'})
  const report = buildReport({
    command: 'check',
    istioVersion: '1.30',
    plan,
    scope: 'all namespaces',
    target: {context: 'demo'},
    findings: [finding('pass'), finding('fail', false, 'ambient')],
    coverage: [{area: 'nodes', judged: 3, unit: 'node groups'}],
    alternatives: [{label: 'ambient', verdict: 'not-ready', detail: 'on 1 of 3 node groups (missing ip_set)'}],
  })
  it('says the verdict of the plan and the alternative on one line when it fits', () => {
    expect(verdictLines(report, plain, 200)).toEqual([
      'READY for sidecar on iptables (Istio 1.30 default) on demo, all namespaces: 1 pass — ambient: NOT READY on 1 of 3 node groups (missing ip_set)',
    ])
  })
  it('breaks into a block within 80 columns', () => {
    const lines = verdictLines(report, plain, 80)
    expect(lines).toEqual([
      'READY for sidecar on iptables (Istio 1.30 default)',
      '  on demo, all namespaces: 1 pass',
      '  — ambient: NOT READY on 1 of 3 node groups (missing ip_set)',
    ])
  })
  it('names what was not judged when incomplete', () => {
    const incomplete = buildReport({
      command: 'nodes',
      istioVersion: '1.30',
      plan,
      target: {},
      findings: [finding('unknown')],
      coverage: [{area: 'nodes', judged: 0, unit: 'node groups', reason: 'the probe failed (image-pull)'}],
    })
    expect(incomplete.verdict).toBe('incomplete')
    expect(verdictLines(incomplete, plain, 200)[0]).toBe(
      'INCOMPLETE for sidecar on iptables (Istio 1.30 default): 1 unknown — not judged: nodes: 0 node groups judged (the probe failed (image-pull))',
    )
  })
})

describe('alternatives across areas', () => {
  it.each([
    [
      'a failure in one area beats a ready in another',
      [
        {label: 'ambient', verdict: 'ready'},
        {label: 'ambient', verdict: 'not-ready', detail: 'on 1 of 3 node groups'},
      ],
      [{label: 'ambient', verdict: 'not-ready', detail: 'on 1 of 3 node groups'}],
    ],
    [
      'failures of two areas keep both details',
      [
        {label: 'ambient', verdict: 'not-ready', detail: 'on the platform (gke-quota)'},
        {label: 'ambient', verdict: 'not-ready', detail: 'on 1 of 3 node groups'},
      ],
      [{label: 'ambient', verdict: 'not-ready', detail: 'on the platform (gke-quota); on 1 of 3 node groups'}],
    ],
    [
      'different labels stay apart, in order',
      [
        {label: 'ambient', verdict: 'ready'},
        {label: 'nftables', verdict: 'warnings', detail: 'x'},
      ],
      [
        {label: 'ambient', verdict: 'ready'},
        {label: 'nftables', verdict: 'warnings', detail: 'x'},
      ],
    ],
  ] as const)('%s', (_name, input, expected) => {
    expect(mergeAlternatives(input)).toEqual(expected)
  })
})
