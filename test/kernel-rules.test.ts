/**
 * The evaluation rules on small synthetic evidence: what each source of evidence (or its absence) allows the plugin
 * to claim. Kernel data itself is never hand-written here: real kernels are in kernel-fixtures.test.ts.
 */
import {describe, expect, it} from 'vitest'
import {scenarioFor} from '../src/derive/kernel/describe.js'
import {requirementEvidence} from '../src/derive/kernel/evidence.js'
import {conditionHolds, judgeIptables, judgeRequirements, judgeScenario, readinessOf} from '../src/derive/kernel/scenarios.js'
import type {NodesSetup} from '../src/gather/nodes.js'
import type {ConfigValue, KernelEvidence, ModuleFlags} from '../src/gather/probe/parse-probe.js'
import {dnsCaptureDefault, ISTIO_BEHAVIOURS} from '../src/knowledge/istio-interception.js'
import {ISTIO_RELEASES} from '../src/knowledge/istio-releases.js'
import {KERNEL_HISTORY} from '../src/knowledge/kernel-history.js'
import type {KernelRequirement, Scenario} from '../src/knowledge/kernel-modules.js'
import {BACKENDS, INTERCEPTIONS, KERNEL_REQUIREMENTS, MODES} from '../src/knowledge/kernel-modules.js'

const row = (name: string): KernelRequirement => KERNEL_REQUIREMENTS.find((r) => r.name === name)!
const flags = (f: Partial<ModuleFlags>): ModuleFlags => ({loaded: false, builtin: false, loadable: false, bootLoad: false, ...f})

function evidence(e: {
  release?: string
  config?: Record<string, ConfigValue>
  modules?: Record<string, Partial<ModuleFlags>>
  lists?: boolean
  live?: boolean
  proc?: boolean
  legacy?: string[]
  boot?: boolean
}): KernelEvidence {
  return {
    release: e.release ?? '6.1.0',
    releaseSource: 'tree',
    config: e.config,
    live: e.live ?? false,
    procModules: e.proc ?? false,
    builtinList: e.lists ?? false,
    loadableList: e.lists ? 'modules.order' : undefined,
    bootConfig: e.boot ?? false,
    modules: Object.fromEntries(Object.entries(e.modules ?? {}).map(([k, v]) => [k, flags(v)])),
    selinux: 'unknown',
    legacyTables: e.legacy ? {ipv4: e.legacy} : undefined,
  }
}

describe('module evidence', () => {
  it.each([
    ['loaded wins over everything', 'xt_owner', evidence({modules: {xt_owner: {loaded: true, loadable: true}}}), 'loaded', true],
    ['modules.builtin', 'xt_owner', evidence({modules: {xt_owner: {builtin: true}}, lists: true}), 'builtin', true],
    ['listed as loadable', 'xt_owner', evidence({modules: {xt_owner: {loadable: true}}, lists: true}), 'loadable', true],
    ['config =y without lists', 'xt_owner', evidence({config: {NETFILTER_XT_MATCH_OWNER: 'y'}}), 'config=y', true],
    ['config =m without lists', 'xt_owner', evidence({config: {NETFILTER_XT_MATCH_OWNER: 'm'}}), 'config=m', true],
    ['alias symbol decides when the first is absent', 'xt_REDIRECT', evidence({config: {IP_NF_TARGET_REDIRECT: 'm'}}), 'config=m', true],
    [
      'config =m but not in complete lists: the file is not installed',
      'xt_owner',
      evidence({config: {NETFILTER_XT_MATCH_OWNER: 'm'}, lists: true}),
      'missing',
      false,
    ],
    ['"is not set" is missing', 'xt_owner', evidence({config: {NETFILTER_XT_MATCH_OWNER: 'n'}}), 'missing', false],
    ['absent from a readable config is missing', 'xt_owner', evidence({config: {}}), 'missing', false],
    ['in neither complete list is missing', 'xt_owner', evidence({lists: true}), 'missing', false],
    ['nothing readable is unknown, never missing', 'xt_owner', evidence({}), 'unknown', undefined],
    ['only /proc/modules and not loaded is unknown', 'xt_owner', evidence({proc: true, live: true}), 'unknown', undefined],
    ['older module name counts', 'nft_chain_nat', evidence({modules: {nft_chain_nat_ipv4: {loadable: true}}, lists: true}), 'loadable', true],
  ])('%s', (_name, name, ev, status, satisfied) => {
    const e = requirementEvidence(row(name), ev)
    expect([e.status, e.satisfied]).toEqual([status, satisfied])
  })
})

