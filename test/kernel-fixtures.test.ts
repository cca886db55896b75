/**
 * Real kernel data (test/fixtures/kernels, see its README) through the whole offline pipeline: the POSIX probe
 * script reads the files, the parser turns its report into evidence, the node checks judge it. Every expectation
 * below was written from the files themselves (grep the config), not from the plugin's output; the table-driven
 * ones read the config in the test and derive the expectation from it:
 *
 * - every config builds BRIDGE_NETFILTER=m except Android (not set): Istio's rules do not use it, so it changes
 *   nothing (a note, never a warning);
 * - the nftables floor is Linux 5.13: 4.9 (Android), 4.18 (RHEL 8.0), 4.19 (Debian 10), 5.4 (Ubuntu 20.04) fail it;
 * - CONFIG_NF_CONNTRACK_IPV4 exists only in the 4.9 and 4.18 configs; CONFIG_NF_NAT_IPV4 also in 4.19;
 * - RHEL 8.0: CONFIG_NFT_SOCKET is not set and NFT_TPROXY is absent; nft_chain_nat comes from NFT_CHAIN_NAT_IPV4=m;
 *   RHEL 8.0 and Debian 10 build the route chain types as modules (NFT_CHAIN_ROUTE_IPV4=m), 5.4+ configs have no
 *   such symbol (merged into nf_tables);
 * - Android: no NF_TABLES, IP_SET, NETFILTER_XT_SET, IP6_NF_NAT, NF_NAT_IPV6; NF_CONNTRACK_ZONES is not set; the
 *   legacy tables and xt matches are all =y;
 * - Fedora 42 (6.17) sets NETFILTER_XTABLES_LEGACY=y, so its legacy tables stay; AlmaLinux 10 (6.12) has no
 *   NFT_COUNTER (built into nf_tables since 5.17);
 * - every config sets NF_CONNTRACK_MARK=y and IPV6_MULTIPLE_TABLES=y;
 * - the Debian 12 tree's modules.order lists nf_conntrack, nf_nat, nf_tables but no nf_conntrack_ipv4,
 *   nf_nat_ipv4, nf_nat_redirect or nft_counter.
 */
import {existsSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import type {NodesAreaOptions, NodesJudgement} from '../src/pipeline/nodes.js'
import {nodesArea} from '../src/pipeline/nodes.js'
import {scenarioFor} from '../src/derive/kernel/describe.js'
import {judgeIptables, judgeScenario} from '../src/derive/kernel/scenarios.js'
import {deriveKernelMatrix} from '../src/derive/kernel/matrix.js'
import {nodeGroupChecks} from '../src/checks/node/index.js'
import type {Outcome} from '../src/model/finding.js'
import {resolvePlan} from '../src/model/plan.js'
import type {NodeGroup, NodesSetup} from '../src/gather/nodes.js'
import type {OfflineInput} from '../src/gather/probe/offline.js'
import {prepareOfflineRoot} from '../src/gather/probe/offline.js'
import {runLocalProbe} from '../src/gather/probe/local.js'
import type {KernelEvidence} from '../src/gather/probe/parse-probe.js'
import {parseProbeOutput} from '../src/gather/probe/parse-probe.js'
import {PROBE_REQUEST} from '../src/gather/probe/script.js'
import {dnsCaptureDefault} from '../src/knowledge/istio-interception.js'
import {DEFAULT_ISTIO_VERSION} from '../src/knowledge/istio-releases.js'
import type {Scenario} from '../src/knowledge/kernel-modules.js'
import {BACKENDS, MODES} from '../src/knowledge/kernel-modules.js'

const KERNELS = path.resolve(import.meta.dirname, 'fixtures/kernels')
const config = (name: string) => path.join(KERNELS, 'configs', `${name}.config`)
const DEBIAN_12_TREE = path.join(KERNELS, 'debian-12-6.1.0-56-amd64')

type Matrix = Record<string, {readiness: string; path?: string}>
interface Group {
  matrix: Matrix
  evidence: Array<{requirement: string; status: string; satisfied: boolean | null; neededFor: string[]}>
}

async function judgeOffline(offline: NodesAreaOptions['offline'], overrides: Partial<NodesJudgement> & {istioVersion?: string} = {}) {
  const {istioVersion = '1.29', ...judgement} = overrides
  const result = await nodesArea(undefined, {
    plan: resolvePlan({istioVersion, mode: 'both', backend: 'both'}),
    judgement: {modes: MODES, backends: BACKENDS, ipFamilies: 'auto', interception: 'redirect', ...judgement},
    probe: {image: 'unused', functional: false, timeoutMs: 30_000, concurrency: 1, fanOut: 'auto', keepProbes: false},
    selection: {allNodes: false, nodeNames: []},
    showEvidence: true,
    offline,
    run: {signal: new AbortController().signal, onCleanup: () => {}},
  })
  const nodes = result.data?.nodes as {groups: Group[]}
  return {result, group: nodes.groups[0]!}
}

const readiness = (m: Matrix) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, v.readiness]))
const statusOf = (g: Group, requirement: string) => g.evidence.find((e) => e.requirement === requirement)?.status

