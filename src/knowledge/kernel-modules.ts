import type {KernelChange} from './kernel-history.js'
import {KERNEL_HISTORY, LEGACY_XTABLES_SYMBOL} from './kernel-history.js'
import {MODES} from './istio-modes.js'
import type {Mode} from './istio-modes.js'

/**
 * Every kernel requirement of Istio's traffic interception, as data, compared rule by rule with what Istio's own
 * rule builders write (tools/istio-iptables, tools/istio-nftables, cni/pkg/iptables, cni/pkg/nftables and their
 * golden files). Istio's platform-requirements page lists modules per backend; taken literally that list is wrong
 * on modern kernels (merged modules), lists modules no rule uses (`unused` rows: notes, never warnings) and misses
 * features the rules use (`istio-rules` rows).
 */

export {MODES}
export type {Mode}
export const BACKENDS = ['iptables', 'nftables'] as const
export type Backend = (typeof BACKENDS)[number]
/** The two ways Istio's iptables backend reaches the kernel; listed in Istio's preference when no legacy rules exist. */
export const IPTABLES_PATHS = ['nft', 'legacy'] as const
export type IptablesPath = (typeof IPTABLES_PATHS)[number]
export const INTERCEPTIONS = ['redirect', 'tproxy'] as const
export type Interception = (typeof INTERCEPTIONS)[number]

/** One Istio set-up to judge a kernel against. */
export interface Scenario {
  readonly mode: Mode
  readonly backend: Backend
  /** Only for the iptables backend: iptables-nft or iptables-legacy. */
  readonly path?: IptablesPath
  /**
   * Istio writes IPv6 rules: for sidecars when the cluster has IPv6 (ENABLE_INBOUND_IPV6); for ambient whenever
   * istio-cni's cni.ambient.ipv6 is on, which is its default even on IPv4-only clusters.
   */
  readonly ipv6: boolean
  readonly dnsCapture: boolean
  /** Sidecar interception mode; ambient (≥1.24) always redirects in the pod. */
  readonly interception: Interception
  /** The judged Istio minor release, e.g. 1.29. */
  readonly istioVersion: string
}

/** When a row applies: every field given must match. A row applies when any of its conditions matches. */
export interface Condition {
  readonly backend?: Backend
  readonly path?: IptablesPath
  readonly mode?: Mode
  readonly ipv6?: boolean
  readonly dnsCapture?: true
  /** Sidecar interception mode (never matches ambient). */
  readonly interception?: Interception
  /** Only for Istio releases before this minor (ambient used TPROXY until 1.24). */
  readonly istioBefore?: string
  /** Only for Istio releases from this minor on. */
  readonly istioFrom?: string
}

export interface KernelRequirement {
  /** Module name as /proc/modules spells it; a Kconfig symbol for features; "kernel" for the version floor. */
  readonly name: string
  readonly kind: 'module' | 'feature' | 'kernel'
  /** Kconfig symbols that build it, without CONFIG_: the first one present in a config decides (aliases after). */
  readonly config: readonly string[]
  /** Older module names that provide the same thing. */
  readonly alternatives?: readonly string[]
  /** The module no longer exists: what it was merged into, judged by evidence, never by version alone. */
  readonly mergedInto?: {readonly module: string; readonly change: KernelChange}
  /** A legacy-xtables table: gone on 6.17+ kernels built without CONFIG_NETFILTER_XTABLES_LEGACY. */
  readonly legacyGate?: true
  /**
   * Istio's pods cannot load it: it must already be loaded (or configured to load at boot). iptables-legacy loads
   * its tables with the modprobe of its own container, which has no host modules, and the kernel did not autoload
   * them for istio-init (awslabs/amazon-eks-ami#2354, istio/istio#57380).
   */
  readonly mustBeLoaded?: true
  /** Loaded only as a dependency of other modules; no Istio rule requests it by name (not an autoload candidate). */
  readonly dependency?: true
  /** For kind "kernel": the minimum release. */
  readonly minKernel?: KernelChange
  /** Empty for `unused` rows. */
  readonly when: readonly Condition[]
  readonly severity: 'fail'
  /** Why it is not needed in the set-ups its conditions leave out (shown in docs/nodes.md). */
  readonly note?: string
  /** Istio's docs list it but no Istio rule uses it: a note, never judged. */
  readonly unused?: string
  /** `istio-docs`: on Istio's platform-requirements list. `istio-rules`: used by Istio's rules, missing from that list. */
  readonly listedBy: 'istio-docs' | 'istio-rules'
  /** What Istio uses it for (required: a missing row must say why it matters). */
  readonly purpose: string
  /** Primary sources (Istio, kernel, iptables repositories and docs), separated by "; ". */
  readonly source: string
}

