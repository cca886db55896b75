/**
 * Real kernel data (test/fixtures/kernels, see its README) through the whole offline pipeline: the POSIX probe
 * script reads the files, the parser turns its report into evidence, the node checks judge it. Every expectation
 * below was written from the files themselves (grep the config), not from the plugin's output:
 *
 * - every config builds BRIDGE_NETFILTER=m except Android (not set); no tree lists it in modules-load.d, so
 *   "must be loaded" is a warning on every iptables column of an image that has not booted;
 * - the nftables floor is Linux 5.13: 4.9 (Android), 4.18 (RHEL 8.0), 4.19 (Debian 10), 5.4 (Ubuntu 20.04) fail it;
 * - CONFIG_NF_CONNTRACK_IPV4 exists only in the 4.9 and 4.18 configs; CONFIG_NF_NAT_IPV4 also in 4.19;
 * - RHEL 8.0: CONFIG_NFT_SOCKET is not set and NFT_TPROXY is absent; nft_chain_nat comes from NFT_CHAIN_NAT_IPV4=m;
 * - Android: no NF_TABLES, IP_SET, NETFILTER_XT_SET, IP6_NF_NAT; NF_CONNTRACK_ZONES is not set; the legacy
 *   tables and xt matches are all =y;
 * - Fedora 42 (6.17) sets NETFILTER_XTABLES_LEGACY=y, so its legacy tables stay; AlmaLinux 10 (6.12) has no
 *   NFT_COUNTER (built into nf_tables since 5.17);
 * - the Debian 12 tree's modules.order lists nf_conntrack, nf_nat, nf_tables but no nf_conntrack_ipv4,
 *   nf_nat_ipv4, nf_nat_redirect or nft_counter.
 */
import {resolvePlan} from '../src/engine/plan.js'
import {existsSync} from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import type {NodesAreaOptions} from '../src/areas/nodes.js'
import {nodesArea} from '../src/areas/nodes.js'
import {BACKENDS, MODES} from '../src/knowledge/kernel-modules.js'

const KERNELS = path.resolve(import.meta.dirname, 'fixtures/kernels')
const config = (name: string) => path.join(KERNELS, 'configs', `${name}.config`)
const DEBIAN_12_TREE = path.join(KERNELS, 'debian-12-6.1.0-56-amd64')

type Matrix = Record<string, {readiness: string; path?: string}>
interface Group {
  matrix: Matrix
  evidence: Array<{requirement: string; status: string; satisfied: boolean | null; neededFor: string[]}>
}

async function judgeOffline(offline: NodesAreaOptions['offline'], overrides: Partial<NodesAreaOptions> = {}) {
  const result = await nodesArea(undefined, {
    istioVersion: '1.29',
    plan: resolvePlan({istioVersion: '1.29', mode: 'both', backend: 'both'}),
    modes: MODES,
    backends: BACKENDS,
    ipFamilies: 'auto',
    interception: 'redirect',
    functional: false,
    timeoutMs: 30_000,
    concurrency: 1,
    allNodes: false,
    nodeNames: [],
    keepProbes: false,
    showEvidence: true,
    offline,
    signal: new AbortController().signal,
    onCleanup: () => {},
    ...overrides,
  })
  const nodes = result.data?.nodes as {groups: Group[]}
  return {result, group: nodes.groups[0]!}
}

const readiness = (m: Matrix) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, v.readiness]))
const statusOf = (g: Group, requirement: string) => g.evidence.find((e) => e.requirement === requirement)?.status

const W = 'warnings'
const R = 'ready'
const N = 'not-ready'

describe('every real kernel config gives the verdict its files imply', () => {
  it.each([
    // name, sidecar/iptables, sidecar/nftables, ambient/iptables, ambient/nftables
    ['almalinux-10-x86_64', W, R, W, R],
    ['android-pixel-3a-aarch64', W, N, N, N],
    ['debian-10-buster-x86_64', W, N, W, N],
    ['debian-13-trixie-x86_64', W, R, W, R],
    ['fedora-42-x86_64', W, R, W, R],
    ['rhel-8.0-x86_64', W, N, W, N],
    ['ubuntu-20.04-focal-x86_64', W, N, W, N],
  ])('%s', async (name, sidecarIpt, sidecarNft, ambientIpt, ambientNft) => {
    const {group} = await judgeOffline({kind: 'kernel-config', file: config(name)})
    expect(readiness(group.matrix)).toEqual({'sidecar/iptables': sidecarIpt, 'sidecar/nftables': sidecarNft, 'ambient/iptables': ambientIpt, 'ambient/nftables': ambientNft})
  })
})

describe('the Debian 12 tree (modules.order + modules.builtin + config, no modules.dep)', () => {
  it('passes every backend and reports the merged modules as merged, never missing', async () => {
    const {group, result} = await judgeOffline({kind: 'host-root', dir: DEBIAN_12_TREE})
    expect(readiness(group.matrix)).toEqual({'sidecar/iptables': W, 'sidecar/nftables': R, 'ambient/iptables': W, 'ambient/nftables': R})
    expect(statusOf(group, 'nf_conntrack_ipv4')).toBe('merged into nf_conntrack')
    expect(statusOf(group, 'nf_nat_ipv4')).toBe('merged into nf_nat')
    expect(statusOf(group, 'nf_nat_redirect')).toBe('merged into nf_nat')
    expect(statusOf(group, 'nft_counter')).toBe('merged into nf_tables')
    expect(statusOf(group, 'nf_tables')).toBe('loadable')
    expect(statusOf(group, 'xt_REDIRECT')).toBe('loadable')
    expect(group.evidence.filter((e) => e.status === 'missing' || e.status === 'unknown')).toEqual([])
    // the only warning: br_netfilter is loadable but nothing on an unbooted image loads it
    const warned = result.findings.filter((f) => f.severity === 'warn').map((f) => f.evidence?.warnings)
    expect(warned.flat()).toEqual(['br_netfilter', 'br_netfilter'])
    expect(result.findings.filter((f) => f.severity === 'fail')).toEqual([])
  })

  it('shows the evidence vocabulary and the tree it came from in the -o wide view', async () => {
    const {result} = await judgeOffline({kind: 'host-root', dir: DEBIAN_12_TREE})
    const view = result.views?.find((v) => v.title.startsWith('Kernel evidence'))
    expect(view?.title).toContain('config /boot/config-6.1.0-56-amd64')
    expect(view?.title).toContain('modules.builtin, modules.order')
    expect(view?.rows.find((r) => r[0] === 'nf_conntrack_ipv4')?.[1]).toBe('merged into nf_conntrack')
  })
})

