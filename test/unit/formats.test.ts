import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {marked} from 'marked'
import type {Tokens} from 'marked'
import {parse as parseYaml} from 'yaml'
import {describe, expect, it} from 'vitest'
import {allChecks} from '../../src/checks/index.js'
import type {Finding} from '../../src/model/finding.js'
import {resolvePlan} from '../../src/model/plan.js'
import {buildReport} from '../../src/model/report.js'
import {applyPolicy, parseSuppression} from '../../src/report/policy.js'
import {painter} from '../../src/render/color.js'
import {render} from '../../src/render/index.js'
import {reportValidator, sarifValidator, xmllintJunit, xpath} from '../helpers/schemas.js'

const tmp = mkdtempSync(path.join(tmpdir(), 'formats-'))
const plain = painter(false)
const ids = allChecks.map((c) => c.id)

const base = {title: 't', docsUrl: 'https://example.test/checks.md#x', mode: null, backend: null, planned: true} as const
const findings: Finding[] = [
  {
    ...base,
    checkId: 'cluster.kubernetes-version',
    category: 'cluster',
    severity: 'fail',
    subject: {kind: 'Cluster', name: 'cluster'},
    message: 'Kubernetes 1.22 is older than Istio 1.30 supports (1.32–1.36) <&> "quoted" | piped',
    remediation: {text: 'Upgrade the cluster.', command: 'kubectl mesh-ready check --istio-version 1.23'},
    evidence: {kubernetes: '1.22', modules: ['ip_set', 'xt_set'], loaded: 'y'},
  },
  {...base, checkId: 'cluster.api-server', category: 'cluster', severity: 'pass', subject: {kind: 'Cluster', name: 'cluster'}, message: 'answered'},
  {
    ...base,
    checkId: 'workload.uid-1337',
    category: 'workload',
    severity: 'warn',
    subject: {kind: 'Workload', name: 'deployment/web', namespace: 'shop'},
    message: 'runs as 1337',
    remediation: {text: 'Use another UID.', yaml: 'securityContext:\n  runAsUser: 1000\n'},
  },
  {
    ...base,
    checkId: 'workload.uid-1337',
    category: 'workload',
    severity: 'warn',
    subject: {kind: 'Workload', name: 'deployment/api', namespace: 'shop'},
    message: 'runs as 1337',
    remediation: {text: 'Use another UID.', yaml: 'securityContext:\n  runAsUser: 1000\n'},
  },
  {
    ...base,
    checkId: 'workload.app-version-labels',
    category: 'workload',
    severity: 'warn',
    subject: {kind: 'Workload', name: 'deployment/old', namespace: 'legacy'},
    message: 'no app label',
  },
  {
    ...base,
    checkId: 'platform.pod-security-admission',
    category: 'platform',
    severity: 'unknown',
    subject: {kind: 'Namespace', name: 'default'},
    message: 'could not read namespaces: forbidden',
  },
  {...base, checkId: 'platform.cni', category: 'platform', severity: 'skip', subject: {kind: 'Cluster', name: 'cluster'}, message: 'not applicable'},
  {
    ...base,
    checkId: 'node.iptables-backend',
    category: 'node',
    severity: 'fail',
    subject: {kind: 'NodeGroup', name: 'edge-arm'},
    message: 'missing xt_set, ip_set',
    mode: 'ambient',
    backend: 'iptables',
    planned: false,
  },
  {
    ...base,
    checkId: 'node.iptables-backend',
    category: 'node',
    severity: 'pass',
    subject: {kind: 'NodeGroup', name: 'edge-arm'},
    message: 'ok',
    mode: 'sidecar',
    backend: 'iptables',
  },
]
const report = buildReport({
  command: 'check',
  istioVersion: '1.30',
  plan: resolvePlan({istioVersion: '1.30'}),
  target: {context: 'kind-kind', server: 'https://127.0.0.1:6443'},
  scope: 'all namespaces',
  findings,
  now: new Date('2026-11-21T10:00:00.000Z'),
})
const policed = applyPolicy(report, {suppress: [parseSuppression('workload.app-version-labels=legacy/*', ids)], severities: {}})