const R = 'ready'
const N = 'not-ready'
const CONFIGS = [
  'almalinux-10-x86_64',
  'android-pixel-3a-aarch64',
  'debian-10-buster-x86_64',
  'debian-13-trixie-x86_64',
  'fedora-42-x86_64',
  'rhel-8.0-x86_64',
  'ubuntu-20.04-focal-x86_64',
]

/** Evidence of a fixture exactly as the offline pipeline gathers it: the probe script over the files, then the parser. */
async function evidenceOf(input: OfflineInput): Promise<KernelEvidence> {
  const root = await prepareOfflineRoot(input, undefined, false)
  try {
    const parsed = parseProbeOutput(
      await runLocalProbe({hostRoot: root.hostRoot, kernelRelease: root.release, functional: '', timeoutMs: 30_000}),
      PROBE_REQUEST,
    )
    if (!parsed.ok) throw new Error(parsed.reason)
    return parsed.evidence
  } finally {
    await root.dispose()
  }
}

/** What a kernel config sets a symbol to, read from the file itself: y, m, or undefined (not set or absent). */
function setting(name: string, symbol: string): 'y' | 'm' | undefined {
  const match = new RegExp(`^CONFIG_${symbol}=([ym])$`, 'm').exec(readFileSync(config(name), 'utf8'))
  return match?.[1] as 'y' | 'm' | undefined
}
const headerRelease = (name: string) => /^# Linux\/\S+ (\S+) Kernel Configuration$/m.exec(readFileSync(config(name), 'utf8'))![1]!
const atLeast = (release: string, major: number, minor: number) => {
  const [a = 0, b = 0] = release.split(/[.-]/).map(Number)
  return a > major || (a === major && b >= minor)
}

/** Istio's defaults for its newest release: every mode × backend judged, sidecar DNS capture off, ambient's on. */
const defaults = (over: Partial<NodesSetup> = {}): NodesSetup => ({
  istioVersion: DEFAULT_ISTIO_VERSION,
  modes: MODES,
  backends: BACKENDS,
  ipFamilies: 'ipv4',
  ipFamiliesSource: 'assumed IPv4 for an offline input',
  dnsCapture: {sidecar: dnsCaptureDefault('sidecar', DEFAULT_ISTIO_VERSION), ambient: dnsCaptureDefault('ambient', DEFAULT_ISTIO_VERSION)},
  interception: 'redirect',
  functional: false,
  ...over,
})
const GROUP: NodeGroup = {
  id: 'g1',
  subject: {kind: 'NodeGroup', name: 'fixture'},
  kernelVersion: '',
  osImage: '',
  architecture: '',
  containerRuntime: '',
  nodes: ['fixture'],
  notReady: [],
  windows: false,
  probe: {state: 'ok', source: 'kernel-config'},
}
const INPUTS: Array<[string, OfflineInput]> = [
  ...CONFIGS.map((name): [string, OfflineInput] => [name, {kind: 'kernel-config', file: config(name)}]),
  ['debian-12 tree', {kind: 'host-root', dir: DEBIAN_12_TREE}],
]