describe('merged modules are judged by evidence, never by the version alone', () => {
  it.each([
    // RHEL 8.3 style: a 4.18 release whose config no longer has NF_CONNTRACK_IPV4 (backport)
    [
      'backported merge on 4.18: symbol gone, nf_conntrack present',
      evidence({release: '4.18.0-240.1.1.el8_3.x86_64', config: {NF_CONNTRACK: 'm'}}),
      'merged',
      true,
    ],
    [
      '4.18 with the symbol still built: a real module',
      evidence({release: '4.18.0-147.el8.x86_64', config: {NF_CONNTRACK: 'm', NF_CONNTRACK_IPV4: 'm'}}),
      'config=m',
      true,
    ],
    ['symbol present but not set: missing, not merged', evidence({release: '4.18.0', config: {NF_CONNTRACK: 'm', NF_CONNTRACK_IPV4: 'n'}}), 'missing', false],
    [
      'a new release whose config still has the symbol is believed',
      evidence({release: '6.1.0', config: {NF_CONNTRACK: 'm', NF_CONNTRACK_IPV4: 'm'}}),
      'config=m',
      true,
    ],
    ['gone from complete lists while nf_conntrack is listed', evidence({lists: true, modules: {nf_conntrack: {loadable: true}}}), 'merged', true],
    ['merged into a module that is itself missing', evidence({config: {NF_CONNTRACK: 'n'}}), 'missing', false],
    ['merged, but nothing tells whether nf_conntrack exists', evidence({lists: false, proc: true, live: true}), 'unknown', undefined],
  ])('%s', (_name, ev, status, satisfied) => {
    const e = requirementEvidence(row('nf_conntrack_ipv4'), ev)
    expect([e.status, e.satisfied]).toEqual([status, satisfied])
  })

  it('nf_nat_redirect built as a bool into nf_nat (config =y, absent from complete lists) is merged, not built in', () => {
    const e = requirementEvidence(
      row('nf_nat_redirect'),
      evidence({lists: true, config: {NF_NAT: 'm', NF_NAT_REDIRECT: 'y'}, modules: {nf_nat: {loadable: true}}}),
    )
    expect(e.status).toBe('merged')
  })
})

describe('the 6.17 legacy-tables gate', () => {
  // A config alone cannot show whether a legacy table is loaded at run time: built, it is config=m (and unknown).
  it.each([
    ['gate set: legacy tables built', '6.17.5', {NETFILTER_XTABLES_LEGACY: 'y', IP_NF_NAT: 'm'}, 'config=m'],
    ['gate not set: legacy tables gone even though IP_NF_NAT=m', '6.17.5', {NETFILTER_XTABLES_LEGACY: 'n', IP_NF_NAT: 'm'}, 'missing'],
    ['gate hidden on 6.17+: gone', '6.18.1', {IP_NF_NAT: 'm'}, 'missing'],
    ['before 6.17 there is no gate', '6.12.0', {IP_NF_NAT: 'm'}, 'config=m'],
    ['built in with the gate set', '6.17.5', {NETFILTER_XTABLES_LEGACY: 'y', IP_NF_NAT: 'y'}, 'config=y'],
  ] as const)('%s', (_name, release, config, status) => {
    expect(requirementEvidence(row('iptable_nat'), evidence({release, config})).status).toBe(status)
  })

  it('a kernel without legacy tables still runs the iptables backend through iptables-nft', () => {
    const config: Record<string, ConfigValue> = {}
    for (const r of KERNEL_REQUIREMENTS) for (const s of r.config) config[s] = 'm'
    config.NETFILTER_XTABLES_LEGACY = 'n'
    const base: Scenario = {mode: 'sidecar', backend: 'iptables', ipv6: false, dnsCapture: false, interception: 'redirect', istioVersion: '1.29'}
    const judged = judgeIptables(evidence({release: '6.18.0', config}), base)
    expect(judged.chosen).toBe('nft')
    expect(judged.paths.legacy.readiness).toBe('not-ready')
    expect(judged.paths.nft.readiness).not.toBe('not-ready')
  })

  it('registered legacy tables on the host make Istio pick iptables-legacy, even when it is worse', () => {
    const base: Scenario = {mode: 'sidecar', backend: 'iptables', ipv6: false, dnsCapture: false, interception: 'redirect', istioVersion: '1.29'}
    const judged = judgeIptables(evidence({release: '6.18.0', config: {NETFILTER_XTABLES_LEGACY: 'n', IP_NF_NAT: 'm'}, legacy: ['nat', 'filter']}), base)
    expect(judged.chosen).toBe('legacy')
    expect(judged.why).toContain('nat, filter')
  })
})

