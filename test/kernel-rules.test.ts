/**
 * The evaluation rules on small synthetic evidence: what each source of evidence (or its absence) allows the plugin
 * to claim. Kernel data itself is never hand-written here: real kernels are in kernel-fixtures.test.ts.
 */
import {describe, expect, it} from 'vitest'
import {requirementEvidence} from '../src/checks/node/_lib/evidence.js'
import {conditionHolds, judgeIptables, judgeRequirements, readinessOf} from '../src/checks/node/_lib/scenarios.js'
import type {ConfigValue, KernelEvidence, ModuleFlags} from '../src/gather/probe/parse-probe.js'
import type {KernelRequirement, Scenario} from '../src/knowledge/kernel-modules.js'
import {KERNEL_REQUIREMENTS} from '../src/knowledge/kernel-modules.js'

const row = (name: string): KernelRequirement => KERNEL_REQUIREMENTS.find((r) => r.name === name)!
const flags = (f: Partial<ModuleFlags>): ModuleFlags => ({loaded: false, builtin: false, loadable: false, bootLoad: false, ...f})

function evidence(e: {release?: string; config?: Record<string, ConfigValue>; modules?: Record<string, Partial<ModuleFlags>>; lists?: boolean; live?: boolean; proc?: boolean; legacy?: string[]}): KernelEvidence {
  return {
    release: e.release ?? '6.1.0',
    releaseSource: 'tree',
    config: e.config,
    live: e.live ?? false,
    procModules: e.proc ?? false,
    builtinList: e.lists ?? false,
    loadableList: e.lists ? 'modules.order' : undefined,
    bootConfig: false,
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
    ['config =m but not in complete lists: the file is not installed', 'xt_owner', evidence({config: {NETFILTER_XT_MATCH_OWNER: 'm'}, lists: true}), 'missing', false],
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
    ['backported merge on 4.18: symbol gone, nf_conntrack present', evidence({release: '4.18.0-240.1.1.el8_3.x86_64', config: {NF_CONNTRACK: 'm'}}), 'merged', true],
    ['4.18 with the symbol still built: a real module', evidence({release: '4.18.0-147.el8.x86_64', config: {NF_CONNTRACK: 'm', NF_CONNTRACK_IPV4: 'm'}}), 'config=m', true],
    ['symbol present but not set: missing, not merged', evidence({release: '4.18.0', config: {NF_CONNTRACK: 'm', NF_CONNTRACK_IPV4: 'n'}}), 'missing', false],
    ['a new release whose config still has the symbol is believed', evidence({release: '6.1.0', config: {NF_CONNTRACK: 'm', NF_CONNTRACK_IPV4: 'm'}}), 'config=m', true],
    ['gone from complete lists while nf_conntrack is listed', evidence({lists: true, modules: {nf_conntrack: {loadable: true}}}), 'merged', true],
    ['merged into a module that is itself missing', evidence({config: {NF_CONNTRACK: 'n'}}), 'missing', false],
    ['merged, but nothing tells whether nf_conntrack exists', evidence({lists: false, proc: true, live: true}), 'unknown', undefined],
  ])('%s', (_name, ev, status, satisfied) => {
    const e = requirementEvidence(row('nf_conntrack_ipv4'), ev)
    expect([e.status, e.satisfied]).toEqual([status, satisfied])
  })

  it('nf_nat_redirect built as a bool into nf_nat (config =y, absent from complete lists) is merged, not built in', () => {
    const e = requirementEvidence(row('nf_nat_redirect'), evidence({lists: true, config: {NF_NAT: 'm', NF_NAT_REDIRECT: 'y'}, modules: {nf_nat: {loadable: true}}}))
    expect(e.status).toBe('merged')
  })
})