/** The judged scenario of a mode × backend: for iptables, on the path Istio takes. */
function judge(ev: KernelEvidence, s: Scenario) {
  if (s.backend === 'nftables') return {path: undefined, judgement: judgeScenario(ev, s)}
  const j = judgeIptables(ev, s)
  return {path: j.chosen, judgement: j.paths[j.chosen]}
}
const missingOf = (j: ReturnType<typeof judge>) => j.judgement.items.filter((i) => i.outcome === 'fail').map((i) => i.requirement.name)

describe("Istio's default plan (sidecar on iptables, the release's DNS capture default) on every real kernel", () => {
  it.each(INPUTS)('%s runs it: ready, with no warning or unknown from any node check about the plan', async (name, input) => {
    const ev = await evidenceOf(input)
    const setup = defaults()
    const {path: via, judgement} = judge(ev, scenarioFor(setup, 'sidecar', 'iptables'))
    expect(judgement.readiness, JSON.stringify(judgement.items.filter((i) => i.outcome !== 'ok'))).toBe(R)
    // iptables-nft when the config builds nf_tables and nft_compat (Android builds neither: iptables-legacy, all =y)
    const nftBuilt = input.kind === 'host-root' || (setting(name, 'NF_TABLES') !== undefined && setting(name, 'NFT_COMPAT') !== undefined)
    expect(via).toBe(nftBuilt ? 'nft' : 'legacy')
    // Every node check's outcome about the plan (or about no mode at all) is a pass or a skip: the verdict is ready.
    const outcomes: Outcome[] = nodeGroupChecks.flatMap(
      (check) => check.run({group: GROUP, kernel: ev, matrix: deriveKernelMatrix(ev, setup), setup} as never) as readonly Outcome[],
    )
    const aboutPlan = outcomes.filter((o) => (o.mode == null || o.mode === 'sidecar') && (o.backend == null || o.backend === 'iptables'))
    expect(aboutPlan.length).toBeGreaterThan(0)
    expect(aboutPlan.filter((o) => o.severity !== 'pass' && o.severity !== 'skip').map((o) => o.message)).toEqual([])
    // One outcome per judged mode × backend from each scenario check, each naming its mode and backend.
    for (const id of ['node.iptables-backend', 'node.nftables-backend', 'node.module-autoload']) {
      const check = nodeGroupChecks.find((c) => c.id === id)!
      const own = check.run({group: GROUP, kernel: ev, matrix: deriveKernelMatrix(ev, setup), setup} as never) as readonly Outcome[]
      const backends = id === 'node.iptables-backend' ? ['iptables'] : id === 'node.nftables-backend' ? ['nftables'] : BACKENDS
      expect(
        own.map((o) => `${o.mode}/${o.backend}`),
        id,
      ).toEqual(MODES.flatMap((m) => backends.map((b) => `${m}/${b}`)))
    }
  })
})

/**
 * Broken plans still fail, naming the missing feature. Each row: a plan, the Kconfig symbol its rules need, and the
 * requirement the finding names; whether it is missing is read from the config itself.
 */