/** Writes the document to a file and validates it with xmllint against Jenkins' junit-4.xsd. */
const xmllint = (xml: string, name: string) => {
  const file = path.join(tmp, name)
  writeFileSync(file, xml)
  return xmllintJunit(file)
}
const xpathOf = (xml: string) => {
  const file = path.join(tmp, `xpath-${Math.random().toString(36).slice(2)}.xml`)
  writeFileSync(file, xml)
  return (expression: string) => xpath(file, expression)
}

describe('-o junit', () => {
  const xml = render(policed, 'junit', {paint: plain})

  it('is valid against Jenkins junit-4.xsd (xmllint), and the validator rejects a broken document', async () => {
    expect(await xmllint(xml, 'report.xml')).toMatchObject({ok: true})
    // the same document with a testcase that lost its required name: the validator must say no
    expect(
      (await xmllint(xml.replace(/<testcase classname="cluster.api-server" name="cluster"/, '<testcase classname="cluster.api-server"'), 'broken.xml')).ok,
    ).toBe(false)
  })

  it('has one testcase per check × subject × mode/backend, failures, errors and skips as JUnit expects', async () => {
    const q = xpathOf(xml)
    expect(Number(await q('count(//testcase)'))).toBe(findings.length)
    expect(await q('string(/testsuites/@tests)')).toBe(String(findings.length))
    // fail and (default --fail-on warn) warn are failures; unknown is an error; skip, outside the plan and suppressed are skipped
    expect(await q('string(//testcase[@classname="cluster.kubernetes-version"]/failure/@type)')).toBe('fail')
    expect(Number(await q('count(//testcase[@classname="workload.uid-1337"]/failure[@type="warn"])'))).toBe(2)
    expect(await q('string(//testcase[@classname="platform.pod-security-admission"]/error/@type)')).toBe('unknown')
    expect(await q('string(//testcase[@classname="platform.cni"]/skipped)')).toBe('not applicable')
    expect(await q('string(//testcase[@classname="node.iptables-backend"][contains(@name, "ambient on iptables")]/skipped)')).toMatch(
      /^outside the install plan \(ambient on iptables\)/,
    )
    expect(await q('string(//testcase[@classname="workload.app-version-labels"]/skipped)')).toMatch(
      /^suppressed by --suppress workload.app-version-labels=legacy\/\*/,
    )
    expect(await q('string(/testsuites/@failures)')).toBe('3')
    expect(await q('string(/testsuites/@errors)')).toBe('1')
    // the failure body carries the fix and the docs link; XML specials survive escaping
    expect(await q('string(//testcase[@classname="cluster.kubernetes-version"]/failure/@message)')).toContain('<&> "quoted"')
    expect(await q('string(//testcase[@classname="cluster.kubernetes-version"]/failure)')).toContain('$ kubectl mesh-ready check --istio-version 1.23')
  })

  it.each([
    ['fail', 0, 0],
    ['unknown', 0, 1],
    ['never', 0, 0],
  ] as const)('--fail-on %s: warnings are %i failures, %i errors (JUnit follows the exit code)', async (failOn, warnFailures, errors) => {
    const out = render(policed, 'junit', {paint: plain, failOn})
    expect((await xmllint(out, `fail-on-${failOn}.xml`)).ok).toBe(true)
    const q = xpathOf(out)
    expect(Number(await q('count(//failure[@type="warn"])'))).toBe(warnFailures)
    expect(Number(await q('count(//error)'))).toBe(errors)
  })
})

