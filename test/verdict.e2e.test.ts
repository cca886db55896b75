/**
 * Verdicts that mean what they say, end to end through the built CLI against the test API server: the verdict judges
 * the planned install and names the alternatives, a run that judged nothing is `incomplete` (exit 5) whatever
 * --fail-on says, and `check`/`pods` judge every namespace unless -n narrows them.
 */
import {readdirSync} from 'node:fs'
import path from 'node:path'
import {afterAll, afterEach, describe, expect, it} from 'vitest'
import type {KubeObject, TestApiServer} from '../test-cluster/index.js'
import {startApiServer} from '../test-cluster/index.js'
import {runCli} from './helpers/cli.js'

interface Finding {
  checkId: string
  severity: string
  mode: string | null
  backend: string | null
  planned: boolean
  subject: {kind: string; name: string; namespace?: string}
  evidence?: Record<string, unknown>
}
interface Report {
  verdict: string
  plan: {istioVersion: string; modes: string[]; backends: string[]; source: string}
  scope?: string
  summary: Record<string, number>
  alternativeSummary: Record<string, number>
  coverage: Array<{area: string; judged: number; unit: string; reason?: string}>
  alternatives: Array<{label: string; verdict: string; detail?: string}>
  findings: Finding[]
  data: {pods?: {workloads: Array<{namespace: string; name: string}>}}
}

const servers: TestApiServer[] = []
const start = async (scenario: string | Parameters<typeof startApiServer>[0]['scenario']) => {
  const server = await startApiServer({scenario})
  servers.push(server)
  return server
}
const managed = (o: KubeObject) => o.metadata.labels?.['app.kubernetes.io/managed-by'] === 'kubectl-mesh-ready'
afterEach(() => {
  for (const server of servers) {
    expect(server.store.list('pods').filter(managed)).toEqual([])
    expect(server.store.list('namespaces').filter(managed)).toEqual([])
  }
})
afterAll(() => {
  for (const server of servers) server.stop()
})
const json = (stdout: string) => JSON.parse(stdout) as Report

