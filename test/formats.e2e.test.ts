import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {marked} from 'marked'
import type {Tokens} from 'marked'
import {parse as parseYaml} from 'yaml'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type {TestApiServer} from '../test-cluster/index.js'
import {startApiServer} from '../test-cluster/index.js'
import {allChecks} from '../src/checks/index.js'
import {pluginPathDir, run} from './helpers/cli.js'
import {reportValidator, sarifValidator, xmllintJunit, xpath} from './helpers/schemas.js'

/**
 * The report formats, --output-file, --suppress and --policy end to end: the built CLI run by the real kubectl as a
 * plugin, against the test API server's demo cluster (a failing workload, warnings, and node groups that fail ambient
 * and nftables outside the default sidecar-on-iptables plan). Every format is validated against its published schema.
 */

const tmp = mkdtempSync(path.join(tmpdir(), 'formats-e2e-'))
const env = {...process.env, NO_COLOR: '1', PATH: `${pluginPathDir()}${path.delimiter}${process.env.PATH}`}

const validateReport = reportValidator()
const validateSarif = sarifValidator()
const xmllint = xmllintJunit

interface Finding {
  checkId: string
  severity: string
  planned: boolean
  subject: {kind: string; name: string; namespace?: string}
  mode: string | null
  backend: string | null
  evidence?: Record<string, unknown>
}
interface ReportDoc {
  verdict: string
  summary: Record<string, number>
  alternativeSummary: Record<string, number>
  findings: Finding[]
  suppressed: Array<Finding & {suppressedBy: {rule: string; source: string; reason?: string}}>
}

const oneErrorLine = (stderr: string) => {
  const lines = stderr.trim().split('\n')
  expect(lines, stderr).toHaveLength(1)
  expect(lines[0]).toMatch(/^error: /)
  return lines[0]!
}