const NEEDS: Array<[string, (s: NodesSetup) => Scenario, string, string]> = [
  ['sidecar on iptables with DNS capture', (s) => ({...scenarioFor(s, 'sidecar', 'iptables'), dnsCapture: true}), 'NF_CONNTRACK_ZONES', 'NF_CONNTRACK_ZONES'],
  ['ambient on iptables (the ipset host rule)', (s) => scenarioFor(s, 'ambient', 'iptables'), 'IP_SET', 'ip_set'],
  ['ambient on iptables (-m set)', (s) => scenarioFor(s, 'ambient', 'iptables'), 'NETFILTER_XT_SET', 'xt_set'],
  ['ambient on iptables (hash:ip sets)', (s) => scenarioFor(s, 'ambient', 'iptables'), 'IP_SET_HASH_IP', 'ip_set_hash_ip'],
  ['ambient (IPv6 policy routing, cni.ambient.ipv6 default)', (s) => scenarioFor(s, 'ambient', 'iptables'), 'IPV6_MULTIPLE_TABLES', 'IPV6_MULTIPLE_TABLES'],
  ['ambient (connection marks)', (s) => scenarioFor(s, 'ambient', 'iptables'), 'NF_CONNTRACK_MARK', 'NF_CONNTRACK_MARK'],
  ['sidecar TPROXY on nftables', (s) => ({...scenarioFor(s, 'sidecar', 'nftables'), interception: 'tproxy'}), 'NFT_TPROXY', 'nft_tproxy'],
]

describe('broken plans fail naming the missing feature, as each config implies', () => {
  const cases = CONFIGS.flatMap((name) => NEEDS.map(([plan, scenario, symbol, requirement]) => [name, plan, scenario, symbol, requirement] as const))
  it.each(cases)('%s: %s needs CONFIG_%s', async (name, _plan, scenario, symbol, requirement) => {
    const ev = await evidenceOf({kind: 'kernel-config', file: config(name)})
    const judged = judge(ev, scenario(defaults()))
    const built = setting(name, symbol) !== undefined
    expect(missingOf(judged).includes(requirement), `${name} CONFIG_${symbol}=${setting(name, symbol) ?? 'unset'}`).toBe(!built)
    if (!built) expect(judged.judgement.readiness).toBe(N)
  })

  it.each(CONFIGS)('%s: the nftables backend needs Linux 5.13 (release from the config header)', async (name) => {
    const ev = await evidenceOf({kind: 'kernel-config', file: config(name)})
    const judged = judge(ev, scenarioFor(defaults(), 'sidecar', 'nftables'))
    expect(missingOf(judged).includes('kernel')).toBe(!atLeast(headerRelease(name), 5, 13))
  })
})

describe('every real kernel config gives the verdict its files imply (Istio 1.29, every mode × backend)', () => {
  it.each([
    // name, sidecar/iptables, sidecar/nftables, ambient/iptables, ambient/nftables
    ['almalinux-10-x86_64', R, R, R, R],
    ['android-pixel-3a-aarch64', R, N, N, N],
    ['debian-10-buster-x86_64', R, N, R, N],
    ['debian-13-trixie-x86_64', R, R, R, R],
    ['fedora-42-x86_64', R, R, R, R],
    ['rhel-8.0-x86_64', R, N, R, N],
    ['ubuntu-20.04-focal-x86_64', R, N, R, N],
  ])('%s', async (name, sidecarIpt, sidecarNft, ambientIpt, ambientNft) => {
    const {group, result} = await judgeOffline({kind: 'kernel-config', file: config(name)})
    expect(readiness(group.matrix)).toEqual({
      'sidecar/iptables': sidecarIpt,
      'sidecar/nftables': sidecarNft,
      'ambient/iptables': ambientIpt,
      'ambient/nftables': ambientNft,
    })
    expect(result.findings.filter((f) => f.severity === 'warn').map((f) => f.message)).toEqual([])
  })
})