describe("legacy tables: Istio's pods cannot load them (istio/istio#57380, awslabs/amazon-eks-ami#2354)", () => {
  it.each([
    [
      'loaded on a live node',
      evidence({live: true, proc: true, lists: true, modules: {iptable_nat: {loaded: true, loadable: true}}}),
      'loaded',
      true,
      /loaded/,
    ],
    [
      'loadable but not loaded on a live node: its own state, not-loaded',
      evidence({live: true, proc: true, lists: true, modules: {iptable_nat: {loadable: true}}}),
      'not-loaded',
      false,
      /but not loaded \(\/proc\/modules\), and Istio's pods cannot load it$/,
    ],
    [
      'listed in modules-load.d but not loaded now on a live node',
      evidence({live: true, proc: true, lists: true, boot: true, modules: {iptable_nat: {loadable: true, bootLoad: true}}}),
      'not-loaded',
      false,
      /modules-load\.d lists it, yet it is not loaded now/,
    ],
    ['built in', evidence({lists: true, modules: {iptable_nat: {builtin: true}}}), 'builtin', true, /built in/],
    ['=y in a config', evidence({config: {IP_NF_NAT: 'y'}}), 'config=y', true, /CONFIG_IP_NF_NAT=y/],
    [
      'listed in modules-load.d of an image',
      evidence({lists: true, boot: true, modules: {iptable_nat: {loadable: true, bootLoad: true}}}),
      'loadable',
      true,
      /loaded at boot \(modules-load\.d\)/,
    ],
    [
      'loadable in an image whose modules-load.d does not list it: decided on the running node',
      evidence({lists: true, boot: true, modules: {iptable_nat: {loadable: true}}}),
      'loadable',
      undefined,
      /modules-load\.d does not list it, so whether it is loaded is decided on the running node/,
    ],
    [
      'a config alone: no modules-load.d was read, and the message says so',
      evidence({config: {IP_NF_NAT: 'm'}}),
      'config=m',
      undefined,
      /no modules-load\.d was read/,
    ],
  ])('%s', (_name, ev, status, satisfied, detail) => {
    const e = requirementEvidence(row('iptable_nat'), ev)
    expect([e.status, e.satisfied]).toEqual([status, satisfied])
    expect(e.detail).toMatch(detail)
  })

  it('never claims modules-load.d was read when only a config file was', () => {
    for (const r of KERNEL_REQUIREMENTS.filter((x) => x.kind === 'module')) {
      const config = Object.fromEntries(r.config.map((c) => [c, 'm' as const]))
      expect(requirementEvidence(r, evidence({config})).detail, r.name).not.toMatch(/not listed in modules-load\.d|modules-load\.d does not list/)
    }
  })

  it('xt_* extensions are autoloaded by the kernel: loadable is enough on a live node', () => {
    expect(requirementEvidence(row('xt_REDIRECT'), evidence({live: true, proc: true, lists: true, modules: {xt_REDIRECT: {loadable: true}}})).satisfied).toBe(
      true,
    )
  })
})

/** Every scenario the plugin can judge, for one Istio release. */
function allScenarios(istioVersion: string): Scenario[] {
  return MODES.flatMap((mode) =>
    BACKENDS.flatMap((backend) =>
      (backend === 'iptables' ? (['nft', 'legacy'] as const) : [undefined]).flatMap((path) =>
        INTERCEPTIONS.flatMap((interception) =>
          [false, true].flatMap((dnsCapture) => [false, true].map((ipv6): Scenario => ({mode, backend, path, interception, dnsCapture, ipv6, istioVersion}))),
        ),
      ),
    ),
  )
}