describe('report formats through kubectl mesh-ready against the demo cluster', () => {
  let server: TestApiServer
  let baseline: ReportDoc
  const mesh = (...args: string[]) => run('kubectl', ['mesh-ready', ...args, '--kubeconfig', server.kubeconfigPath], {env, timeoutMs: 120_000})

  beforeAll(async () => {
    server = await startApiServer({scenario: 'demo'})
    const result = await mesh('check', '-o', 'json')
    expect(result.stderr).toBe('')
    baseline = JSON.parse(result.stdout) as ReportDoc
  })
  afterAll(() => server?.stop())

  it('-o json matches docs/report.schema.json: plan, coverage, alternatives, suppressed, mode/backend on every finding, flat evidence', () => {
    expect(validateReport(baseline), JSON.stringify(validateReport.errors?.slice(0, 3))).toBe(true)
    expect(baseline.verdict).toBe('not-ready')
    expect(baseline.summary.suppressed).toBe(0)
    expect(baseline.suppressed).toEqual([])
    // the same check and subject in two modes is two findings told apart by mode/backend
    const groups = baseline.findings.filter((f) => f.checkId === 'node.iptables-backend')
    expect(new Set(groups.map((f) => `${f.subject.name}|${f.mode}|${f.backend}`)).size).toBe(groups.length)
    expect(groups.some((f) => f.mode === 'ambient' && !f.planned)).toBe(true)
  })

  it.each([
    ['platform', 'platform-openshift'],
    ['platform', 'platform-eks-strict'],
    ['platform', 'platform-cilium-default-deny'],
    ['pods', 'pods-mixed'],
  ])('%s -o json on %s also matches the documented schema', async (command, scenario) => {
    const other = await startApiServer({scenario})
    try {
      const result = await run('kubectl', ['mesh-ready', command, '-o', 'json', '--kubeconfig', other.kubeconfigPath], {env})
      const doc = JSON.parse(result.stdout)
      expect(validateReport(doc), JSON.stringify(validateReport.errors?.slice(0, 3))).toBe(true)
    } finally {
      await other.stop()
    }
  })

  it('cleanup -o json and the offline nodes --local -o json match the documented schema too', async () => {
    for (const result of [await mesh('cleanup', '-o', 'json'), await run('kubectl', ['mesh-ready', 'nodes', '--local', '-o', 'json'], {env})]) {
      const doc = JSON.parse(result.stdout)
      expect(validateReport(doc), JSON.stringify(validateReport.errors?.slice(0, 3))).toBe(true)
    }
  })

  it('-o yaml reads back under YAML 1.1 as the JSON document (kernel config values like "y" stay strings)', async () => {
    const result = await mesh('check', '-o', 'yaml')
    const doc = parseYaml(result.stdout, {version: '1.1'}) as ReportDoc & {generatedAt: unknown}
    expect(typeof doc.generatedAt).toBe('string')
    expect(validateReport(doc), JSON.stringify(validateReport.errors?.slice(0, 3))).toBe(true)
    // what two runs share (messages carry latencies and probe pod names)
    const stable = (r: ReportDoc) =>
      r.findings.map(({checkId, severity, subject, mode, backend, planned, evidence}) => ({
        checkId,
        severity,
        subject,
        mode,
        backend,
        planned,
        evidence: {...evidence, latencyMs: 0},
      }))
    expect(stable(doc)).toEqual(stable(baseline))
  })

  it('-o sarif is valid SARIF 2.1.0: every registered check is a rule with a docs helpUri; fail → error, outside the plan → note', async () => {
    const result = await mesh('check', '-o', 'sarif')
    expect(result.code).toBe(3)
    const log = JSON.parse(result.stdout)
    expect(validateSarif(log), JSON.stringify(validateSarif.errors?.slice(0, 3))).toBe(true)
    const runLog = log.runs[0]
    expect(runLog.tool.driver.rules.map((r: {id: string}) => r.id)).toEqual(allChecks.map((c) => c.id))
    expect(runLog.tool.driver.version).toMatch(/^\d+\.\d+\.\d+/)
    const results = runLog.results as Array<{ruleId: string; level: string; properties: {planned: boolean; severity: string}}>
    const problems = baseline.findings.filter((f) => f.severity !== 'pass' && f.severity !== 'skip')
    expect(results).toHaveLength(problems.length)
    for (const r of results) expect(r.level).toBe(!r.properties.planned ? 'note' : r.properties.severity === 'fail' ? 'error' : 'warning')
    expect(results.some((r) => r.level === 'note')).toBe(problems.some((f) => !f.planned))
    expect(results.some((r) => r.level === 'error')).toBe(true)
  })

  it('-o junit is valid against the JUnit XSD, with one testcase per finding and failures where the exit code fails', async () => {
    const result = await mesh('check', '-o', 'junit')
    expect(result.code).toBe(3)
    const file = path.join(tmp, 'check.xml')
    writeFileSync(file, result.stdout)
    expect(await xmllint(file)).toMatchObject({ok: true})
    expect(Number(await xpath(file, 'count(//testcase)'))).toBe(baseline.findings.length)
    const plannedFails = baseline.findings.filter((f) => f.planned && f.severity === 'fail').length
    const plannedWarns = baseline.findings.filter((f) => f.planned && f.severity === 'warn').length
    expect(Number(await xpath(file, 'count(//failure[@type="fail"])'))).toBe(plannedFails)
    expect(Number(await xpath(file, 'count(//failure[@type="warn"])'))).toBe(plannedWarns)
    // the ambient failures outside the plan are skipped cases, not failures
    expect(Number(await xpath(file, 'count(//testcase[starts-with(skipped, "outside the install plan")])'))).toBe(
      baseline.findings.filter((f) => !f.planned && f.severity !== 'pass').length,
    )
  })

  it('-o markdown parses into the verdict heading, a problems table with every planned problem, and fixes', async () => {
    const result = await mesh('check', '-o', 'markdown')
    const tokens = marked.lexer(result.stdout)
    const headings = tokens.filter((t): t is Tokens.Heading => t.type === 'heading').map((t) => t.text)
    expect(headings[0]).toBe('kubectl mesh-ready check: NOT READY')
    expect(headings).toEqual(expect.arrayContaining(['Problems', 'How to fix']))
    expect(headings.includes('Outside the install plan (information only)')).toBe(
      baseline.findings.some((f) => !f.planned && f.severity !== 'pass' && f.severity !== 'skip'),
    )
    const problemsAt = tokens.findIndex((t) => t.type === 'heading' && t.text === 'Problems')
    const problems = tokens.slice(problemsAt).find((t): t is Tokens.Table => t.type === 'table')!
    expect(problems.rows).toHaveLength(baseline.findings.filter((f) => f.planned && ['fail', 'warn', 'unknown'].includes(f.severity)).length)
    expect(problems.rows[0]![0]!.text).toBe('❌ fail')
  })

  it('--output-file writes the -o format to the file while stdout gets the table', async () => {
    const file = path.join(tmp, 'report.sarif')
    const result = await mesh('check', '-o', 'sarif', '--output-file', file)
    expect(result.code).toBe(3)
    expect(result.stdout.split('\n').filter((l) => l.startsWith('NOT READY for '))).toHaveLength(1)
    expect(() => JSON.parse(result.stdout)).toThrow()
    const log = JSON.parse(readFileSync(file, 'utf8'))
    expect(validateSarif(log)).toBe(true)

    const junit = path.join(tmp, 'report.xml')
    await mesh('check', '-o', 'junit', '--output-file', junit)
    expect(await xmllint(junit)).toMatchObject({ok: true})
  })

  it('--output-file into a missing directory is a one-line usage error naming the file', async () => {
    const file = path.join(tmp, 'no/such/dir/report.json')
    const result = await mesh('check', '-o', 'json', '--output-file', file, '--skip', 'nodes')
    expect(result.code).toBe(2)
    expect(oneErrorLine(result.stderr)).toBe(`error: --output-file ${file}: cannot write the report: its directory does not exist`)
  })

  it('--suppress CHECK-ID=GLOB hides the matching findings: counted in summary.suppressed, the verdict and exit code judge the rest', async () => {
    const problem = (f: Finding) => f.planned && ['fail', 'warn', 'unknown'].includes(f.severity)
    const inData = baseline.findings.filter((f) => problem(f) && f.checkId === 'workload.protocol-conflict' && f.subject.namespace === 'data')
    expect(inData.length).toBeGreaterThan(0)
    const result = await mesh('check', '-o', 'json', '--suppress', 'workload.protocol-conflict=data/*')
    const doc = JSON.parse(result.stdout) as ReportDoc
    expect(validateReport(doc), JSON.stringify(validateReport.errors?.slice(0, 3))).toBe(true)
    expect(doc.summary).toMatchObject({fail: baseline.summary.fail! - inData.filter((f) => f.severity === 'fail').length, suppressed: inData.length})
    expect(doc.suppressed.map((f) => [f.checkId, f.subject.namespace, f.suppressedBy])).toEqual(
      inData.map((f) => [f.checkId, 'data', {rule: 'workload.protocol-conflict=data/*', source: '--suppress'}]),
    )
    expect(doc.findings.filter((f) => f.checkId === 'workload.protocol-conflict' && f.subject.namespace === 'data' && problem(f))).toEqual([])

    // suppress every check that fails in the plan: the verdict and the exit code no longer see a fail
    const failing = [...new Set(baseline.findings.filter((f) => f.planned && f.severity === 'fail').map((f) => f.checkId))]
    const all = await mesh('check', '-o', 'json', ...failing.flatMap((id) => ['--suppress', id]))
    const allDoc = JSON.parse(all.stdout) as ReportDoc
    expect(allDoc.summary.fail).toBe(0)
    expect(allDoc.summary.suppressed).toBe(
      baseline.findings.filter((f) => f.planned && failing.includes(f.checkId) && ['fail', 'warn', 'unknown'].includes(f.severity)).length,
    )
    expect(allDoc.verdict).toBe(allDoc.summary.warn! + allDoc.summary.unknown! > 0 ? 'warnings' : 'ready')
    expect(all.code).toBe(allDoc.verdict === 'warnings' ? 4 : 0)
    expect(baseline.verdict).toBe('not-ready')

    // a glob that matches nothing suppresses nothing
    const none = JSON.parse((await mesh('check', '-o', 'json', '--skip', 'nodes', '--suppress', 'workload.protocol-conflict=shop/*')).stdout) as ReportDoc
    expect(none.summary.suppressed).toBe(0)
  })

  it('-o wide lists suppressed findings with the rule; the default table counts them', async () => {
    const wide = await mesh('check', '-o', 'wide', '--skip', 'nodes', '--suppress', 'workload.protocol-conflict')
    const section = wide.stdout.slice(wide.stdout.indexOf('Suppressed ('))
    expect(section).toMatch(/^Suppressed \(1, not counted in the verdict\)\nFAIL workload\.protocol-conflict \(workload data\/pod\/redis/)
    expect(section).toContain('suppressed by --suppress workload.protocol-conflict')
    const table = await mesh('check', '--skip', 'nodes', '--suppress', 'workload.protocol-conflict')
    expect(table.stdout).toContain('1 suppressed by --suppress/--policy (-o wide to list them)')
  })

  it('an unknown check id in --suppress is a usage error that names close matches', async () => {
    const before = server.requests.length
    const result = await mesh('check', '--suppress', 'workload.protocol-conflicts')
    expect(result.code).toBe(2)
    expect(oneErrorLine(result.stderr)).toBe(
      'error: --suppress "workload.protocol-conflicts": unknown check id "workload.protocol-conflicts"; did you mean workload.protocol-conflict?',
    )
    expect(server.requests.length).toBe(before) // refused before anything ran
  })

  it('--policy FILE sets severities and suppresses by subject glob with a reason', async () => {
    const policy = path.join(tmp, 'policy.yaml')
    writeFileSync(
      policy,
      [
        'severities:',
        '  workload.port-protocol: fail',
        'suppress:',
        '  - check: workload.protocol-conflict',
        '    subject: "data/*"',
        '    reason: redis leaves the mesh',
        '',
      ].join('\n'),
    )
    const result = await mesh('check', '-o', 'json', '--skip', 'nodes', '--policy', policy)
    const doc = JSON.parse(result.stdout) as ReportDoc & {findings: Array<Finding & {severityOverride?: unknown}>}
    expect(validateReport(doc), JSON.stringify(validateReport.errors?.slice(0, 3))).toBe(true)
    const portProtocol = doc.findings.filter((f) => f.checkId === 'workload.port-protocol' && f.planned)
    expect(portProtocol.length).toBeGreaterThan(0)
    for (const f of portProtocol.filter((p) => p.severity !== 'pass' && p.severity !== 'skip'))
      expect(f).toMatchObject({severity: 'fail', severityOverride: {from: 'warn', source: policy}})
    expect(doc.suppressed.map((f) => f.suppressedBy)).toEqual([{rule: 'workload.protocol-conflict=data/*', source: policy, reason: 'redis leaves the mesh'}])
    expect(doc.verdict).toBe('not-ready')
    expect(result.code).toBe(3)
  })

  it.each([
    ['severities:\n  workload.port-protocol: error\n', 'severities.workload.port-protocol is "error"; use warn or fail (to hide findings, use suppress:)'],
    ['suppress: [\n', 'not valid YAML at line 2, column 1: '],
    ['supress: []\n', 'unknown key "supress"; allowed: apiVersion, kind, severities, suppress'],
  ])('a bad policy file (%j) is a one-line error naming the file and the problem, exit 2', async (text, problem) => {
    const policy = path.join(tmp, `bad-${Math.random().toString(36).slice(2)}.yaml`)
    writeFileSync(policy, text)
    const result = await mesh('check', '--policy', policy)
    expect(result.code).toBe(2)
    expect(oneErrorLine(result.stderr)).toContain(`error: --policy ${policy}: ${problem}`)
    const missing = await mesh('check', '--policy', path.join(tmp, 'missing.yaml'))
    expect(missing.code).toBe(2)
    expect(oneErrorLine(missing.stderr)).toBe(`error: --policy ${path.join(tmp, 'missing.yaml')}: no such file`)
  })

  it('platform --values -o json prints the Helm values as JSON; --istioctl -o json an argument array; report formats are refused', async () => {
    const yaml = await mesh('platform', '--mode', 'ambient', '--values')
    const json = await mesh('platform', '--mode', 'ambient', '--values', '-o', 'json')
    expect(JSON.parse(json.stdout)).toEqual(parseYaml(yaml.stdout))
    expect(JSON.parse(json.stdout)).toMatchObject({profile: 'ambient'})
    const flags = await mesh('platform', '--mode', 'ambient', '--istioctl')
    const flagsJson = await mesh('platform', '--mode', 'ambient', '--istioctl', '-o', 'json')
    expect(JSON.parse(flagsJson.stdout)).toEqual(flags.stdout.trim().split(' '))
    const refused = await mesh('platform', '--mode', 'ambient', '--values', '-o', 'sarif')
    expect(refused.code).toBe(2)
    expect(oneErrorLine(refused.stderr)).toBe('error: --values prints YAML (the default, or -o yaml) or JSON (-o json), not -o sarif')
  })
})