describe('per-module evidence from the configs', () => {
  it.each([
    ['rhel-8.0-x86_64', 'nf_conntrack_ipv4', 'config=m'],
    ['rhel-8.0-x86_64', 'nf_nat_ipv4', 'config=m'],
    ['rhel-8.0-x86_64', 'nft_chain_nat', 'config=m'],
    ['rhel-8.0-x86_64', 'nft_socket', 'missing'],
    ['debian-10-buster-x86_64', 'nf_conntrack_ipv4', 'merged into nf_conntrack'],
    ['debian-10-buster-x86_64', 'nf_nat_ipv4', 'config=m'],
    ['almalinux-10-x86_64', 'nft_counter', 'merged into nf_tables'],
    ['almalinux-10-x86_64', 'ip_tables', 'config=m'],
    ['fedora-42-x86_64', 'ip_tables', 'config=m'],
    ['android-pixel-3a-aarch64', 'ip_set', 'missing'],
    ['android-pixel-3a-aarch64', 'CONFIG_NF_CONNTRACK_ZONES', 'missing'],
    ['android-pixel-3a-aarch64', 'iptable_nat', 'config=y'],
    ['android-pixel-3a-aarch64', 'br_netfilter', 'missing'],
  ])('%s: %s is %s', async (name, requirement, status) => {
    const {group} = await judgeOffline({kind: 'kernel-config', file: config(name)})
    expect(statusOf(group, requirement)).toBe(status)
  })

  it('RHEL 8.0 misses nft_socket only as a warning that says Istio does not use it', async () => {
    const {result} = await judgeOffline({kind: 'kernel-config', file: config('rhel-8.0-x86_64')}, {modes: ['sidecar'], backends: ['nftables']})
    const finding = result.findings.find((f) => f.checkId === 'node.nftables-backend')!
    expect(finding.severity).toBe('fail')
    expect(finding.evidence?.missing).toEqual(['kernel'])
    expect(finding.evidence?.warnings).toEqual(['nft_socket'])
    expect(finding.message).toContain('no current Istio rule uses a socket expression')
    expect(finding.remediation?.text).toContain('5.13')
  })

  it('RHEL 8.0 with TPROXY interception also misses nft_tproxy', async () => {
    const {result} = await judgeOffline({kind: 'kernel-config', file: config('rhel-8.0-x86_64')}, {modes: ['sidecar'], backends: ['nftables'], interception: 'tproxy'})
    expect(result.findings.find((f) => f.checkId === 'node.nftables-backend')?.evidence?.missing).toEqual(['nft_tproxy', 'kernel'])
  })

  it('Android runs sidecars through iptables-legacy, and fails ambient on ipset, xt_set and conntrack zones', async () => {
    const {group, result} = await judgeOffline({kind: 'kernel-config', file: config('android-pixel-3a-aarch64')}, {backends: ['iptables']})
    expect(group.matrix['sidecar/iptables']?.path).toBe('legacy')
    const ambient = result.findings.find((f) => f.checkId === 'node.iptables-backend' && f.message.startsWith('ambient'))!
    expect(ambient.severity).toBe('fail')
    expect(ambient.evidence?.missing).toEqual(expect.arrayContaining(['xt_set', 'ip_set', 'ip_set_hash_ip', 'NF_CONNTRACK_ZONES']))
  })

  it.each([
    ['--dns-capture needs conntrack zones, which Android lacks', {dnsCapture: true}, 'NF_CONNTRACK_ZONES'],
    ['dual-stack needs the IPv6 nat table, which Android lacks', {ipFamilies: 'dual' as const}, 'ip6table_nat'],
  ])('%s', async (_name, overrides, missing) => {
    const {group, result} = await judgeOffline({kind: 'kernel-config', file: config('android-pixel-3a-aarch64')}, {modes: ['sidecar'], backends: ['iptables'], ...overrides})
    expect(group.matrix['sidecar/iptables']?.readiness).toBe('not-ready')
    expect(result.findings.find((f) => f.checkId === 'node.iptables-backend')?.evidence?.missing).toContain(missing)
  })
})

const moduleLessKernel = existsSync('/proc/config.gz') && !existsSync('/proc/modules')

describe('this machine through --local (Linux without module support, every netfilter option built in)', () => {
  it.skipIf(!moduleLessKernel)('is ready on every backend, judged from /proc/config.gz (skipped: this kernel has module support or no /proc/config.gz)', async () => {
    const {group, result} = await judgeOffline({kind: 'local'})
    expect(readiness(group.matrix)).toEqual({'sidecar/iptables': R, 'sidecar/nftables': R, 'ambient/iptables': R, 'ambient/nftables': R})
    expect(statusOf(group, 'nf_tables')).toBe('config=y')
    expect(result.findings.filter((f) => f.severity !== 'pass')).toEqual([])
  })
})