describe('when a requirement applies: exactly what Istio writes', () => {
  const s = (over: Partial<Scenario>): Scenario => ({
    mode: 'sidecar',
    backend: 'iptables',
    path: 'nft',
    ipv6: false,
    dnsCapture: false,
    interception: 'redirect',
    istioVersion: '1.29',
    ...over,
  })
  const nft = (over: Partial<Scenario>) => s({backend: 'nftables', path: undefined, ...over})
  const applies = (name: string, sc: Scenario) => row(name).when.some((c) => conditionHolds(c, sc))
  it.each([
    // Sidecar iptables goldens (tools/istio-iptables/pkg/capture/testdata): REDIRECT uses nat only.
    ['xt_CT only with DNS capture', 'xt_CT', s({}), false],
    ['xt_CT with DNS capture (raw CT --zone)', 'xt_CT', s({dnsCapture: true}), true],
    ['xt_multiport for sidecar DNS capture (! --dports 53,15008)', 'xt_multiport', s({dnsCapture: true}), true],
    ['xt_multiport not for sidecar REDIRECT without DNS capture', 'xt_multiport', s({}), false],
    ['xt_multiport never for ambient (cni/pkg/iptables writes no multiport)', 'xt_multiport', s({mode: 'ambient', dnsCapture: true}), false],
    ['xt_conntrack not for sidecar REDIRECT', 'xt_conntrack', s({}), false],
    ['xt_conntrack for sidecar TPROXY (tproxy.golden --ctstate)', 'xt_conntrack', s({interception: 'tproxy'}), true],
    ['xt_conntrack for ambient before 1.24 (TPROXY era)', 'xt_conntrack', s({mode: 'ambient', istioVersion: '1.23'}), true],
    ['xt_conntrack not for ambient from 1.24', 'xt_conntrack', s({mode: 'ambient', istioVersion: '1.24'}), false],
    ['xt_set for ambient on iptables', 'xt_set', s({mode: 'ambient'}), true],
    ['xt_set not for sidecars', 'xt_set', s({}), false],
    ['ip_set not for ambient on nftables (nft sets instead)', 'ip_set', nft({mode: 'ambient'}), false],
    ['xt_TPROXY for sidecar TPROXY', 'xt_TPROXY', s({interception: 'tproxy'}), true],
    ['xt_TPROXY for ambient before 1.24', 'xt_TPROXY', s({mode: 'ambient', istioVersion: '1.23'}), true],
    ['xt_TPROXY not for ambient from 1.24', 'xt_TPROXY', s({mode: 'ambient', istioVersion: '1.24'}), false],
    ['xt_mark not for sidecar REDIRECT', 'xt_mark', s({}), false],
    ['interception never matches ambient', 'nft_tproxy', nft({mode: 'ambient', interception: 'tproxy'}), false],
    ['nft_compat only on the iptables-nft path', 'nft_compat', s({path: 'legacy'}), false],
    ['ip_tables only on the legacy path', 'ip_tables', s({path: 'legacy'}), true],
    ['nf_conntrack_ipv6 only with IPv6', 'nf_conntrack_ipv6', s({}), false],
    ['IP_MULTIPLE_TABLES for ambient on nftables', 'IP_MULTIPLE_TABLES', nft({mode: 'ambient'}), true],
    // nft_ct: only where a ct expression is written (tools/istio-nftables and cni/pkg/nftables goldens).
    ['nft_ct not for sidecar REDIRECT on nftables (inbound-ports-wildcard.golden has no ct)', 'nft_ct', nft({}), false],
    ['nft_ct for sidecar DNS capture (dns-uid-gid.golden: ct zone set)', 'nft_ct', nft({dnsCapture: true}), true],
    ['nft_ct for sidecar TPROXY (tproxy.golden: ct state, ct mark)', 'nft_ct', nft({interception: 'tproxy'}), true],
    ['nft_ct for ambient (default.golden: ct mark set)', 'nft_ct', nft({mode: 'ambient', dnsCapture: false}), true],
    // NF_CONNTRACK_MARK where CONNMARK / ct mark is written.
    ['NF_CONNTRACK_MARK for ambient on iptables (CONNMARK)', 'NF_CONNTRACK_MARK', s({mode: 'ambient'}), true],
    ['NF_CONNTRACK_MARK for ambient on nftables (ct mark)', 'NF_CONNTRACK_MARK', nft({mode: 'ambient'}), true],
    ['NF_CONNTRACK_MARK for sidecar TPROXY (CONNMARK --save-mark)', 'NF_CONNTRACK_MARK', s({interception: 'tproxy'}), true],
    ['NF_CONNTRACK_MARK not for sidecar REDIRECT', 'NF_CONNTRACK_MARK', s({}), false],
    // nft_counter: iptables-nft adds a counter to every rule; only ambient's native nft rules carry one.
    ['nft_counter on iptables-nft', 'nft_counter', s({}), true],
    ['nft_counter not on iptables-legacy', 'nft_counter', s({path: 'legacy'}), false],
    ['nft_counter not for sidecar native nft rules (no counter in its goldens)', 'nft_counter', nft({}), false],
    ['nft_counter for ambient native nft rules (counter on every rule)', 'nft_counter', nft({mode: 'ambient'}), true],
    ['nft_nat not for sidecar native nft rules (redirect only)', 'nft_nat', nft({}), false],
    ['nft_nat for the ambient host rule (snat to)', 'nft_nat', nft({mode: 'ambient'}), true],
    // Route chains: iptables-nft builds mangle OUTPUT as a route chain; ambient's nft mangle output is one.
    ['route chain for ambient on iptables-nft (mangle OUTPUT)', 'nft_chain_route_ipv4', s({mode: 'ambient'}), true],
    ['route chain for sidecar TPROXY on iptables-nft (mangle OUTPUT marks)', 'nft_chain_route_ipv4', s({interception: 'tproxy'}), true],
    ['no route chain for sidecar REDIRECT (nat only)', 'nft_chain_route_ipv4', s({}), false],
    ['no route chain on iptables-legacy', 'nft_chain_route_ipv4', s({path: 'legacy', mode: 'ambient'}), false],
    ['route chain for ambient on nftables (type route hook output)', 'nft_chain_route_ipv4', nft({mode: 'ambient'}), true],
    ['no route chain for sidecar TPROXY on nftables (its output chain is type filter)', 'nft_chain_route_ipv4', nft({interception: 'tproxy'}), false],
    ['IPv6 route chain only with IPv6 rules', 'nft_chain_route_ipv6', s({mode: 'ambient', ipv6: false}), false],
    // The filter table: detection test rule before 1.28, reconcile guardrails for ambient from 1.29.
    ['iptable_filter for Istio 1.27 on legacy (detection writes -t filter)', 'iptable_filter', s({path: 'legacy', istioVersion: '1.27'}), true],
    ['iptable_filter not for sidecars from 1.28 (detection writes -t nat)', 'iptable_filter', s({path: 'legacy', istioVersion: '1.28'}), false],
    ['iptable_filter not for ambient 1.28 (reconcile off by default)', 'iptable_filter', s({path: 'legacy', mode: 'ambient', istioVersion: '1.28'}), false],
    [
      'iptable_filter for ambient 1.29 (reconcile guardrails on by default)',
      'iptable_filter',
      s({path: 'legacy', mode: 'ambient', istioVersion: '1.29'}),
      true,
    ],
    ['iptable_filter never on iptables-nft', 'iptable_filter', s({istioVersion: '1.27'}), false],
    ['ip6table_filter for ambient 1.29 (guardrails on both families)', 'ip6table_filter', s({path: 'legacy', mode: 'ambient', istioVersion: '1.29'}), true],
    ['ip6table_filter not for IPv4 sidecars on 1.27', 'ip6table_filter', s({path: 'legacy', istioVersion: '1.27'}), false],
    ['ip6table_filter for IPv6 sidecars on 1.27 (IPv6 detection)', 'ip6table_filter', s({path: 'legacy', istioVersion: '1.27', ipv6: true}), true],
    ['NF_TABLES_IPV6 for IPv6 rules through ip6tables-nft', 'NF_TABLES_IPV6', s({ipv6: true}), true],
  ])('%s', (_name, name, sc, expected) => {
    expect(applies(name, sc)).toBe(expected)
  })

  it.each(['br_netfilter', 'bridge', 'nft_socket'])('%s is a note: no Istio rule uses it, so it applies to no scenario of any release', (name) => {
    expect(row(name).unused).toMatch(/no Istio/)
    for (const release of ISTIO_RELEASES) for (const sc of allScenarios(release.version)) expect(applies(name, sc), JSON.stringify(sc)).toBe(false)
  })

  it("rows Istio does not use never affect severity: a kernel missing only them is ready everywhere they don't apply", () => {
    const config: Record<string, ConfigValue> = {}
    for (const r of KERNEL_REQUIREMENTS) for (const c of r.config) config[c] = 'y'
    for (const c of ['BRIDGE', 'BRIDGE_NETFILTER', 'NFT_SOCKET']) config[c] = 'n'
    const ev = evidence({release: '6.12.0', config})
    for (const sc of allScenarios('1.30')) expect(judgeScenario(ev, sc).readiness, JSON.stringify(sc)).toBe('ready')
    // And the xtables matches Istio only uses in some set-ups do not matter in the others.
    const noCtMulti = evidence({release: '6.12.0', config: {...config, NETFILTER_XT_MATCH_CONNTRACK: 'n', NETFILTER_XT_MATCH_MULTIPORT: 'n'}})
    expect(judgeScenario(noCtMulti, s({})).readiness).toBe('ready')
    expect(judgeScenario(noCtMulti, s({mode: 'ambient', dnsCapture: true, ipv6: true})).readiness).toBe('ready')
    expect(
      judgeScenario(noCtMulti, s({interception: 'tproxy'}))
        .items.filter((i) => i.outcome === 'fail')
        .map((i) => i.requirement.name),
    ).toEqual(['xt_conntrack'])
  })

  it('every row says why it is needed and cites primary sources only (URLs, never notes outside the repository)', () => {
    const primary = (source: string) => source.split('; ').every((part) => /^https:\/\/\S+/.test(part))
    for (const r of KERNEL_REQUIREMENTS) {
      expect(r.purpose.length, r.name).toBeGreaterThan(5)
      expect(primary(r.source), `${r.name}: ${r.source}`).toBe(true)
      expect(r.when.length > 0 || r.unused !== undefined, r.name).toBe(true)
    }
    for (const [key, change] of Object.entries(KERNEL_HISTORY)) expect(primary(change.source), key).toBe(true)
    for (const [key, b] of Object.entries(ISTIO_BEHAVIOURS)) expect(primary(b.source), key).toBe(true)
  })

  it('every version range in a condition is a release boundary a behaviour row sources', () => {
    const boundaries = new Set<string>(Object.values(ISTIO_BEHAVIOURS).flatMap((b) => ('changedIn' in b ? [b.changedIn] : [])))
    for (const r of KERNEL_REQUIREMENTS)
      for (const c of r.when) for (const v of [c.istioBefore, c.istioFrom]) if (v) expect(boundaries.has(v), `${r.name} ${v}`).toBe(true)
  })
})