const DOCS = 'https://istio.io/latest/docs/ops/deployment/platform-requirements/'
const GH = 'https://github.com/istio/istio/blob/master'
const ISSUE = (n: number) => `https://github.com/istio/istio/issues/${n}`
/** Sidecar iptables rules and their goldens. */
const SIDECAR_IPT = `${GH}/tools/istio-iptables/pkg/capture/run.go`
const SIDECAR_IPT_GOLDEN = `${GH}/tools/istio-iptables/pkg/capture/testdata/`
/** Sidecar nftables rules: goldens (tproxy.golden, dns-uid-gid.golden, drop-invalid.golden). */
const SIDECAR_NFT_GOLDEN = `${GH}/tools/istio-nftables/pkg/capture/testdata/`
/** Ambient in-pod and host iptables rules (istio-cni node agent). */
const AMBIENT_IPT = `${GH}/cni/pkg/iptables/iptables.go`
const AMBIENT_NFT_GOLDEN = `${GH}/cni/pkg/nftables/testdata/default.golden`
const AMBIENT_NFT_HOST = `${GH}/cni/pkg/nftables/testdata/hostprobe.golden`
const AMBIENT_IPSET = `${GH}/cni/pkg/ipset/nldeps_linux.go`
const TPROXY_ROUTES = `${GH}/tools/common/tproxy/run_linux.go (ip rule fwmark 1337 lookup 133)`
const DETECT = `${GH}/tools/istio-iptables/pkg/dependencies/implementation_linux.go`
const NETFILTER_KCONFIG = 'https://github.com/torvalds/linux/blob/master/net/netfilter/Kconfig'
const NETFILTER_MAKEFILE = 'https://github.com/torvalds/linux/blob/master/net/netfilter/Makefile'
const IPV4_KCONFIG = 'https://github.com/torvalds/linux/blob/master/net/ipv4/netfilter/Kconfig'
const IPV6_KCONFIG = 'https://github.com/torvalds/linux/blob/master/net/ipv6/netfilter/Kconfig'
const XTABLES_NFT = 'https://git.netfilter.org/iptables/tree/iptables/nft.c (iptables-nft: built-in chains, a counter on every rule)'
const NOT_LOADED = 'https://github.com/awslabs/amazon-eks-ami/issues/2354'

const IPT: Condition = {backend: 'iptables'}
const NFT: Condition = {backend: 'nftables'}
const LEGACY: Condition = {backend: 'iptables', path: 'legacy'}
const IPT_NFT: Condition = {backend: 'iptables', path: 'nft'}
const AMBIENT = 'ambient' as const
const TPROXY = 'tproxy' as const
const NOT_BRIDGE = "Istio's docs list it; no Istio rule uses it (bridge CNIs and kube-proxy do)"