describe('-o sarif', () => {
  const validate = sarifValidator()
  const log = JSON.parse(render(policed, 'sarif', {paint: plain, toolVersion: '0.1.0'}))

  it('is valid against the published SARIF 2.1.0 schema, and the validator rejects a broken log', () => {
    expect(validate(log), JSON.stringify(validate.errors)).toBe(true)
    expect(validate({...log, version: '2.0.0'})).toBe(false)
    expect(validate({...log, runs: [{...log.runs[0], results: [{...log.runs[0].results[0], level: 'fatal'}]}]})).toBe(false)
  })

  it('has every registered check as a rule with its docs helpUri', () => {
    const rules = log.runs[0].tool.driver.rules as Array<{id: string; helpUri: string; shortDescription: {text: string}}>
    expect(rules.map((r) => r.id)).toEqual(ids)
    for (const rule of rules) expect(rule.helpUri).toMatch(/^https:\/\/.+docs\/checks\.md#/)
    expect(log.runs[0].tool.driver).toMatchObject({name: 'kubectl-mesh-ready', version: '0.1.0'})
  })

  it('maps fail → error, warn/unknown → warning, outside the plan → note; passes and skips are not results; suppressed carry suppressions', () => {
    const results = log.runs[0].results as Array<{
      ruleId: string
      ruleIndex: number
      level: string
      suppressions?: unknown[]
      locations: Array<{logicalLocations: Array<{fullyQualifiedName: string}>}>
    }>
    const level = (id: string) => results.filter((r) => r.ruleId === id).map((r) => r.level)
    expect(level('cluster.kubernetes-version')).toEqual(['error'])
    expect(level('workload.uid-1337')).toEqual(['warning', 'warning'])
    expect(level('platform.pod-security-admission')).toEqual(['warning'])
    expect(level('node.iptables-backend')).toEqual(['note'])
    expect(level('cluster.api-server')).toEqual([])
    expect(level('platform.cni')).toEqual([])
    const suppressed = results.find((r) => r.ruleId === 'workload.app-version-labels')
    expect(suppressed?.suppressions).toEqual([{kind: 'external', status: 'accepted', justification: '--suppress workload.app-version-labels=legacy/*'}])
    for (const r of results) expect(log.runs[0].tool.driver.rules[r.ruleIndex].id).toBe(r.ruleId)
    expect(results.find((r) => r.ruleId === 'workload.uid-1337')?.locations[0]?.logicalLocations[0]?.fullyQualifiedName).toBe('Workload/shop/deployment/api')
  })
})

describe('-o markdown', () => {
  const text = render(policed, 'markdown', {paint: plain})
  const tokens = marked.lexer(text)
  const headings = tokens.filter((t): t is Tokens.Heading => t.type === 'heading').map((t) => `${t.depth} ${t.text}`)
  const tables = tokens.filter((t): t is Tokens.Table => t.type === 'table')
  const codes = tokens.filter((t): t is Tokens.Code => t.type === 'code')

  it('parses (marked) into a verdict heading, counts, a problems table worst first, fixes, outside-the-plan and suppressed sections', () => {
    expect(headings[0]).toBe('2 kubectl mesh-ready check: NOT READY')
    expect(headings).toEqual(expect.arrayContaining(['3 Problems', '3 How to fix', '3 Outside the install plan (information only)', '3 Suppressed']))
    const [counts, problems] = tables
    expect(counts!.header.map((c) => c.text)).toEqual(['fail', 'warn', 'unknown', 'skip', 'pass', 'suppressed'])
    expect(counts!.rows[0]!.map((c) => c.text)).toEqual(['1', '2', '1', '1', '2', '1'])
    expect(problems!.header.map((c) => c.text)).toEqual(['status', 'check', 'subject', 'mode / backend', 'detail'])
    expect(problems!.rows.map((r) => r[0]!.text)).toEqual(['❌ fail', '⚠️ warn', '⚠️ warn', '❔ unknown'])
    // the "|" in a message is escaped: still five cells, and the text reads back as written
    expect(problems!.rows[0]).toHaveLength(5)
    expect(problems!.rows[0]![4]!.tokens.map((t) => ('text' in t ? t.text : '')).join('')).toContain('"quoted" | piped')
  })

  it('gives one fix per distinct remediation with every subject, commands in sh blocks and YAML in yaml blocks', () => {
    expect(codes.map((c) => c.lang)).toEqual(['sh', 'yaml'])
    expect(codes[0]!.text).toBe('kubectl mesh-ready check --istio-version 1.23')
    expect(codes[1]!.text).toBe('securityContext:\n  runAsUser: 1000')
    expect(text).toMatch(/Applies to: workload shop\/deployment\/api, workload shop\/deployment\/web/)
  })
})

describe('-o yaml', () => {
  it('quotes strings that a YAML 1.1 reader would turn into booleans or timestamps', () => {
    const withTricky = buildReport({
      command: 'nodes',
      istioVersion: '1.30',
      plan: resolvePlan({istioVersion: '1.30'}),
      target: {context: 'on'},
      findings: [
        {
          ...findings[0]!,
          subject: {kind: 'NodeGroup', name: 'no'},
          evidence: {CONFIG_IP_SET: 'y', CONFIG_NF_TABLES: 'n', ipv6: 'off', built: '2026-11-21', since: '12:30', count: '1_000', yes: 'yes'},
        },
      ],
      now: new Date('2026-11-21T10:00:00.000Z'),
    })
    const yaml = render(withTricky, 'yaml', {paint: plain})
    const json = JSON.parse(render(withTricky, 'json', {paint: plain}))
    // a YAML 1.1 reader and a YAML 1.2 reader both read back exactly the JSON document
    expect(parseYaml(yaml, {version: '1.1'})).toEqual(json)
    expect(parseYaml(yaml)).toEqual(json)
    expect(yaml).toContain('CONFIG_IP_SET: "y"')
    expect(yaml).toContain('generatedAt: "2026-11-21T10:00:00.000Z"')
  })

  it('writes an object the report holds twice in full both times, never as an anchor and alias', () => {
    // Node groups with the same kernel evidence share one judgement object (pipeline/nodes.ts).
    const shared = {missing: ['xt_CT', 'nf_conntrack'], path: 'ipt-nft'}
    const twice = buildReport({
      command: 'nodes',
      istioVersion: '1.30',
      plan: resolvePlan({istioVersion: '1.30'}),
      target: {context: 'kind'},
      findings: ['node-a', 'node-b'].map((name) => ({...findings[0]!, subject: {kind: 'Node', name}, evidence: shared})),
      now: new Date('2026-11-21T10:00:00.000Z'),
    })
    const yaml = render(twice, 'yaml', {paint: plain})
    expect(yaml).not.toMatch(/[&*]a\d/)
    expect(yaml.match(/- xt_CT/g)).toHaveLength(2)
    expect(parseYaml(yaml)).toEqual(JSON.parse(render(twice, 'json', {paint: plain})))
  })
})

describe('suppressed findings in the JSON document', () => {
  it('are listed with the rule, counted in summary.suppressed and left out of the counts and verdict', () => {
    const doc = JSON.parse(render(policed, 'json', {paint: plain}))
    expect(doc.summary).toEqual({pass: 2, skip: 1, unknown: 1, warn: 2, fail: 1, suppressed: 1})
    expect(doc.suppressed).toHaveLength(1)
    expect(doc.suppressed[0]).toMatchObject({
      checkId: 'workload.app-version-labels',
      severity: 'warn',
      suppressedBy: {rule: 'workload.app-version-labels=legacy/*', source: '--suppress'},
    })
    expect(doc.findings.some((f: Finding) => f.checkId === 'workload.app-version-labels')).toBe(false)
  })
})

describe('docs/report.schema.json', () => {
  const validate = reportValidator()
  const doc = JSON.parse(render(policed, 'json', {paint: plain}))

  it('accepts the JSON document and rejects nested evidence, a finding without mode, an unknown verdict', () => {
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true)
    const withFinding = (change: (f: Record<string, unknown>) => void) => {
      const copy = structuredClone(doc)
      change(copy.findings[0])
      return copy
    }
    expect(validate(withFinding((f) => (f.evidence = {nested: {a: 1}})))).toBe(false)
    expect(validate(withFinding((f) => delete f.mode))).toBe(false)
    expect(validate({...doc, verdict: 'maybe'})).toBe(false)
    expect(validate({...doc, summary: {...doc.summary, suppressed: undefined}})).toBe(false)
  })
})