describe('the 6.17 legacy-tables gate', () => {
  it.each([
    ['gate set: legacy tables built', '6.17.5', {NETFILTER_XTABLES_LEGACY: 'y', IP_NF_NAT: 'm'}, true],
    ['gate not set: legacy tables gone even though IP_NF_NAT=m', '6.17.5', {NETFILTER_XTABLES_LEGACY: 'n', IP_NF_NAT: 'm'}, false],
    ['gate hidden on 6.17+: gone', '6.18.1', {IP_NF_NAT: 'm'}, false],
    ['before 6.17 there is no gate', '6.12.0', {IP_NF_NAT: 'm'}, true],
  ] as const)('%s', (_name, release, config, satisfied) => {
    expect(requirementEvidence(row('iptable_nat'), evidence({release, config})).satisfied).toBe(satisfied)
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

describe('modules nothing autoloads (br_netfilter)', () => {
  it.each([
    ['loaded on a live node', evidence({live: true, proc: true, modules: {br_netfilter: {loaded: true}}}), true],
    ['loadable but not loaded on a live node', evidence({live: true, proc: true, lists: true, modules: {br_netfilter: {loadable: true}}}), false],
    ['listed in modules-load.d of an image', evidence({lists: true, modules: {br_netfilter: {loadable: true, bootLoad: true}}}), true],
    ['loadable in an image, not in modules-load.d', evidence({lists: true, modules: {br_netfilter: {loadable: true}}}), false],
    ['built in', evidence({lists: true, modules: {br_netfilter: {builtin: true}}}), true],
  ])('%s', (_name, ev, satisfied) => {
    expect(requirementEvidence(row('br_netfilter'), ev).satisfied).toBe(satisfied)
  })
})

describe('when a requirement applies', () => {
  const s = (over: Partial<Scenario>): Scenario => ({mode: 'sidecar', backend: 'iptables', path: 'nft', ipv6: false, dnsCapture: false, interception: 'redirect', istioVersion: '1.29', ...over})
  const applies = (name: string, sc: Scenario) => row(name).when.some((c) => conditionHolds(c, sc))
  const severity = (name: string, sc: Scenario) => {
    const c = row(name).when.find((x) => conditionHolds(x, sc))
    return c ? (c.severity ?? row(name).severity) : undefined
  }
  it.each([
    ['xt_CT only with DNS capture', 'xt_CT', s({}), false],
    ['xt_CT with DNS capture', 'xt_CT', s({dnsCapture: true}), true],
    ['xt_set for ambient on iptables', 'xt_set', s({mode: 'ambient'}), true],
    ['xt_set not for sidecars', 'xt_set', s({}), false],
    ['xt_TPROXY for sidecar TPROXY', 'xt_TPROXY', s({interception: 'tproxy'}), true],
    ['xt_TPROXY for ambient before 1.24', 'xt_TPROXY', s({mode: 'ambient', istioVersion: '1.23'}), true],
    ['xt_TPROXY not for ambient from 1.24', 'xt_TPROXY', s({mode: 'ambient', istioVersion: '1.24'}), false],
    ['interception never matches ambient', 'nft_tproxy', s({mode: 'ambient', backend: 'nftables', path: undefined, interception: 'tproxy'}), false],
    ['nft_compat only on the iptables-nft path', 'nft_compat', s({path: 'legacy'}), false],
    ['ip_tables only on the legacy path', 'ip_tables', s({path: 'legacy'}), true],
    ['nf_conntrack_ipv6 only with IPv6', 'nf_conntrack_ipv6', s({}), false],
    ['IP_MULTIPLE_TABLES for ambient on nftables', 'IP_MULTIPLE_TABLES', s({mode: 'ambient', backend: 'nftables', path: undefined}), true],
  ])('%s', (_name, name, sc, expected) => {
    expect(applies(name, sc)).toBe(expected)
  })

  it.each([
    ['nft_socket is a warning: the docs list it, the rules do not use it', 'nft_socket', s({backend: 'nftables', path: undefined}), 'warn'],
    ['xt_conntrack is required for TPROXY', 'xt_conntrack', s({interception: 'tproxy'}), 'fail'],
    ['xt_conntrack is only a warning for REDIRECT', 'xt_conntrack', s({}), 'warn'],
    ['ip6table_nat warns for IPv4-only ambient (chart default ipv6=true)', 'ip6table_nat', s({mode: 'ambient', path: 'legacy'}), 'warn'],
    ['ip6table_nat is required with IPv6', 'ip6table_nat', s({path: 'legacy', ipv6: true}), 'fail'],
  ])('%s', (_name, name, sc, expected) => {
    expect(severity(name, sc)).toBe(expected)
  })

  it('every row says why it is needed and where the knowledge comes from', () => {
    for (const r of KERNEL_REQUIREMENTS) {
      expect(r.purpose.length, r.name).toBeGreaterThan(5)
      expect(r.source, r.name).toMatch(/istio\.io|reference|istio\/istio/)
      expect(r.when.length, r.name).toBeGreaterThan(0)
    }
  })
})

describe('readiness from judged rows', () => {
  const ev = evidence({config: {}})
  const items = judgeRequirements(ev, {mode: 'sidecar', backend: 'nftables', ipv6: false, dnsCapture: false, interception: 'redirect', istioVersion: '1.29'})
  it('a readable config without the symbols is not ready', () => {
    expect(readinessOf(items)).toBe('not-ready')
  })
  it('unknown on a warning-level row never blocks', () => {
    const unknownWarn = items.map((i) => ({...i, outcome: i.severity === 'warn' ? ('unknown' as const) : ('ok' as const)}))
    expect(readinessOf(unknownWarn)).toBe('ready')
  })
  it('unknown on a required row makes the set-up unknown', () => {
    const unknownFail = items.map((i) => ({...i, outcome: i.severity === 'fail' ? ('unknown' as const) : ('ok' as const)}))
    expect(readinessOf(unknownFail)).toBe('unknown')
  })
})