describe('version-aware Istio defaults', () => {
  const setup = (over: Partial<NodesSetup> = {}): NodesSetup => ({
    istioVersion: '1.30',
    modes: MODES,
    backends: BACKENDS,
    ipFamilies: 'ipv4',
    ipFamiliesSource: 'test',
    dnsCapture: {sidecar: false, ambient: true},
    interception: 'redirect',
    functional: false,
    ...over,
  })
  it.each([
    ['sidecar', '1.23', false],
    ['sidecar', '1.30', false],
    ['ambient', '1.24', false],
    ['ambient', '1.25', true],
    ['ambient', '1.30', true],
  ] as const)('%s DNS capture default in Istio %s is %s (1.25 change notes)', (mode, version, expected) => {
    expect(dnsCaptureDefault(mode, version)).toBe(expected)
  })

  it.each([
    ['ambient on an IPv4-only cluster writes IPv6 rules (cni.ambient.ipv6 defaults to true)', 'ambient', 'ipv4', true],
    ['sidecars on an IPv4-only cluster write none', 'sidecar', 'ipv4', false],
    ['sidecars on a dual-stack cluster write them', 'sidecar', 'dual', true],
  ] as const)('%s', (_name, mode, ipFamilies, ipv6) => {
    expect(scenarioFor(setup({ipFamilies}), mode, 'iptables').ipv6).toBe(ipv6)
  })

  it('so ambient on an IPv4-only cluster needs the IPv6 set, and fails without ip6table_nat or IPv6 policy routing', () => {
    const config: Record<string, ConfigValue> = {}
    for (const r of KERNEL_REQUIREMENTS) for (const c of r.config) config[c] = 'y'
    const ev = evidence({release: '6.12.0', config: {...config, IP6_NF_NAT: 'n', IPV6_MULTIPLE_TABLES: 'n'}})
    const ambient = scenarioFor(setup(), 'ambient', 'iptables')
    const missing = (sc: Scenario) =>
      judgeScenario(ev, sc)
        .items.filter((i) => i.outcome === 'fail')
        .map((i) => i.requirement.name)
    expect(missing({...ambient, path: 'legacy'})).toEqual(['ip6table_nat', 'IPV6_MULTIPLE_TABLES'])
    expect(missing({...ambient, path: 'nft'})).toEqual(['IPV6_MULTIPLE_TABLES'])
    expect(missing({...scenarioFor(setup(), 'sidecar', 'iptables'), path: 'legacy'})).toEqual([])
  })
})

