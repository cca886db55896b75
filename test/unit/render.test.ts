import {parse} from 'yaml'
import {describe, expect, it} from 'vitest'
import type {Finding} from '../../src/checks/types.js'
import {resolvePlan} from '../../src/engine/plan.js'
import {buildReport} from '../../src/engine/report.js'
import {colorEnabled, painter} from '../../src/render/color.js'
import {render} from '../../src/render/index.js'
import {fitColumns, verdictLine} from '../../src/render/table.js'

const findings: Finding[] = [
  {
    checkId: 'cluster.kubernetes-version', title: 't', category: 'cluster', docsUrl: 'https://example.test/checks.md#cluster-kubernetes-version', mode: null, backend: null, planned: true,
    severity: 'fail', subject: {kind: 'Cluster', name: 'cluster'},
    message: 'Kubernetes 1.22 is older than Istio 1.30 supports (1.32–1.36), and this sentence is long enough that it has to wrap in an 80 column terminal',
    remediation: {text: 'Upgrade the cluster.', command: 'kubectl mesh-ready check --istio-version 1.23'},
  },
  {checkId: 'cluster.api-server', title: 't', category: 'cluster', docsUrl: 'u', mode: null, backend: null, planned: true, severity: 'pass', subject: {kind: 'Cluster', name: 'cluster'}, message: 'answered'},
  {checkId: 'workload.uid-1337', title: 't', category: 'workload', docsUrl: 'u', mode: null, backend: null, planned: true, severity: 'warn', subject: {kind: 'Workload', name: 'deployment/web', namespace: 'shop'}, message: 'runs as 1337'},
]
const report = buildReport({command: 'check', istioVersion: '1.30', plan: resolvePlan({istioVersion: '1.30'}), target: {context: 'kind-kind'}, findings, views: [{title: 'Matrix', headers: ['GROUP', 'SIDECAR'], rows: [['g1', 'ok']]}]})
const plain = painter(false)

describe('table renderer', () => {
  const text = render(report, 'table', {paint: plain, width: 80})

  it('fits 80 columns, groups by category and ends with a verdict line', () => {
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(80)
    expect(text.indexOf('Cluster')).toBeLessThan(text.indexOf('Workloads'))
    expect(text.trimEnd().split('\n').slice(-2)).toEqual(['NOT READY for sidecar on iptables (Istio 1.30 default)', '  on kind-kind: 1 fail, 1 warn, 1 pass'])
    expect(render(report, 'table', {paint: plain, width: 120}).trimEnd().split('\n').at(-1)).toBe('NOT READY for sidecar on iptables (Istio 1.30 default) on kind-kind: 1 fail, 1 warn, 1 pass')
  })

  it('collapses passes unless wide, shows remediation commands and views', () => {
    expect(text).not.toContain('cluster.api-server')
    expect(text).toContain('1 more passed or skipped')
    expect(text).toContain('$ kubectl mesh-ready check --istio-version 1.23')
    expect(text).toContain('Matrix')
    expect(render(report, 'wide', {paint: plain, width: 80})).toContain('cluster.api-server')
  })

  it('has no ANSI escapes when colour is off, and has them when on', () => {
    expect(text).not.toMatch(/\u001b\[/)
    expect(render(report, 'table', {paint: painter(true), width: 80})).toMatch(/\u001b\[/)
  })
})

describe('machine output', () => {
  it('JSON is one document with schemaVersion, summary, verdict and findings, without table views', () => {
    const doc = JSON.parse(render(report, 'json', {paint: plain}))
    expect(doc).toMatchObject({schemaVersion: 'mesh-ready.io/v1', command: 'check', verdict: 'not-ready', summary: {fail: 1, warn: 1, pass: 1}})
    expect(doc.findings).toHaveLength(3)
    expect(doc.views).toBeUndefined()
  })

  it('YAML parses to the same document as JSON', () => {
    expect(parse(render(report, 'yaml', {paint: plain}))).toEqual(JSON.parse(render(report, 'json', {paint: plain})))
  })
})

describe('colour decision', () => {
  it.each([
    [{noColorFlag: false, isTTY: true, env: {}}, true],
    [{noColorFlag: false, isTTY: false, env: {}}, false],
    [{noColorFlag: true, isTTY: true, env: {}}, false],
    [{noColorFlag: false, isTTY: true, env: {NO_COLOR: ''}}, false],
    [{noColorFlag: false, isTTY: true, env: {TERM: 'dumb'}}, false],
    [{noColorFlag: false, isTTY: false, env: {FORCE_COLOR: '1'}}, true],
    [{noColorFlag: false, isTTY: true, env: {FORCE_COLOR: '0'}}, false],
    [{noColorFlag: false, isTTY: true, env: {NO_COLOR: '1', FORCE_COLOR: '1'}}, false],
  ])('%j → %s', (options, expected) => {
    expect(colorEnabled(options as never)).toBe(expected)
  })
})

describe('verdict line', () => {
  const long = buildReport({command: 'check', istioVersion: '1.30', plan: resolvePlan({istioVersion: '1.30'}), target: {context: 'arn:aws:eks:eu-west-1:123456789012:cluster/production-payments'}, findings})
  it('stays within the width: the plan on the first line, the context shortened on the second', () => {
    const lines = verdictLine(long, plain, 80).split('\n')
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(80)
    expect(lines[0]).toBe('NOT READY for sidecar on iptables (Istio 1.30 default)')
    expect(lines[1]).toMatch(/^ {2}on arn:aws:eks:.*…: 1 fail, 1 warn, 1 pass$/)
  })
  it('keeps the whole context when it fits', () => {
    expect(verdictLine(long, plain, 200)).toContain('cluster/production-payments: 1 fail')
  })
})

describe('fitColumns', () => {
  it.each([
    [[10, 10, 10], 80, [10, 10, 10]], // fits: natural widths
    [[10, 60, 60], 80, [10, 34, 34]], // narrow column kept, wide ones share the rest
    [[40, 40, 40, 40, 40], 80, [15, 15, 15, 15, 16]],
  ])('%j in %i columns → %j', (natural, width, expected) => {
    const widths = fitColumns(natural, width)
    expect(widths).toEqual(expected)
    expect(widths.reduce((a, b) => a + b, 0) + widths.length - 1).toBeLessThanOrEqual(width)
  })
})
