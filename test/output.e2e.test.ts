/**
 * The human-facing output end to end: the built CLI against the demo cluster (the scenario `npm run demo` serves),
 * through a pipe and through a pseudo-terminal (`script`) where colour, glyphs and terminal width matter.
 */
import {mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type {Scenario, TestApiServer} from '../test-cluster/index.js'
import {startApiServer} from '../test-cluster/index.js'
import {cliPath, repoRoot, run, runCli} from './helpers/cli.js'
import type {RunResult} from './helpers/cli.js'

interface Finding {
  checkId: string
  severity: string
  planned: boolean
  mode: string | null
  backend: string | null
  subject: {kind: string; name: string; namespace?: string}
  evidence?: Record<string, unknown>
}

const tmp = mkdtempSync(path.join(tmpdir(), 'output-e2e-'))
const VERDICT = /^(NOT READY|READY|READY WITH WARNINGS|INCOMPLETE) for /
const lines = (text: string) => text.replace(/\n$/, '').split('\n')
const verdictAt = (text: string) => lines(text).findIndex((l) => VERDICT.test(l))
const ANSI = /\u001b\[[0-9;]*m/g

function expectTidy(text: string, width: number) {
  for (const line of lines(text)) {
    // a URL cannot be wrapped: alone on its line it may be longer
    if (!/^\s*https:\/\/\S+$/.test(line.replace(ANSI, ''))) expect([...line.replace(ANSI, '')].length, line).toBeLessThanOrEqual(width)
    expect(line, 'trailing space').not.toMatch(/[ \t]$/)
  }
}

/** Runs the CLI in a pseudo-terminal (stdout and stderr a TTY), with only the given environment. */
function inTerminal(command: string, env: NodeJS.ProcessEnv): Promise<RunResult> {
  const base = {PATH: process.env.PATH, HOME: process.env.HOME, TERM: 'xterm-256color'}
  return run('script', ['-qec', command, '/dev/null'], {env: {...base, ...env}, timeoutMs: 120_000})
}

describe('the demo cluster through the built CLI', () => {
  let server: TestApiServer
  let kc: string[]
  let report: {findings: Finding[]; verdict: string}
  let reportFile: string
  let table: RunResult
  beforeAll(async () => {
    server = await startApiServer({scenario: 'demo'})
    kc = ['--kubeconfig', server.kubeconfigPath]
    // One run: the table on stdout, the same report as JSON in the file.
    reportFile = path.join(tmp, 'report.json')
    table = await runCli(['check', ...kc, '-o', 'json', '--output-file', reportFile], {COLUMNS: '80'})
    report = JSON.parse(readFileSync(reportFile, 'utf8'))
  }, 180_000)
  afterAll(() => server?.stop())

  it('check fits one 80×50 screen above the verdict: every line ≤ 80 columns, no trailing spaces', () => {
    expect(table.code).toBe(3)
    const at = verdictAt(table.stdout)
    expect(at, table.stdout).toBeGreaterThan(0)
    expect(at, table.stdout).toBeLessThanOrEqual(50)
    expectTidy(table.stdout, 80)
  })

  it('one line per planned problem, worst first; findings outside the plan are information, not failures', () => {
    const out = lines(table.stdout)
    const start = out.findIndex((l) => l.startsWith('Findings for '))
    const section = out.slice(start + 1, out.indexOf('', start))
    const problems = report.findings.filter((f) => f.planned && ['fail', 'warn', 'unknown'].includes(f.severity))
    const shown = section.filter((l) => /^(FAIL|WARN|\? {3}) /.test(l))
    expect(shown.length).toBe(problems.length)
    const rank = (l: string) => ['FAIL', 'WARN', '?   '].indexOf(l.slice(0, 4))
    expect(shown.map(rank)).toEqual([...shown.map(rank)].sort((a, b) => a - b))
    for (const f of problems)
      expect(
        shown.some((l) => l.includes(` ${f.checkId} `)),
        f.checkId,
      ).toBe(true)

    const outside = report.findings.filter((f) => !f.planned && f.severity === 'fail')
    expect(outside.length).toBeGreaterThan(0) // the demo's edge pool fails ambient and nftables
    const info = out.slice(out.indexOf('Outside the plan (information, not counted in the verdict)') + 1)
    const infoLines = info.slice(0, info.indexOf(''))
    expect(infoLines.length).toBeGreaterThanOrEqual(outside.length)
    for (const l of infoLines) expect(l).toMatch(/^INFO /)
    // the reason says which configuration and what is missing, e.g. ambient/iptables: missing xt_set, ip_set (+2)
    const ambient = outside.find((f) => f.mode === 'ambient' && f.backend === 'iptables')!
    const missing = ambient.evidence?.missing as string[]
    expect(infoLines.find((l) => l.includes('node.iptables-backend'))).toContain(`ambient/iptables: missing ${missing[0]}`)
  })

  it('node groups: recognisable names, kernel and OS in their own columns', () => {
    expect(table.stdout).toMatch(/\nNODE GROUP +KERNEL +OS +sidecar/)
    expect(table.stdout).toMatch(/\nedge-arm-0 \+1 +4\.9\.165 arm64 +Android 10 /)
    expect(table.stdout).toMatch(/\nworker-a-0 \+1 +6\.1\.0-56-amd64 +Debian 12 /)
  })

  it('How to fix: worst first, commands to paste as they are (no prompt)', () => {
    const out = lines(table.stdout)
    const fixes = out.slice(out.indexOf('How to fix (worst first)') + 1)
    const heads = fixes.filter((l) => /^(FAIL|WARN|\? {3}|INFO) /.test(l)).map((l) => l.slice(0, 4))
    expect(heads[0]).toBe('FAIL')
    expect(heads.lastIndexOf('FAIL')).toBeLessThan(heads.indexOf('WARN'))
    expect(table.stdout).toContain('\n    kubectl mesh-ready check --istio-version ')
    expect(table.stdout).not.toMatch(/^\s*\$ /m)
  })

  it('-o short and --summary: the verdict, then one line per planned fail/warn/unknown', async () => {
    const file = path.join(tmp, 'short.json')
    const short = await runCli(['check', ...kc, '-o', 'short'], {COLUMNS: '80'})
    const summary = await runCli(['check', ...kc, '--summary', '--output-file', file], {COLUMNS: '80'})
    for (const r of [short, summary]) {
      expect(r.code).toBe(3)
      expect(lines(r.stdout)[0]).toMatch(VERDICT)
      const counts = Object.fromEntries(
        [
          ...lines(r.stdout)
            .slice(0, 3)
            .join(' ')
            .matchAll(/(\d+) (fail|warn|unknown)\b/g),
        ].map((m) => [m[2], Number(m[1])]),
      )
      const problems = lines(r.stdout).filter((l) => /^(FAIL|WARN|\? {3}) /.test(l))
      expect(problems.length, r.stdout).toBe((counts.fail ?? 0) + (counts.warn ?? 0) + (counts.unknown ?? 0))
      expect(problems[0]).toMatch(/^FAIL /)
      expect(r.stdout).not.toMatch(/^INFO /m)
      expect(r.stdout).not.toContain('How to fix')
      expectTidy(r.stdout, 80)
    }
    // --summary with --output-file: the file has the table report, stdout the short one
    expect(readFileSync(file, 'utf8')).toContain('How to fix')
    const both = await runCli(['check', ...kc, '--summary', '-o', 'json'])
    expect(both.code).toBe(2)
    expect(both.stderr).toMatch(/^error: --summary is -o short; it cannot be combined with -o json\n$/)
  })

  it('-o wide has every finding with its full message and evidence, honouring COLUMNS', async () => {
    const wide = await runCli(['check', ...kc, '-o', 'wide'], {COLUMNS: '132'})
    expectTidy(wide.stdout, 132)
    expect(Math.max(...lines(wide.stdout).map((l) => l.length))).toBeGreaterThan(80)
    expect(wide.stdout).toContain('cluster.api-server')
    expect(wide.stdout).toContain('missing: ')
    expect(wide.stdout).toContain('Platform checks by mode')
  })

  it('-o wide written to a file takes the real terminal width', async () => {
    const file = path.join(tmp, 'wide.txt')
    const result = await inTerminal(
      `stty cols 120; ${process.execPath} ${cliPath} check --kubeconfig ${server.kubeconfigPath} -o wide --no-color > ${file}`,
      {},
    )
    expect(result.code).toBe(3)
    const text = readFileSync(file, 'utf8')
    expectTidy(text, 120)
    expect(Math.max(...lines(text).map((l) => l.length))).toBeGreaterThan(80)
  })

  it('a terminal with a UTF-8 locale gets colour and the glyphs ✔ ‼ × ℹ', async () => {
    const result = await inTerminal(`stty cols 80; ${process.execPath} ${cliPath} check --kubeconfig ${server.kubeconfigPath}`, {LANG: 'C.UTF-8'})
    expect(result.stdout).toMatch(ANSI)
    const text = result.stdout.replace(ANSI, '').replace(/\r/g, '')
    expect(text).toMatch(/^× workload\./m)
    expect(text).toMatch(/^‼ cluster\.kubernetes-version/m)
    expect(text).toMatch(/^ℹ node\./m)
    expect(text).toMatch(/^✔ \d+ passed/m)
  })

  it('without a UTF-8 locale, or with NO_COLOR, plain ASCII words', async () => {
    const c = await inTerminal(`stty cols 80; ${process.execPath} ${cliPath} check --kubeconfig ${server.kubeconfigPath}`, {LANG: 'C'})
    const text = c.stdout.replace(ANSI, '').replace(/\r/g, '')
    expect(text).toMatch(/^FAIL workload\./m)
    expect(text).not.toMatch(/[✔‼×ℹ]/)
    const noColor = await inTerminal(`stty cols 80; ${process.execPath} ${cliPath} check --kubeconfig ${server.kubeconfigPath}`, {
      LANG: 'C.UTF-8',
      NO_COLOR: '1',
    })
    expect(noColor.stdout).not.toMatch(ANSI)
    expect(noColor.stdout.replace(/\r/g, '')).toMatch(/^WARN cluster\.kubernetes-version/m)
  })

  it('explain --from-json: the docs, every reason and the evidence of one subject', async () => {
    const r = await runCli(['explain', 'node.nftables-backend', 'edge-arm', '--from-json', reportFile], {COLUMNS: '100'})
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^node\.nftables-backend: The kernel supports/)
    expect(r.stdout).toContain('docs/checks.md#node-nftables-backend')
    expect(r.stdout).toMatch(/\nsource +https:\/\//)
    const own = report.findings.filter((f) => f.checkId === 'node.nftables-backend' && f.subject.name.startsWith('edge-arm'))
    expect(own.length).toBeGreaterThan(0)
    for (const f of own)
      for (const name of (f.evidence?.missing as string[] | undefined) ?? [])
        expect(r.stdout).toContain(`- ${name === (f.evidence?.missing as string[] | undefined)?.[0] ? 'missing ' : ''}${name}`)
    expect(r.stdout.replace(/\s+/g, ' ')).toContain('outside the plan: information, not counted in the verdict')
    expect(r.stdout).toContain('evidence:')
    expect(r.stdout).toContain('how to fix:')
    expectTidy(r.stdout, 100)
    const json = JSON.parse((await runCli(['explain', 'node.nftables-backend', 'edge-arm*', '--from-json', reportFile, '-o', 'json'])).stdout)
    expect(json.check).toMatchObject({id: 'node.nftables-backend', category: 'node'})
    expect(json.findings).toHaveLength(own.length)
  })

  it('explain: a typo or a subject without a result is a one-line usage error that helps', async () => {
    const typo = await runCli(['explain', 'node.nftables', '--from-json', reportFile])
    expect(typo.code).toBe(2)
    expect(typo.stderr).toMatch(/^error: no check "node\.nftables"; did you mean .*node\.nftables-backend/)
    const subject = await runCli(['explain', 'node.nftables-backend', 'nosuch', '--from-json', reportFile])
    expect(subject.code).toBe(2)
    expect(subject.stderr).toMatch(/^error: node\.nftables-backend has no result for "nosuch" in .*; its subjects: edge-arm-0 \+1/)
    const notReport = await runCli(['explain', 'node.probe', '--from-json', path.join(repoRoot, 'package.json')])
    expect(notReport.code).toBe(2)
    expect(notReport.stderr).toMatch(/^error: --from-json .*package\.json: not a kubectl mesh-ready report/)
  })

  it('explain without --from-json runs the check’s area against the cluster', async () => {
    const r = await runCli(['explain', 'cluster.kubernetes-version', ...kc], {COLUMNS: '80'})
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain('Kubernetes 1.30 was tested with Istio')
    expect(r.stdout).toMatch(/evidence:\n +kubernetes: 1\.30/)
    expect(r.stdout).toContain('kubectl mesh-ready check --istio-version')
  })
})

describe('node groups named by their pool', () => {
  let server: TestApiServer
  beforeAll(async () => {
    const host = 'test/fixtures/kernels/debian-12-6.1.0-56-amd64'
    const scenario: Scenario = {
      name: 'eks-pools',
      serverVersion: {major: '1', minor: '33', gitVersion: 'v1.33.1'},
      generate: {
        nodeGroups: [
          {
            namePrefix: 'ip-10-0-1-',
            count: 2,
            kernelVersion: '6.1.0-56-amd64',
            osImage: 'Debian GNU/Linux 12 (bookworm)',
            labels: {'eks.amazonaws.com/nodegroup': 'ng-general', 'node.kubernetes.io/instance-type': 'm6i.large'},
          },
          {
            namePrefix: 'ip-10-0-2-',
            count: 1,
            kernelVersion: '6.18.0',
            osImage: 'Debian GNU/Linux 12 (bookworm)',
            labels: {'node.kubernetes.io/instance-type': 'c6g.xlarge'},
          },
        ],
      },
      kubelet: {nodes: {'ip-10-0-1-*': {hostRoot: host}, 'ip-10-0-2-*': {hostRoot: '/'}}},
    } as unknown as Scenario
    server = await startApiServer({scenario})
  }, 60_000)
  afterAll(() => server?.stop())

  it('names groups by the EKS node group label, else the instance type', async () => {
    const r = await runCli(['nodes', '--kubeconfig', server.kubeconfigPath, '-o', 'json'])
    const doc = JSON.parse(r.stdout) as {data: {nodes: {groups: Array<{name: string; nodes: string[]}>}}; findings: Finding[]}
    expect(doc.data.nodes.groups.map((g) => g.name)).toEqual(['ng-general', 'c6g.xlarge'])
    expect(doc.findings.filter((f) => f.subject.kind === 'NodeGroup').map((f) => f.subject.name)).toContain('ng-general')
    const text = await runCli(['nodes', '--kubeconfig', server.kubeconfigPath], {COLUMNS: '80'})
    expect(text.stdout).toMatch(/\nng-general \(2\) +6\.1\.0-56-amd64 +Debian 12 /)
    expectTidy(text.stdout, 80)
  })
})

describe('help', () => {
  it('every command’s summary fits one 80-column line of kubectl mesh-ready --help, and no help has trailing spaces', async () => {
    const root = await runCli(['--help'], {COLUMNS: '80'})
    const out = lines(root.stdout)
    const commands = out.slice(out.indexOf('COMMANDS') + 1).filter((l) => l !== '')
    expect(commands.length).toBeGreaterThanOrEqual(6)
    for (const l of commands) expect(l, 'a summary wrapped onto a second line').toMatch(/^ {2}[a-z]+ +\S/)
    expect(commands.some((l) => l.startsWith('  explain '))).toBe(true)
    expectTidy(root.stdout, 80)
    for (const command of commands.map((l) => l.trim().split(/\s+/)[0]!)) {
      const help = await runCli([command, '--help'], {COLUMNS: '80'})
      expect(help.code, command).toBe(0)
      for (const line of lines(help.stdout)) expect(line, `${command} --help`).not.toMatch(/[ \t]$/)
    }
  }, 60_000)
})