describe("Istio's iptables backend selection by release (istio/istio#57380, fixed in 1.28 by #57385)", () => {
  const base = (istioVersion: string): Scenario => ({
    mode: 'sidecar',
    backend: 'iptables',
    ipv6: false,
    dnsCapture: false,
    interception: 'redirect',
    istioVersion,
  })
  const all = (): Record<string, ConfigValue> => Object.fromEntries(KERNEL_REQUIREMENTS.flatMap((r) => r.config.map((c) => [c, 'm' as const])))
  const loadable = Object.fromEntries(KERNEL_REQUIREMENTS.filter((r) => r.kind === 'module').map((r) => [r.name, {loadable: true}]))
  // The EKS AL2023 6.12 node of istio/istio#57380: iptable_filter loaded, iptable_nat only loadable, nft works.
  const eks = evidence({
    release: '6.12.0',
    live: true,
    proc: true,
    lists: true,
    config: all(),
    modules: {...loadable, ip_tables: {loaded: true, loadable: true}, iptable_filter: {loaded: true, loadable: true}},
  })
  it('before the fix, Istio takes iptables-legacy because its filter-table test passes, then fails on the nat table it cannot load', () => {
    const j = judgeIptables(eks, base('1.27'))
    expect(j.chosen).toBe('legacy')
    expect(j.why).toContain('istio/istio#57380')
    const chosen = j.paths.legacy
    expect(chosen.readiness).toBe('not-ready')
    const nat = chosen.items.find((i) => i.requirement.name === 'iptable_nat')!
    expect([nat.evidence.status, nat.outcome]).toEqual(['not-loaded', 'fail'])
  })
  it('from the fix on, the test rule goes to the nat table, legacy fails it and Istio uses iptables-nft', () => {
    const j = judgeIptables(eks, base('1.28'))
    expect(j.chosen).toBe('nft')
    expect(j.paths.nft.readiness).toBe('ready')
  })
  it('before the fix, a node without the legacy filter table loaded still ends on iptables-nft', () => {
    const j = judgeIptables(evidence({release: '6.12.0', live: true, proc: true, lists: true, config: all(), modules: loadable}), base('1.27'))
    expect(j.chosen).toBe('nft')
  })
  it('before the fix, an image cannot show whether the filter table will be loaded: the reason says so', () => {
    const j = judgeIptables(evidence({release: '6.12.0', config: all()}), base('1.27'))
    expect(j.chosen).toBe('nft')
    expect(j.why).toContain('if its filter table is loaded on the running node')
  })
  it.each([
    [
      'a running node that shows no registered legacy tables',
      evidence({release: '6.12.0', live: true, proc: true, lists: true, legacy: [], config: all(), modules: loadable}),
      /^no legacy tables in use, so Istio picks iptables-nft$/,
    ],
    ['files alone never claim that no legacy tables are in use', evidence({release: '6.12.0', config: all()}), /only a running node shows whether some do/],
  ])('%s', (_name, ev, why) => {
    expect(judgeIptables(ev, base('1.30')).why).toMatch(why)
  })
  it('the release boundary is the behaviour row, not a literal', () => {
    expect(ISTIO_BEHAVIOURS.iptablesProbeTable.changedIn).toBe('1.28')
  })
})

describe('readiness from judged rows', () => {
  const ev = evidence({config: {}})
  const items = judgeRequirements(ev, {mode: 'sidecar', backend: 'nftables', ipv6: false, dnsCapture: false, interception: 'redirect', istioVersion: '1.29'})
  it('a readable config without the symbols is not ready', () => {
    expect(readinessOf(items)).toBe('not-ready')
  })
  it('unknown on a required row makes the set-up unknown', () => {
    const unknownFail = items.map((i) => ({...i, outcome: i.severity === 'fail' ? ('unknown' as const) : ('ok' as const)}))
    expect(readinessOf(unknownFail)).toBe('unknown')
  })
  it('every judged row is required: no warn-level rows are left', () => {
    expect(items.every((i) => i.severity === 'fail')).toBe(true)
  })
})
