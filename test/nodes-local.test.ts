/**
 * The offline inputs through the built CLI: --local (this machine), --host-root (a mounted image), --kernel-config
 * (a config alone), and functional mode for real, both locally and through the fake kubelet.
 */
import {execFileSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {gzipSync} from 'node:zlib'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type {KubeObject, TestApiServer} from '../test-cluster/index.js'
import {startApiServer} from '../test-cluster/index.js'
import {runCli} from './helpers/cli.js'

const FIXTURES = path.resolve(import.meta.dirname, 'fixtures')
const RHEL = path.join(FIXTURES, 'kernels/configs/rhel-8.0-x86_64.config')
const DEBIAN_12_TREE = path.join(FIXTURES, 'kernels/debian-12-6.1.0-56-amd64')
const tmp = mkdtempSync(path.join(tmpdir(), 'nodes-local-'))
const onPath = (tool: string) => (process.env.PATH ?? '').split(':').some((dir) => existsSync(path.join(dir, tool)))

const isRoot = process.getuid?.() === 0
const missingTools = ['unshare', 'iptables-legacy', 'iptables-nft', 'nft', 'ipset', 'ip'].filter((t) => !onPath(t))
const functionalSkip = !isRoot
  ? 'not root'
  : missingTools.length > 0
    ? `missing ${missingTools.join(', ')} (apt-get install iptables nftables ipset iproute2)`
    : ''
const moduleLessKernel = existsSync('/proc/config.gz') && !existsSync('/proc/modules')

interface Report {
  verdict: string
  findings: Array<{
    checkId: string
    severity: string
    message: string
    mode: string | null
    backend: string | null
    planned: boolean
    evidence?: Record<string, unknown>
  }>
  data: {nodes: {groups: Array<{matrix: Record<string, {readiness: string; functional?: {status: string}}>}>}}
}
const report = (stdout: string) => JSON.parse(stdout) as Report

describe('offline inputs', () => {
  it.skipIf(!moduleLessKernel)(
    `--local judges this machine: ready, exit 0${moduleLessKernel ? '' : ' (skipped: this kernel has module support or no /proc/config.gz)'}`,
    async () => {
      const r = await runCli(['nodes', '--local'])
      expect(r.code, r.stderr).toBe(0)
      expect(r.stdout).toMatch(/^READY for sidecar on iptables \(Istio \d+\.\d+ default\)/m)
    },
  )

  it("--host-root judges a mounted image: Istio's default plan is ready (br_netfilter is not needed), exit 0", async () => {
    const r = await runCli(['nodes', '--host-root', DEBIAN_12_TREE, '-o', 'json'])
    expect(r.code, r.stderr).toBe(0)
    expect(report(r.stdout).verdict).toBe('ready')
    expect(report(r.stdout).findings.filter((f) => f.severity !== 'pass' && f.severity !== 'skip' && f.message.includes('br_netfilter'))).toEqual([])
  })

  it('--kernel-config judges a config alone, gzipped or not, the same way', async () => {
    const gz = path.join(tmp, 'config.gz')
    writeFileSync(gz, gzipSync(readFileSync(RHEL)))
    const plain = await runCli(['nodes', '--kernel-config', RHEL, '--backend', 'nftables', '-o', 'json'])
    const zipped = await runCli(['nodes', '--kernel-config', gz, '--backend', 'nftables', '-o', 'json'])
    expect(plain.code).toBe(3) // RHEL 8.0's 4.18 kernel is below the nftables floor
    expect(zipped.code).toBe(3)
    const matrix = (r: {stdout: string}) => report(r.stdout).data.nodes.groups[0]!.matrix
    expect(matrix(zipped)).toEqual(matrix(plain))
    expect(matrix(plain)['sidecar/nftables']?.readiness).toBe('not-ready')
    expect(matrix(plain)['sidecar/iptables']?.readiness).not.toBe('not-ready')
  })

  it('--kernel-release overrides the config header', async () => {
    const r = report((await runCli(['nodes', '--kernel-config', RHEL, '--kernel-release', '5.14.0-1.el9', '--backend', 'nftables', '-o', 'json'])).stdout)
    expect(r.findings.find((f) => f.checkId === 'node.nftables-backend')?.evidence?.missing).not.toContain('kernel')
  })

  it.each([
    ['a missing config file', ['--kernel-config', path.join(tmp, 'nope')], /--kernel-config .*nope: cannot read it \(ENOENT\)/],
    ['a file that is not a kernel config', ['--kernel-config', path.join(FIXTURES, 'hostroots/README.md')], /not a kernel config \(no CONFIG_ lines\)/],
    ['a host root that does not exist', ['--host-root', path.join(tmp, 'none')], /--host-root .*: not a directory/],
    ['a host root with no kernel', ['--host-root', tmp], /no kernel found/],
    ['--functional on an image', ['--host-root', DEBIAN_12_TREE, '--functional'], /--functional cannot be combined with --host-root/],
    ['two offline inputs', ['--local', '--host-root', tmp], /cannot also be provided when using|--local/],
  ])('%s is one line naming the input, exit 2', async (_name, args, message) => {
    const r = await runCli(['nodes', ...args])
    expect(r.code).toBe(2)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(message)
    expect(r.stdout).toBe('')
  })
})

describe('functional mode for real', () => {
  const hostRules = () => execFileSync('nft', ['list', 'ruleset'], {encoding: 'utf8'})

  it.skipIf(functionalSkip !== '')(
    `--local --functional applies every rule in a scratch network namespace and leaves the host untouched${functionalSkip ? ` (skipped: ${functionalSkip})` : ''}`,
    async () => {
      const before = hostRules()
      const r = await runCli(['nodes', '--local', '--functional', '--ip-families', 'dual', '-o', 'json'])
      expect(r.code, r.stderr).toBe(0)
      const rep = report(r.stdout)
      // one functional verdict per mode × backend, every one applied; the planned one (sidecar on iptables) went via iptables-nft
      const functional = rep.findings.filter((f) => f.checkId === 'node.functional-rules')
      expect(functional.map((f) => `${f.mode}/${f.backend}:${f.severity}`).sort()).toEqual([
        'ambient/iptables:pass',
        'ambient/nftables:pass',
        'sidecar/iptables:pass',
        'sidecar/nftables:pass',
      ])
      expect(functional.find((f) => f.planned)!.message).toContain('iptables-nft.nat')
      expect(Object.values(rep.data.nodes.groups[0]!.matrix).map((m) => m.functional?.status)).toEqual(['ok', 'ok', 'ok', 'ok'])
      expect(hostRules()).toBe(before)
    },
  )

  describe('through the fake kubelet (each probe in its own network namespace)', () => {
    let server: TestApiServer
    const created: KubeObject[] = []
    beforeAll(async () => {
      if (functionalSkip) return
      server = await startApiServer({scenario: 'nodes-functional'})
      server.store.subscribe((e) => {
        if (e.resource === 'pods' && e.type === 'ADDED') created.push(e.object as KubeObject)
      })
    })
    afterAll(() => server?.stop())

    it.skipIf(functionalSkip !== '')(
      `--functional runs Istio's proxy image with NET_ADMIN and NET_RAW and reports every rule applied${functionalSkip ? ` (skipped: ${functionalSkip})` : ''}`,
      async () => {
        const r = await runCli(['nodes', '--kubeconfig', server.kubeconfigPath, '--functional', '--istio-version', '1.29', '-o', 'json'])
        expect(r.code, r.stderr).toBe(0)
        const rep = report(r.stdout)
        expect(
          rep.findings
            .filter((f) => f.checkId === 'node.functional-rules')
            .map((f) => `${f.mode}/${f.backend}:${f.severity}`)
            .sort(),
        ).toEqual(['ambient/iptables:pass', 'ambient/nftables:pass', 'sidecar/iptables:pass', 'sidecar/nftables:pass'])
        const container = (created[0]!.spec as {containers: Array<{image: string; securityContext: {capabilities: {add: string[]}}}>}).containers[0]!
        expect(container.image).toBe('docker.io/istio/proxyv2:1.29.0')
        expect(container.securityContext.capabilities.add).toEqual(['NET_ADMIN', 'NET_RAW'])
        expect(server.store.list('pods').filter((p) => p.metadata.labels?.['app.kubernetes.io/managed-by'])).toEqual([])
      },
    )
  })
})

describe('offline inputs without the tools they need', () => {
  it('--host-root with no shell on PATH is a one-line usage error naming what to install', async () => {
    const result = await runCli(['nodes', '--host-root', DEBIAN_12_TREE], {PATH: tmp})
    expect(result.code).toBe(2)
    expect(result.stdout).toBe('')
    expect(result.stderr.trim()).toMatch(/^error: --local, --host-root and --kernel-config need "sh" on PATH/)
    expect(result.stderr.trim().split('\n')).toHaveLength(1)
  })
})