describe("ambient DNS capture follows the judged release's default (on from Istio 1.25)", () => {
  it.each([
    ['1.24', false],
    ['1.25', true],
  ] as const)('Istio %s: ambient DNS capture %s, so Android (NF_CONNTRACK_ZONES not set) misses zones only when it is on', async (version, on) => {
    const {result} = await judgeOffline({kind: 'kernel-config', file: config('android-pixel-3a-aarch64')}, {istioVersion: version})
    expect((result.data?.nodes as {setup: NodesSetup} | undefined)?.setup.dnsCapture).toEqual({sidecar: false, ambient: on})
    const ambient = result.findings.find((f) => f.checkId === 'node.iptables-backend' && f.mode === 'ambient')!
    expect((ambient.evidence?.missing as string[] | undefined)?.includes('NF_CONNTRACK_ZONES')).toBe(on)
  })
})

describe('the Debian 12 tree (modules.order + modules.builtin + config, no modules.dep)', () => {
  it('passes every backend and reports the merged modules as merged, never missing', async () => {
    const {group, result} = await judgeOffline({kind: 'host-root', dir: DEBIAN_12_TREE})
    expect(readiness(group.matrix)).toEqual({'sidecar/iptables': R, 'sidecar/nftables': R, 'ambient/iptables': R, 'ambient/nftables': R})
    expect(statusOf(group, 'nf_conntrack_ipv4')).toBe('merged into nf_conntrack')
    expect(statusOf(group, 'nf_nat_ipv4')).toBe('merged into nf_nat')
    expect(statusOf(group, 'nf_nat_redirect')).toBe('merged into nf_nat')
    expect(statusOf(group, 'nft_counter')).toBe('merged into nf_tables')
    expect(statusOf(group, 'nft_chain_route_ipv4')).toBe('merged into nf_tables')
    expect(statusOf(group, 'nf_tables')).toBe('loadable')
    expect(statusOf(group, 'xt_REDIRECT')).toBe('loadable')
    expect(statusOf(group, 'br_netfilter')).toBeUndefined() // not used by Istio's rules: not judged
    // The legacy tables are loadable, but an image cannot show they are loaded at run time: unknown, never missing.
    expect(statusOf(group, 'iptable_nat')).toBe('loadable')
    expect(group.evidence.filter((e) => e.status === 'missing')).toEqual([])
    expect(
      group.evidence
        .filter((e) => e.satisfied === null)
        .map((e) => e.requirement)
        .every((r) => /^ip6?_?tables?|^ip6?table_/.test(r)),
    ).toBe(true)
    expect(result.findings.filter((f) => f.severity === 'warn' || f.severity === 'fail')).toEqual([])
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
    ['rhel-8.0-x86_64', 'nft_chain_route_ipv4', 'config=m'],
    ['rhel-8.0-x86_64', 'nft_counter', 'config=m'],
    ['debian-10-buster-x86_64', 'nf_conntrack_ipv4', 'merged into nf_conntrack'],
    ['debian-10-buster-x86_64', 'nf_nat_ipv4', 'config=m'],
    ['ubuntu-20.04-focal-x86_64', 'nft_chain_route_ipv4', 'merged into nf_tables'],
    ['almalinux-10-x86_64', 'nft_counter', 'merged into nf_tables'],
    ['almalinux-10-x86_64', 'ip_tables', 'config=m'],
    ['fedora-42-x86_64', 'ip_tables', 'config=m'],
    ['android-pixel-3a-aarch64', 'ip_set', 'missing'],
    ['android-pixel-3a-aarch64', 'CONFIG_NF_CONNTRACK_ZONES', 'missing'],
    ['android-pixel-3a-aarch64', 'iptable_nat', 'config=y'],
    ['android-pixel-3a-aarch64', 'iptable_filter', 'config=y'],
    ['android-pixel-3a-aarch64', 'CONFIG_NF_CONNTRACK_MARK', 'config=y'],
  ])('%s: %s is %s', async (name, requirement, status) => {
    const {group} = await judgeOffline({kind: 'kernel-config', file: config(name)})
    expect(statusOf(group, requirement)).toBe(status)
  })

  it.each(['br_netfilter', 'bridge', 'nft_socket'])('%s is not judged at all: no Istio rule uses it', async (requirement) => {
    const {group} = await judgeOffline({kind: 'kernel-config', file: config('rhel-8.0-x86_64')})
    expect(statusOf(group, requirement)).toBeUndefined()
  })

  it('RHEL 8.0 on nftables fails on the kernel floor alone; its unset NFT_SOCKET is not even mentioned', async () => {
    const {result} = await judgeOffline({kind: 'kernel-config', file: config('rhel-8.0-x86_64')}, {modes: ['sidecar'], backends: ['nftables']})
    const finding = result.findings.find((f) => f.checkId === 'node.nftables-backend')!
    expect(finding.severity).toBe('fail')
    expect([finding.mode, finding.backend]).toEqual(['sidecar', 'nftables'])
    expect(finding.evidence?.missing).toEqual(['kernel'])
    expect(finding.message).not.toContain('nft_socket')
    expect(finding.remediation?.text).toContain('5.13')
  })

  it('RHEL 8.0 with TPROXY interception also misses nft_tproxy', async () => {
    const {result} = await judgeOffline(
      {kind: 'kernel-config', file: config('rhel-8.0-x86_64')},
      {modes: ['sidecar'], backends: ['nftables'], interception: 'tproxy'},
    )
    expect(result.findings.find((f) => f.checkId === 'node.nftables-backend')?.evidence?.missing).toEqual(['nft_tproxy', 'kernel'])
  })

  it('Android runs sidecars through iptables-legacy, and fails ambient on ipset, xt_set, conntrack zones and the IPv6 nat table', async () => {
    const {group, result} = await judgeOffline({kind: 'kernel-config', file: config('android-pixel-3a-aarch64')}, {backends: ['iptables']})
    expect(group.matrix['sidecar/iptables']?.path).toBe('legacy')
    const ambient = result.findings.find((f) => f.checkId === 'node.iptables-backend' && f.mode === 'ambient')!
    expect(ambient.severity).toBe('fail')
    expect(ambient.evidence?.missing).toEqual(
      expect.arrayContaining(['xt_set', 'ip_set', 'ip_set_hash_ip', 'NF_CONNTRACK_ZONES', 'ip6table_nat', 'nf_nat_ipv6']),
    )
  })

  it.each([
    ['--dns-capture needs conntrack zones, which Android lacks', {dnsCapture: true}, 'NF_CONNTRACK_ZONES'],
    ['dual-stack needs the IPv6 nat table, which Android lacks', {ipFamilies: 'dual' as const}, 'ip6table_nat'],
  ])('%s', async (_name, overrides, missing) => {
    const {group, result} = await judgeOffline(
      {kind: 'kernel-config', file: config('android-pixel-3a-aarch64')},
      {modes: ['sidecar'], backends: ['iptables'], ...overrides},
    )
    expect(group.matrix['sidecar/iptables']?.readiness).toBe('not-ready')
    expect(result.findings.find((f) => f.checkId === 'node.iptables-backend')?.evidence?.missing).toContain(missing)
  })
})

const moduleLessKernel = existsSync('/proc/config.gz') && !existsSync('/proc/modules')

describe('this machine through --local (Linux without module support, every netfilter option built in)', () => {
  it.skipIf(!moduleLessKernel)(
    'is ready on every backend, judged from /proc/config.gz (skipped: this kernel has module support or no /proc/config.gz)',
    async () => {
      const {group, result} = await judgeOffline({kind: 'local'})
      expect(readiness(group.matrix)).toEqual({'sidecar/iptables': R, 'sidecar/nftables': R, 'ambient/iptables': R, 'ambient/nftables': R})
      expect(statusOf(group, 'nf_tables')).toBe('config=y')
      expect(result.findings.filter((f) => f.severity !== 'pass')).toEqual([])
    },
  )
})