export const KERNEL_REQUIREMENTS: readonly KernelRequirement[] = [
  // Common to every iptables set-up (legacy and iptables-nft: both use the xtables extensions).
  {
    name: 'x_tables',
    kind: 'module',
    config: ['NETFILTER_XTABLES'],
    dependency: true,
    when: [IPT],
    severity: 'fail',
    listedBy: 'istio-docs',
    purpose: 'xtables core for every iptables rule',
    source: `${DOCS}; ${NETFILTER_KCONFIG}`,
  },
  {
    name: 'xt_tcpudp',
    kind: 'module',
    config: ['NETFILTER_XTABLES'],
    when: [IPT],
    severity: 'fail',
    listedBy: 'istio-docs',
    purpose: '-p tcp --dport / -m tcp / -m udp matches',
    source: `${DOCS}; ${NETFILTER_MAKEFILE} (obj-$(CONFIG_NETFILTER_XTABLES) += x_tables.o xt_tcpudp.o)`,
  },
  {
    name: 'xt_REDIRECT',
    kind: 'module',
    config: ['NETFILTER_XT_TARGET_REDIRECT', 'IP_NF_TARGET_REDIRECT'],
    when: [IPT],
    severity: 'fail',
    listedBy: 'istio-docs',
    purpose: '-j REDIRECT to 15001/15006/15053',
    source: `${DOCS}; ${SIDECAR_IPT_GOLDEN}; ${AMBIENT_IPT}`,
  },
  {
    name: 'xt_owner',
    kind: 'module',
    config: ['NETFILTER_XT_MATCH_OWNER'],
    when: [IPT],
    severity: 'fail',
    listedBy: 'istio-docs',
    purpose: '-m owner --uid-owner 1337 (sidecar) and --socket-exists (ambient host rule)',
    source: `${DOCS}; ${SIDECAR_IPT_GOLDEN}; ${AMBIENT_IPT} (AppendHostRules); ${ISSUE(24101)}`,
  },
  {
    name: 'xt_mark',
    kind: 'module',
    config: ['NETFILTER_XT_MARK', 'NETFILTER_XT_MATCH_MARK', 'NETFILTER_XT_TARGET_MARK'],
    when: [
      {...IPT, mode: AMBIENT},
      {...IPT, interception: TPROXY},
    ],
    severity: 'fail',
    listedBy: 'istio-docs',
    purpose: '-m mark / -j MARK (ambient, sidecar TPROXY)',
    note: 'sidecar REDIRECT rules use no mark',
    source: `${DOCS}; ${AMBIENT_IPT}; ${SIDECAR_IPT_GOLDEN}tproxy.golden`,
  },
  {
    name: 'xt_connmark',
    kind: 'module',
    config: ['NETFILTER_XT_CONNMARK', 'NETFILTER_XT_MATCH_CONNMARK', 'NETFILTER_XT_TARGET_CONNMARK'],
    when: [
      {...IPT, mode: AMBIENT},
      {...IPT, interception: TPROXY},
    ],
    severity: 'fail',
    listedBy: 'istio-docs',
    purpose: '-j CONNMARK --set-xmark / --restore-mark / --save-mark (ambient, sidecar TPROXY)',
    source: `${DOCS}; ${AMBIENT_IPT}; ${SIDECAR_IPT_GOLDEN}tproxy.golden; ${ISSUE(51030)}`,
  },
  {
    name: 'xt_conntrack',
    kind: 'module',
    config: ['NETFILTER_XT_MATCH_CONNTRACK'],
    severity: 'fail',
    listedBy: 'istio-docs',
    purpose: '-m conntrack --ctstate (sidecar TPROXY; ambient before 1.24)',
    note: 'sidecar REDIRECT uses it only for the optional INVALID_DROP rule; ambient rules do not use it since 1.24',
    when: [
      {...IPT, interception: TPROXY},
      {...IPT, mode: AMBIENT, istioBefore: '1.24'},
    ],
    source: `${DOCS}; ${SIDECAR_IPT_GOLDEN}tproxy.golden; ${AMBIENT_IPT}; https://github.com/istio/istio/pull/52622`,
  },
  {
    name: 'xt_multiport',
    kind: 'module',
    config: ['NETFILTER_XT_MATCH_MULTIPORT'],
    severity: 'fail',
    listedBy: 'istio-docs',
    purpose: '-m multiport ! --dports 53,15008 (sidecar DNS capture)',
    note: 'only sidecar DNS capture writes a multiport match; ambient rules never do',
    when: [{...IPT, mode: 'sidecar', dnsCapture: true}],
    source: `${DOCS}; ${SIDECAR_IPT_GOLDEN}dns-uid-gid.golden`,
  },
  {
    name: 'xt_CT',
    kind: 'module',
    config: ['NETFILTER_XT_TARGET_CT'],
    when: [{...IPT, dnsCapture: true}],
    severity: 'fail',
    listedBy: 'istio-rules',
    purpose: '-j CT --zone in the raw table (DNS capture)',
    source: `${SIDECAR_IPT} (SetupDNSRedir); ${AMBIENT_IPT}; ${ISSUE(36268)}`,
  },
  {
    name: 'xt_TPROXY',
    kind: 'module',
    config: ['NETFILTER_XT_TARGET_TPROXY'],
    when: [
      {...IPT, interception: TPROXY},
      {...IPT, mode: AMBIENT, istioBefore: '1.24'},
    ],
    severity: 'fail',
    listedBy: 'istio-rules',
    purpose: '-j TPROXY (sidecar TPROXY; ambient before 1.24)',
    source: `${SIDECAR_IPT_GOLDEN}tproxy.golden; https://github.com/istio/istio/pull/52622`,
  },
  {
    name: 'xt_set',
    kind: 'module',
    config: ['NETFILTER_XT_SET'],
    when: [{...IPT, mode: AMBIENT}],
    severity: 'fail',
    listedBy: 'istio-rules',
    purpose: '-m set --match-set istio-inpod-probes-v4/v6 (ambient host probe rule)',
    source: `${AMBIENT_IPT} (AppendHostRules); https://github.com/coreos/coreos-overlay/issues/869`,
  },
  {
    name: 'xt_nat',
    kind: 'module',
    config: ['NETFILTER_XT_NAT'],
    when: [{...IPT, mode: AMBIENT}],
    severity: 'fail',
    listedBy: 'istio-rules',
    purpose: '-j SNAT --to-source 169.254.7.127 (ambient host probe rule)',
    source: `${AMBIENT_IPT} (AppendHostRules)`,
  },
  {
    name: 'ip_set',
    kind: 'module',
    config: ['IP_SET'],
    when: [{...IPT, mode: AMBIENT}],
    severity: 'fail',
    listedBy: 'istio-docs',
    purpose: 'the istio-inpod-probes ipsets (ambient on iptables; the nftables backend uses nft sets)',
    source: `${DOCS}; ${AMBIENT_IPSET}`,
  },
  {
    name: 'ip_set_hash_ip',
    kind: 'module',
    config: ['IP_SET_HASH_IP'],
    when: [{...IPT, mode: AMBIENT}],
    severity: 'fail',
    listedBy: 'istio-docs',
    purpose: 'hash:ip sets with comments (ambient on iptables)',
    source: `${DOCS}; ${AMBIENT_IPSET} (IpsetCreate hash:ip, Comments: true); ${ISSUE(54810)}`,
  },
  {
    name: 'nf_conntrack',
    kind: 'module',
    config: ['NF_CONNTRACK'],
    dependency: true,
    when: [{}],
    severity: 'fail',
    listedBy: 'istio-docs',
    purpose: 'connection tracking behind NAT, marks and zones',
    source: `${DOCS}; ${NETFILTER_KCONFIG}`,
  },
  {
    name: 'nf_conntrack_ipv4',
    kind: 'module',
    config: ['NF_CONNTRACK_IPV4'],
    dependency: true,
    mergedInto: {module: 'nf_conntrack', change: KERNEL_HISTORY.conntrackL3Merged},
    when: [IPT],
    severity: 'fail',
    listedBy: 'istio-docs',
    purpose: 'IPv4 connection tracking',
    source: `${DOCS}; ${KERNEL_HISTORY.conntrackL3Merged.source}`,
  },
  {
    name: 'nf_conntrack_ipv6',
    kind: 'module',
    config: ['NF_CONNTRACK_IPV6'],
    dependency: true,
    mergedInto: {module: 'nf_conntrack', change: KERNEL_HISTORY.conntrackL3Merged},
    when: [{...IPT, ipv6: true}],
    severity: 'fail',
    listedBy: 'istio-docs',
    purpose: 'IPv6 connection tracking',
    source: `${DOCS}; ${KERNEL_HISTORY.conntrackL3Merged.source}`,
  },
  {
    name: 'nf_nat',
    kind: 'module',
    config: ['NF_NAT'],
    dependency: true,
    when: [{}],
    severity: 'fail',
    listedBy: 'istio-docs',
    purpose: 'NAT core behind REDIRECT and SNAT',
    source: `${DOCS}; ${NETFILTER_KCONFIG}`,
  },
  {
    name: 'nf_nat_ipv4',
    kind: 'module',
    config: ['NF_NAT_IPV4'],
    dependency: true,
    mergedInto: {module: 'nf_nat', change: KERNEL_HISTORY.natL3Merged},
    when: [IPT],
    severity: 'fail',
    listedBy: 'istio-docs',
    purpose: 'IPv4 NAT',
    source: `${DOCS}; ${KERNEL_HISTORY.natL3Merged.source}`,
  },
  {
    name: 'nf_nat_ipv6',
    kind: 'module',
    config: ['NF_NAT_IPV6'],
    dependency: true,
    mergedInto: {module: 'nf_nat', change: KERNEL_HISTORY.natL3Merged},
    when: [{...IPT, ipv6: true}],
    severity: 'fail',
    listedBy: 'istio-docs',
    purpose: 'IPv6 NAT',
    source: `${DOCS}; ${KERNEL_HISTORY.natL3Merged.source}`,
  },
  {
    name: 'nf_nat_redirect',
    kind: 'module',
    config: ['NF_NAT_REDIRECT'],
    dependency: true,
    mergedInto: {module: 'nf_nat', change: KERNEL_HISTORY.natRedirectLinked},
    when: [IPT, NFT],
    severity: 'fail',
    listedBy: 'istio-docs',
    purpose: 'the REDIRECT NAT helper (-j REDIRECT and nft redirect)',
    source: `${DOCS}; ${KERNEL_HISTORY.natRedirectLinked.source}`,
  },
  {
    name: 'bridge',
    kind: 'module',
    config: ['BRIDGE'],
    when: [],
    unused: NOT_BRIDGE,
    severity: 'fail',
    listedBy: 'istio-docs',
    purpose: 'Linux bridge (bridge CNIs)',
    source: `${DOCS}; ${SIDECAR_IPT_GOLDEN}; ${AMBIENT_IPT}`,
  },
  {
    name: 'br_netfilter',
    kind: 'module',
    config: ['BRIDGE_NETFILTER'],
    when: [],
    unused: NOT_BRIDGE,
    severity: 'fail',
    listedBy: 'istio-docs',
    purpose: 'netfilter on bridged traffic (bridge CNIs)',
    source: `${DOCS}; ${SIDECAR_IPT_GOLDEN}; ${AMBIENT_IPT}; ${ISSUE(44118)}`,
  },

  // iptables-legacy only: the tables. Istio's pods cannot load them.
  {
    name: 'ip_tables',
    kind: 'module',
    config: ['IP_NF_IPTABLES_LEGACY', 'IP_NF_IPTABLES'],
    legacyGate: true,
    mustBeLoaded: true,
    when: [LEGACY],
    severity: 'fail',
    listedBy: 'istio-docs',
    purpose: 'legacy IPv4 tables core',
    source: `${DOCS}; ${IPV4_KCONFIG}; ${NOT_LOADED}`,
  },
  {
    name: 'iptable_nat',
    kind: 'module',
    config: ['IP_NF_NAT'],
    legacyGate: true,
    mustBeLoaded: true,
    when: [LEGACY],
    severity: 'fail',
    listedBy: 'istio-docs',
    purpose: 'the nat table (REDIRECT rules; Istio ≥ 1.28 also probes it to pick the backend)',
    source: `${DOCS}; ${ISSUE(57380)}; ${NOT_LOADED}`,
  },
  {
    name: 'iptable_mangle',
    kind: 'module',
    config: ['IP_NF_MANGLE'],
    legacyGate: true,
    mustBeLoaded: true,
    severity: 'fail',
    listedBy: 'istio-docs',
    purpose: 'the mangle table (marks, CONNMARK, TPROXY)',
    note: 'sidecar REDIRECT uses mangle only for the optional INVALID_DROP rule',
    when: [
      {...LEGACY, mode: AMBIENT},
      {...LEGACY, interception: TPROXY},
    ],
    source: `${DOCS}; ${AMBIENT_IPT}; ${SIDECAR_IPT_GOLDEN}tproxy.golden`,
  },
  {
    name: 'iptable_raw',
    kind: 'module',
    config: ['IP_NF_RAW'],
    legacyGate: true,
    mustBeLoaded: true,
    when: [{...LEGACY, dnsCapture: true}],
    severity: 'fail',
    listedBy: 'istio-docs',
    purpose: 'the raw table (CT --zone for DNS capture)',
    source: `${DOCS}; ${SIDECAR_IPT} (SetupDNSRedir); ${AMBIENT_IPT}`,
  },
  {
    name: 'iptable_filter',
    kind: 'module',
    config: ['IP_NF_FILTER'],
    legacyGate: true,
    mustBeLoaded: true,
    severity: 'fail',
    listedBy: 'istio-rules',
    purpose:
      "the filter table: Istio < 1.28 writes its backend-detection test rule there; ambient's reconcile (default from 1.29) writes guardrail DROP rules there",
    note: 'no interception rule uses filter; ambient reconcile is opt-in (cni.ambient.reconcileIptablesOnStartup) in 1.25–1.28',
    when: [
      {...LEGACY, istioBefore: '1.28'},
      {...LEGACY, mode: AMBIENT, istioFrom: '1.29'},
    ],
    source: `${DETECT} (testRuleAdd -t filter); https://github.com/istio/istio/pull/57385; ${GH}/tools/istio-iptables/pkg/builder/iptables_builder_impl.go (buildGuardrails); https://istio.io/latest/news/releases/1.29.x/announcing-1.29/change-notes/`,
  },
  {
    name: 'ip6_tables',
    kind: 'module',
    config: ['IP6_NF_IPTABLES_LEGACY', 'IP6_NF_IPTABLES'],
    legacyGate: true,
    mustBeLoaded: true,
    when: [{...LEGACY, ipv6: true}],
    severity: 'fail',
    listedBy: 'istio-docs',
    purpose: 'legacy IPv6 tables core (IPv6 rules; ambient writes them by default)',
    source: `${DOCS}; ${IPV6_KCONFIG}; ${AMBIENT_IPT}`,
  },
  {
    name: 'ip6table_nat',
    kind: 'module',
    config: ['IP6_NF_NAT'],
    legacyGate: true,
    mustBeLoaded: true,
    when: [{...LEGACY, ipv6: true}],
    severity: 'fail',
    listedBy: 'istio-docs',
    purpose: 'the IPv6 nat table',
    source: `${DOCS}; ${SIDECAR_IPT_GOLDEN}; ${AMBIENT_IPT}`,
  },
  {
    name: 'ip6table_mangle',
    kind: 'module',
    config: ['IP6_NF_MANGLE'],
    legacyGate: true,
    mustBeLoaded: true,
    when: [
      {...LEGACY, ipv6: true, mode: AMBIENT},
      {...LEGACY, ipv6: true, interception: TPROXY},
    ],
    severity: 'fail',
    listedBy: 'istio-docs',
    purpose: 'the IPv6 mangle table',
    source: `${DOCS}; ${AMBIENT_IPT}; ${SIDECAR_IPT_GOLDEN}`,
  },
  {
    name: 'ip6table_raw',
    kind: 'module',
    config: ['IP6_NF_RAW'],
    legacyGate: true,
    mustBeLoaded: true,
    when: [{...LEGACY, ipv6: true, dnsCapture: true}],
    severity: 'fail',
    listedBy: 'istio-docs',
    purpose: 'the IPv6 raw table (DNS capture)',
    source: `${DOCS}; ${SIDECAR_IPT} (SetupDNSRedir); ${AMBIENT_IPT}`,
  },
  {
    name: 'ip6table_filter',
    kind: 'module',
    config: ['IP6_NF_FILTER'],
    legacyGate: true,
    mustBeLoaded: true,
    severity: 'fail',
    listedBy: 'istio-rules',
    purpose: 'the IPv6 filter table: the IPv6 backend-detection test rule (Istio < 1.28) and ambient reconcile guardrails (both families, default from 1.29)',
    when: [
      {...LEGACY, ipv6: true, istioBefore: '1.28'},
      {...LEGACY, mode: AMBIENT, istioFrom: '1.29'},
    ],
    source: `${DETECT} (testRuleAdd -t filter); ${AMBIENT_IPT} (executeCommands: guardrails for ipt6V); https://istio.io/latest/news/releases/1.29.x/announcing-1.29/change-notes/`,
  },

  // iptables-nft and the native nftables backend.
  {
    name: 'nf_tables',
    kind: 'module',
    config: ['NF_TABLES'],
    when: [IPT_NFT, NFT],
    severity: 'fail',
    listedBy: 'istio-docs',
    purpose: 'nftables core (iptables-nft and native nft rules)',
    source: `${DOCS}; ${NETFILTER_KCONFIG}; ${ISSUE(44274)}`,
  },
  {
    name: 'nft_compat',
    kind: 'module',
    config: ['NFT_COMPAT'],
    when: [IPT_NFT],
    severity: 'fail',
    listedBy: 'istio-rules',
    purpose: 'runs xtables matches and targets on nf_tables (iptables-nft)',
    source: `https://git.netfilter.org/iptables/tree/iptables/xtables-nft.8; ${ISSUE(55636)}`,
  },
  {
    name: 'nft_chain_nat',
    kind: 'module',
    config: ['NFT_CHAIN_NAT_IPV4', 'NFT_CHAIN_NAT', 'NFT_NAT'],
    alternatives: ['nft_chain_nat_ipv4'],
    when: [IPT_NFT, NFT],
    severity: 'fail',
    listedBy: 'istio-rules',
    purpose: 'type nat base chains (every nat table)',
    source: `${XTABLES_NFT}; ${SIDECAR_NFT_GOLDEN}; ${KERNEL_HISTORY.nftChainNatMerged.source}`,
  },
  {
    name: 'nft_chain_route_ipv4',
    kind: 'module',
    config: ['NFT_CHAIN_ROUTE_IPV4'],
    mergedInto: {module: 'nf_tables', change: KERNEL_HISTORY.nftRouteChainMerged},
    severity: 'fail',
    listedBy: 'istio-rules',
    purpose: 'type route chains: iptables-nft builds mangle OUTPUT as one; the ambient nft mangle output chain is one',
    note: 'only set-ups that write mangle OUTPUT rules (ambient, sidecar TPROXY on iptables-nft; ambient on nftables)',
    when: [
      {...IPT_NFT, mode: AMBIENT},
      {...IPT_NFT, interception: TPROXY},
      {...NFT, mode: AMBIENT},
    ],
    source: `${XTABLES_NFT}; ${AMBIENT_NFT_GOLDEN} (type route hook output); ${KERNEL_HISTORY.nftRouteChainMerged.source}`,
  },
  {
    name: 'nft_chain_route_ipv6',
    kind: 'module',
    config: ['NFT_CHAIN_ROUTE_IPV6'],
    mergedInto: {module: 'nf_tables', change: KERNEL_HISTORY.nftRouteChainMerged},
    severity: 'fail',
    listedBy: 'istio-rules',
    purpose: 'type route chains for IPv6 (ip6tables-nft mangle OUTPUT)',
    when: [
      {...IPT_NFT, mode: AMBIENT, ipv6: true},
      {...IPT_NFT, interception: TPROXY, ipv6: true},
      {...NFT, mode: AMBIENT, ipv6: true},
    ],
    source: `${XTABLES_NFT}; ${AMBIENT_NFT_GOLDEN}; ${KERNEL_HISTORY.nftRouteChainMerged.source}`,
  },
  {
    name: 'nft_nat',
    kind: 'module',
    config: ['NFT_NAT'],
    when: [{...NFT, mode: AMBIENT}],
    note: 'sidecar nft rules only redirect (nft_redir)',
    severity: 'fail',
    listedBy: 'istio-docs',
    purpose: 'snat to 169.254.7.127 (ambient host probe rule)',
    source: `${DOCS}; ${AMBIENT_NFT_HOST}`,
  },
  {
    name: 'nft_ct',
    kind: 'module',
    config: ['NFT_CT'],
    severity: 'fail',
    listedBy: 'istio-docs',
    purpose: 'ct zone set (DNS capture), ct state / ct mark (TPROXY, ambient)',
    note: 'sidecar REDIRECT without DNS capture writes no ct expression (except the optional drop-invalid rule)',
    when: [
      {...NFT, dnsCapture: true},
      {...NFT, interception: TPROXY},
      {...NFT, mode: AMBIENT},
    ],
    source: `${DOCS}; ${SIDECAR_NFT_GOLDEN}tproxy.golden; ${SIDECAR_NFT_GOLDEN}dns-uid-gid.golden; ${AMBIENT_NFT_GOLDEN}`,
  },
  {
    name: 'nft_redir',
    kind: 'module',
    config: ['NFT_REDIR'],
    when: [NFT],
    severity: 'fail',
    listedBy: 'istio-docs',
    purpose: 'redirect to :15001/:15006/:15053',
    source: `${DOCS}; ${SIDECAR_NFT_GOLDEN}; ${AMBIENT_NFT_GOLDEN}`,
  },
  {
    name: 'nft_socket',
    kind: 'module',
    config: ['NFT_SOCKET'],
    when: [],
    unused: "Istio's docs list it; no Istio nft rule uses a socket expression (meta skuid instead)",
    severity: 'fail',
    listedBy: 'istio-docs',
    purpose: 'socket expressions',
    source: `${DOCS}; ${SIDECAR_NFT_GOLDEN}; ${AMBIENT_NFT_GOLDEN}; ${GH}/cni/pkg/nftables/nftables.go`,
  },
  {
    name: 'nft_tproxy',
    kind: 'module',
    config: ['NFT_TPROXY'],
    when: [{...NFT, interception: TPROXY}],
    severity: 'fail',
    listedBy: 'istio-docs',
    purpose: 'tproxy ip|ip6 to :15006 (sidecar TPROXY)',
    source: `${DOCS}; ${SIDECAR_NFT_GOLDEN}tproxy.golden`,
  },
  {
    name: 'nft_counter',
    kind: 'module',
    config: ['NFT_COUNTER'],
    mergedInto: {module: 'nf_tables', change: KERNEL_HISTORY.nftCounterBuiltin},
    severity: 'fail',
    listedBy: 'istio-rules',
    purpose: 'counter expressions: iptables-nft adds one to every rule; every ambient nft rule has one',
    note: 'sidecar nft rules carry no counter',
    when: [IPT_NFT, {...NFT, mode: AMBIENT}],
    source: `${XTABLES_NFT}; ${AMBIENT_NFT_GOLDEN}; ${KERNEL_HISTORY.nftCounterBuiltin.source}`,
  },
  {
    name: 'nf_defrag_ipv4',
    kind: 'module',
    config: ['NF_DEFRAG_IPV4'],
    dependency: true,
    when: [NFT],
    severity: 'fail',
    listedBy: 'istio-docs',
    purpose: 'IPv4 defragmentation for conntrack and tproxy',
    source: `${DOCS}; ${NETFILTER_MAKEFILE}`,
  },
  {
    name: 'nf_defrag_ipv6',
    kind: 'module',
    config: ['NF_DEFRAG_IPV6'],
    dependency: true,
    when: [NFT],
    severity: 'fail',
    listedBy: 'istio-docs',
    purpose: 'IPv6 defragmentation for conntrack and tproxy',
    source: `${DOCS}; ${NETFILTER_MAKEFILE}`,
  },
  {
    name: 'NF_TABLES_IPV6',
    kind: 'feature',
    config: ['NF_TABLES_IPV6'],
    when: [{...IPT_NFT, ipv6: true}],
    severity: 'fail',
    listedBy: 'istio-rules',
    purpose: 'ip6-family nf_tables for ip6tables-nft (IPv6 rules; ambient writes them by default)',
    source: `${XTABLES_NFT}; ${IPV6_KCONFIG}; ${AMBIENT_IPT}`,
  },
  {
    name: 'NF_TABLES_INET',
    kind: 'feature',
    config: ['NF_TABLES_INET'],
    when: [NFT],
    severity: 'fail',
    listedBy: 'istio-rules',
    purpose: 'inet-family tables (every Istio nft table is inet)',
    source: `${SIDECAR_NFT_GOLDEN}; ${AMBIENT_NFT_GOLDEN}; ${NETFILTER_KCONFIG}`,
  },
  {
    name: 'kernel',
    kind: 'kernel',
    config: [],
    minKernel: KERNEL_HISTORY.nftablesFloor,
    when: [NFT],
    severity: 'fail',
    listedBy: 'istio-docs',
    purpose: 'the nftables backend floor',
    source: `${DOCS}; https://github.com/istio/istio.io/pull/16960`,
  },

  // Features of both backends.
  {
    name: 'NF_CONNTRACK_ZONES',
    kind: 'feature',
    config: ['NF_CONNTRACK_ZONES'],
    when: [{dnsCapture: true}],
    severity: 'fail',
    listedBy: 'istio-rules',
    purpose: 'conntrack zones for CT --zone / ct zone set (DNS capture)',
    source: `${SIDECAR_IPT} (SetupDNSRedir); ${SIDECAR_NFT_GOLDEN}dns-uid-gid.golden; ${ISSUE(36268)}; https://github.com/docker/for-mac/issues/7148`,
  },
  {
    name: 'NF_CONNTRACK_MARK',
    kind: 'feature',
    config: ['NF_CONNTRACK_MARK'],
    when: [{mode: AMBIENT}, {interception: TPROXY}],
    severity: 'fail',
    listedBy: 'istio-rules',
    purpose: 'connection marks for CONNMARK / ct mark (ambient, sidecar TPROXY)',
    source: `${NETFILTER_KCONFIG} (NETFILTER_XT_CONNMARK selects NF_CONNTRACK_MARK, and nft_ct's ct mark needs it); ${AMBIENT_IPT}; ${AMBIENT_NFT_GOLDEN}; ${SIDECAR_NFT_GOLDEN}tproxy.golden`,
  },
  {
    name: 'IP_MULTIPLE_TABLES',
    kind: 'feature',
    config: ['IP_MULTIPLE_TABLES'],
    when: [{mode: AMBIENT}, {interception: TPROXY}],
    severity: 'fail',
    listedBy: 'istio-rules',
    purpose: 'ip rule fwmark … lookup 100/133 (ambient, TPROXY)',
    source: `${GH}/cni/pkg/iptables/iptables_linux.go (AddInpodMarkIPRule); ${TPROXY_ROUTES}`,
  },
  {
    name: 'IPV6_MULTIPLE_TABLES',
    kind: 'feature',
    config: ['IPV6_MULTIPLE_TABLES'],
    when: [
      {mode: AMBIENT, ipv6: true},
      {interception: TPROXY, ipv6: true},
    ],
    severity: 'fail',
    listedBy: 'istio-rules',
    purpose: 'ip -6 rule fwmark … (ambient writes it by default, even on IPv4-only clusters; TPROXY with IPv6)',
    source: `${GH}/cni/pkg/iptables/iptables_linux.go (AddInpodMarkIPRule); ${GH}/manifests/charts/istio-cni/values.yaml (ambient.ipv6); https://github.com/torvalds/linux/blob/master/net/ipv6/Kconfig`,
  },
]

/** Every Kconfig symbol and module name a probe must report (plus CONFIG_MODULES and the legacy gate). */
export function probeRequest(): {symbols: string[]; modules: string[]} {
  const symbols = new Set<string>(['MODULES', LEGACY_XTABLES_SYMBOL])
  const modules = new Set<string>()
  for (const r of KERNEL_REQUIREMENTS) {
    for (const s of r.config) symbols.add(s)
    if (r.kind === 'module') {
      modules.add(r.name)
      for (const a of r.alternatives ?? []) modules.add(a)
      if (r.mergedInto) modules.add(r.mergedInto.module)
    }
  }
  return {symbols: [...symbols], modules: [...modules]}
}
