import {parse} from 'yaml'
import {describe, expect, it} from 'vitest'
import type {Finding} from '../../src/model/finding.js'
import {resolvePlan} from '../../src/model/plan.js'
import {buildReport} from '../../src/model/report.js'
import {colorEnabled, painter} from '../../src/render/color.js'
import {render} from '../../src/render/index.js'
import {fitColumns, verdictLine} from '../../src/render/table.js'

const findings: Finding[] = [
  {
    checkId: 'cluster.kubernetes-version',
    title: 't',
    category: 'cluster',
    docsUrl: 'https://example.test/checks.md#cluster-kubernetes-version',
    mode: null,
    backend: null,
    planned: true,
    severity: 'fail',
    subject: {kind: 'Cluster', name: 'cluster'},
    message: 'Kubernetes 1.22 is older than Istio 1.30 supports (1.32–1.36), and this sentence is long enough that it has to wrap in an 80 column terminal',
    remediation: {text: 'Upgrade the cluster.', command: 'kubectl mesh-ready check --istio-version 1.23'},
  },
  {
    checkId: 'cluster.api-server',
    title: 't',
    category: 'cluster',
    docsUrl: 'u',
    mode: null,
    backend: null,
    planned: true,
    severity: 'pass',
    subject: {kind: 'Cluster', name: 'cluster'},
    message: 'answered',
  },
  {
    checkId: 'workload.uid-1337',
    title: 't',
    category: 'workload',
    docsUrl: 'u',
    mode: null,
    backend: null,
    planned: true,
    severity: 'warn',
    subject: {kind: 'Workload', name: 'deployment/web', namespace: 'shop'},
    message: 'runs as 1337',
  },
]
const report = buildReport({
  command: 'check',
  istioVersion: '1.30',
  plan: resolvePlan({istioVersion: '1.30'}),
  target: {context: 'kind-kind'},
  findings,
  views: [{title: 'Matrix', headers: ['GROUP', 'SIDECAR'], rows: [['g1', 'ok']]}],
})
const plain = painter(false)

describe('table renderer', () => {
  const text = render(report, 'table', {paint: plain, width: 80})

  it('fits 80 columns with no trailing spaces, one line per problem worst first, and ends with a verdict line', () => {
    for (const line of text.split('\n')) {
      expect(line.length).toBeLessThanOrEqual(80)
      expect(line).not.toMatch(/ $/)
    }
    const lines = text.split('\n')
    const fail = lines.findIndex((l) => l.includes('cluster.kubernetes-version') && !l.includes(':  '))
    const warn = lines.findIndex((l) => l.includes('workload.uid-1337'))
    expect(fail).toBeGreaterThan(-1)
    expect(fail).toBeLessThan(warn)
    // one line each: the long message is shortened, not wrapped
    expect(lines[fail + 1]).toContain('workload.uid-1337')
    expect(lines[fail]).toMatch(/…$|\)$|supports$/)
    expect(text.trimEnd().endsWith(`\n\n${verdictLine(report, plain, 80)}`)).toBe(true)
    expect(text).toContain('NOT READY for sidecar on iptables (Istio 1.30 default)')
  })

  it('counts passes unless wide, shows remediation commands without a prompt, and views', () => {
    expect(text).not.toContain('cluster.api-server')
    expect(text).toContain('1 passed (-o wide lists them)')
    expect(text).toContain('\n    kubectl mesh-ready check --istio-version 1.23\n')
    expect(text).not.toContain('$ kubectl')
    expect(text).toContain('Matrix')
    const wide = render(report, 'wide', {paint: plain, width: 80})
    expect(wide).toContain('cluster.api-server')
    // wide has the whole message, wrapped
    expect(wide.replace(/\s+/g, ' ')).toContain('this sentence is long enough that it has to wrap in an 80 column terminal')
  })

  it('has no ANSI escapes when colour is off, and has them when on', () => {
    expect(text).not.toMatch(/\u001b\[/)
    expect(render(report, 'table', {paint: painter(true), width: 80})).toMatch(/\u001b\[/)
  })

  it('uses glyphs, or ASCII words with ascii: true', () => {
    expect(text).toMatch(/^× cluster\.kubernetes-version/m)
    expect(text).toMatch(/^‼ workload\.uid-1337/m)
    const ascii = render(report, 'table', {paint: plain, width: 80, ascii: true})
    expect(ascii).toMatch(/^FAIL cluster\.kubernetes-version/m)
    expect(ascii).toMatch(/^WARN workload\.uid-1337/m)
    expect(ascii).not.toMatch(/[^\x00-\x7F–—…]/) // only the typography of the messages themselves is non-ASCII
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
    [{noColorFlag: false, isTTY: true, env: {NO_COLOR: ''}}, true], // no-color.org: only a non-empty value counts
    [{noColorFlag: false, isTTY: true, env: {NO_COLOR: '0'}}, false],
    [{noColorFlag: false, isTTY: true, env: {TERM: 'dumb'}}, false],
    [{noColorFlag: false, isTTY: false, env: {FORCE_COLOR: '1'}}, true],
    [{noColorFlag: false, isTTY: true, env: {FORCE_COLOR: '0'}}, false],
    [{noColorFlag: false, isTTY: true, env: {NO_COLOR: '1', FORCE_COLOR: '1'}}, false],
  ])('%j → %s', (options, expected) => {
    expect(colorEnabled(options as never)).toBe(expected)
  })
})

describe('verdict line', () => {
  const long = buildReport({
    command: 'check',
    istioVersion: '1.30',
    plan: resolvePlan({istioVersion: '1.30'}),
    target: {context: 'arn:aws:eks:eu-west-1:123456789012:cluster/production-payments'},
    findings,
  })
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