describe('the verdict judges the planned install', () => {
  it("judges Istio's default (sidecar on iptables) and shows ambient's failure as information", async () => {
    const server = await start('demo')
    const result = await runCli(['nodes', '--kubeconfig', server.kubeconfigPath, '-o', 'json', '--istio-version', '1.30'])
    const report = json(result.stdout)
    expect(report.plan).toEqual({istioVersion: '1.30', modes: ['sidecar'], backends: ['iptables'], source: 'defaults'})
    const scenario = report.findings.filter((f) => f.checkId === 'node.iptables-backend' || f.checkId === 'node.nftables-backend')
    // every mode × backend is still judged for every group, and only sidecar on iptables counts
    expect(new Set(scenario.map((f) => `${f.mode}/${f.backend}`))).toEqual(
      new Set(['sidecar/iptables', 'ambient/iptables', 'sidecar/nftables', 'ambient/nftables']),
    )
    for (const f of scenario) expect(f.planned).toBe(f.mode === 'sidecar' && f.backend === 'iptables')
    // the arm64 4.9 kernel lacks ip_set: ambient fails there, as information
    const ambient = scenario.filter((f) => f.mode === 'ambient' && f.backend === 'iptables' && f.severity === 'fail')
    expect(ambient).toHaveLength(1)
    expect(report.alternatives).toContainEqual({
      label: 'ambient',
      verdict: 'not-ready',
      detail: expect.stringMatching(/^on 1 of 3 node groups \(missing .*ip_set/),
    })
    expect(report.summary.fail).toBe(0)
    expect(report.alternativeSummary.fail).toBeGreaterThan(0)
    expect(report.verdict).not.toBe('not-ready')
    expect(result.code === 0 || result.code === 4).toBe(true)
  })

  it('the table verdict names the plan and the alternative', async () => {
    const server = await start('demo')
    const result = await runCli(['nodes', '--kubeconfig', server.kubeconfigPath, '--istio-version', '1.30'], {COLUMNS: '80'})
    const tail = result.stdout.trimEnd().split('\n').slice(-12).join('\n')
    expect(tail).toMatch(/^READY( WITH WARNINGS)? for sidecar on iptables \(Istio 1\.30 default\)$/m)
    expect(tail.replace(/\s+/g, ' ')).toMatch(/— ambient: NOT READY on 1 of 3 node groups \(missing [^)]*ip_set/)
  })

  it.each([
    [['--mode', 'ambient'], ['ambient'], ['iptables']],
    [['--mode', 'both'], ['sidecar', 'ambient'], ['iptables']],
    [
      ['--mode', 'both', '--backend', 'both'],
      ['sidecar', 'ambient'],
      ['iptables', 'nftables'],
    ],
  ])('%j explicitly judges %j on %j: the 4.9 group fails', async (flags, modes, backends) => {
    const server = await start('demo')
    const result = await runCli(['nodes', '--kubeconfig', server.kubeconfigPath, '-o', 'json', '--istio-version', '1.30', ...flags])
    const report = json(result.stdout)
    expect(report.plan).toMatchObject({modes, backends, source: 'flags'})
    expect(report.verdict).toBe('not-ready')
    expect(result.code).toBe(3)
    expect(report.findings.filter((f) => f.severity === 'fail' && f.planned).every((f) => f.mode === null || modes.includes(f.mode))).toBe(true)
  })
})

describe('incomplete: never ready on nothing', () => {
  it('no probe could run (image pull failure on every group): incomplete, exit 5, even with --fail-on fail', async () => {
    const server = await start('nodes-image-pull')
    for (const [failOn, code] of [
      ['warn', 5],
      ['unknown', 5],
      ['fail', 5],
      ['never', 0],
    ] as const) {
      const result = await runCli(['nodes', '--kubeconfig', server.kubeconfigPath, '-o', 'json', '--fail-on', failOn])
      const report = json(result.stdout)
      expect(report.verdict).toBe('incomplete')
      expect(report.coverage).toEqual([expect.objectContaining({area: 'nodes', judged: 0, unit: 'node groups'})])
      expect(result.code, `--fail-on ${failOn}`).toBe(code)
    }
    const table = await runCli(['nodes', '--kubeconfig', server.kubeconfigPath])
    expect(table.stdout.replace(/\s+/g, ' ')).toMatch(/INCOMPLETE for sidecar on iptables .* not judged: nodes: 0 node groups judged/)
  })

  it('pods that saw no workload is incomplete, not ready', async () => {
    const server = await start('kind-small')
    const result = await runCli(['pods', '--kubeconfig', server.kubeconfigPath, '-o', 'json', '-l', 'app=does-not-exist'])
    const report = json(result.stdout)
    expect(report.coverage).toEqual([expect.objectContaining({area: 'pods', judged: 0})])
    expect(report.verdict).toBe('incomplete')
    expect(result.code).toBe(5)
  })
})

describe('check and pods judge every namespace unless -n narrows them', () => {
  it('pods without -n reads workloads of every namespace and says so', async () => {
    // the demo's workloads live in shop and data (system namespaces are never injected, so not judged)
    const server = await start('demo')
    const all = json((await runCli(['pods', '--kubeconfig', server.kubeconfigPath, '-o', 'json'])).stdout)
    expect(all.scope).toBe('all namespaces')
    expect(new Set(all.data.pods!.workloads.map((w) => w.namespace))).toEqual(new Set(['shop', 'data']))
    const narrowed = json((await runCli(['pods', '--kubeconfig', server.kubeconfigPath, '-o', 'json', '-n', 'shop'])).stdout)
    expect(narrowed.scope).toBe('namespace shop')
    expect(new Set(narrowed.data.pods!.workloads.map((w) => w.namespace))).toEqual(new Set(['shop']))
    expect(narrowed.coverage).toEqual([expect.objectContaining({area: 'pods', judged: narrowed.data.pods!.workloads.length})])
  })

  it('check says its scope in the verdict line', async () => {
    const server = await start('kind-small')
    const all = await runCli(['check', '--kubeconfig', server.kubeconfigPath, '--skip', 'nodes'], {COLUMNS: '200'})
    expect(all.stdout.trimEnd().split('\n').at(-1)).toMatch(/ on kind-small, all namespaces: /)
    const one = await runCli(['check', '--kubeconfig', server.kubeconfigPath, '--skip', 'nodes', '-n', 'default', '-o', 'json'])
    expect(json(one.stdout).scope).toBe('namespace default')
  })
})

describe("Istio's default plan on every real kernel fixture, through the CLI", () => {
  const configs = path.resolve(import.meta.dirname, 'fixtures/kernels/configs')
  it.each(readdirSync(configs).filter((f) => f.endsWith('.config')))('%s: ready, exit 0', async (file) => {
    const result = await runCli(['nodes', '--kernel-config', path.join(configs, file), '-o', 'json'])
    const report = json(result.stdout)
    expect(report.plan).toMatchObject({modes: ['sidecar'], backends: ['iptables'], source: 'defaults'})
    expect(report.findings.filter((f) => f.planned && f.severity !== 'pass' && f.severity !== 'skip')).toEqual([])
    expect(report.verdict).toBe('ready')
    expect(result.code).toBe(0)
  })

  it('a broken plan still fails and names the missing feature: ambient on the 4.9 Android kernel', async () => {
    const result = await runCli(['nodes', '--kernel-config', path.join(configs, 'android-pixel-3a-aarch64.config'), '--mode', 'ambient', '-o', 'json'])
    const report = json(result.stdout)
    expect(report.verdict).toBe('not-ready')
    expect(result.code).toBe(3)
    const failed = report.findings.find((f) => f.planned && f.severity === 'fail' && f.checkId === 'node.iptables-backend')
    expect(failed?.evidence?.missing).toEqual(expect.arrayContaining(['ip_set', 'xt_set']))
  })
})
