import type {KernelChange} from './kernel-history.js'
import {KERNEL_HISTORY, LEGACY_XTABLES_SYMBOL} from './kernel-history.js'
import {MODES} from './istio-modes.js'
import type {Mode} from './istio-modes.js'

/**
 * Every kernel requirement of Istio's traffic interception, as data. Istio's platform-requirements page lists modules
 * per backend; taken literally that list is wrong on modern kernels (merged modules) and misses features Istio's own
 * rules use. Rows marked `istio-rules` are what the reference found in Istio's rules beyond the docs' list.
 * Reference: ../shared/reference/kernel-and-interception.md (§1.2 iptables list, §1.3 nftables list, §1.4 gaps,
 * §2 how Istio writes its rules).
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
  /** The cluster has IPv6 (single-stack or dual-stack). */
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
  /** A softer severity under this condition, and why. */
  readonly severity?: 'warn'
  readonly note?: string
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
  /** Never autoloaded: it must already be loaded (or configured to load at boot). */
  readonly mustBeLoaded?: true
  /** For kind "kernel": the minimum release. */
  readonly minKernel?: KernelChange
  readonly when: readonly Condition[]
  readonly severity: 'fail' | 'warn'
  /** `istio-docs`: on Istio's platform-requirements list. `istio-rules`: used by Istio's rules, missing from that list. */
  readonly listedBy: 'istio-docs' | 'istio-rules'
  /** What Istio uses it for (required: a missing row must say why it matters). */
  readonly purpose: string
  readonly source: string
}

const DOCS = 'https://istio.io/latest/docs/ops/deployment/platform-requirements/'
const REF = 'kernel-and-interception reference'

const IPT: Condition = {backend: 'iptables'}
const NFT: Condition = {backend: 'nftables'}
const LEGACY: Condition = {backend: 'iptables', path: 'legacy'}
const IPT_NFT: Condition = {backend: 'iptables', path: 'nft'}
const AMBIENT_V6_DEFAULT = 'istio-cni defaults to cni.ambient.ipv6=true and fails without a working ip6tables even on IPv4-only clusters (inferred); set it false there'

export const KERNEL_REQUIREMENTS: readonly KernelRequirement[] = [
  // Common to every iptables set-up (legacy and iptables-nft: both use the xtables extensions).
  {name: 'x_tables', kind: 'module', config: ['NETFILTER_XTABLES'], when: [IPT], severity: 'fail', listedBy: 'istio-docs', purpose: 'xtables core for every iptables rule', source: `${DOCS}; ${REF} §1.2`},
  {name: 'xt_tcpudp', kind: 'module', config: ['NETFILTER_XTABLES'], when: [IPT], severity: 'fail', listedBy: 'istio-docs', purpose: '-p tcp --dport / -p udp matches', source: `${DOCS}; ${REF} §1.2 (built by the same symbol as x_tables)`},
  {name: 'xt_REDIRECT', kind: 'module', config: ['NETFILTER_XT_TARGET_REDIRECT', 'IP_NF_TARGET_REDIRECT'], when: [IPT], severity: 'fail', listedBy: 'istio-docs', purpose: '-j REDIRECT to 15001/15006/15053', source: `${DOCS}; ${REF} §1.2, §2.2`},
  {name: 'xt_owner', kind: 'module', config: ['NETFILTER_XT_MATCH_OWNER'], when: [IPT], severity: 'fail', listedBy: 'istio-docs', purpose: '-m owner --uid-owner 1337 (sidecar) and --socket-exists (ambient host rule)', source: `${DOCS}; ${REF} §1.2, §2.2, §2.6; istio/istio#24101`},
  {name: 'xt_mark', kind: 'module', config: ['NETFILTER_XT_MARK', 'NETFILTER_XT_MATCH_MARK', 'NETFILTER_XT_TARGET_MARK'], when: [{...IPT, mode: 'ambient'}, {...IPT, interception: 'tproxy'}], severity: 'fail', listedBy: 'istio-docs', purpose: '-m mark / -j MARK (ambient, sidecar TPROXY)', source: `${DOCS}; ${REF} §1.2, §2.3, §2.6`},
  {name: 'xt_connmark', kind: 'module', config: ['NETFILTER_XT_CONNMARK', 'NETFILTER_XT_MATCH_CONNMARK', 'NETFILTER_XT_TARGET_CONNMARK'], when: [{...IPT, mode: 'ambient'}, {...IPT, interception: 'tproxy'}], severity: 'fail', listedBy: 'istio-docs', purpose: '-j CONNMARK --set-xmark / --restore-mark (ambient, sidecar TPROXY)', source: `${DOCS}; ${REF} §1.2, §2.3, §2.6; istio/istio#51030`},
  {
    name: 'xt_conntrack', kind: 'module', config: ['NETFILTER_XT_MATCH_CONNTRACK'], severity: 'fail', listedBy: 'istio-docs', purpose: '-m conntrack --ctstate (sidecar TPROXY, INVALID_DROP, ambient before 1.24)', source: `${DOCS}; ${REF} §1.2, §2.2, §2.3, §2.6`,
    when: [{...IPT, interception: 'tproxy'}, {...IPT, mode: 'ambient', istioBefore: '1.24'}, {...IPT, severity: 'warn', note: "Istio's docs list it; current rules use it only for TPROXY and the optional INVALID_DROP rule"}],
  },
  {
    name: 'xt_multiport', kind: 'module', config: ['NETFILTER_XT_MATCH_MULTIPORT'], severity: 'fail', listedBy: 'istio-docs', purpose: '-m multiport ! --dports 53,15008 (sidecar DNS capture)', source: `${DOCS}; ${REF} §1.2, §2.4`,
    when: [{...IPT, mode: 'sidecar', dnsCapture: true}, {...IPT, severity: 'warn', note: "Istio's docs list it; current rules use it only for sidecar DNS capture"}],
  },
  {name: 'xt_CT', kind: 'module', config: ['NETFILTER_XT_TARGET_CT'], when: [{...IPT, dnsCapture: true}], severity: 'fail', listedBy: 'istio-rules', purpose: '-j CT --zone in the raw table (DNS capture)', source: `${REF} §1.4, §2.4, §2.6; istio/istio#36268`},
  {name: 'xt_TPROXY', kind: 'module', config: ['NETFILTER_XT_TARGET_TPROXY'], when: [{...IPT, interception: 'tproxy'}, {...IPT, mode: 'ambient', istioBefore: '1.24'}], severity: 'fail', listedBy: 'istio-rules', purpose: '-j TPROXY (sidecar TPROXY; ambient before 1.24)', source: `${REF} §1.4, §2.3, §2.6`},
  {name: 'xt_set', kind: 'module', config: ['NETFILTER_XT_SET'], when: [{...IPT, mode: 'ambient'}], severity: 'fail', listedBy: 'istio-rules', purpose: '-m set --match-set istio-inpod-probes (ambient host probe rule)', source: `${REF} §1.4, §2.6; coreos/coreos-overlay#869`},
  {name: 'xt_nat', kind: 'module', config: ['NETFILTER_XT_NAT'], when: [{...IPT, mode: 'ambient'}], severity: 'fail', listedBy: 'istio-rules', purpose: '-j SNAT --to-source 169.254.7.127 (ambient host probe rule)', source: `${REF} §1.4, §2.6`},
  {name: 'ip_set', kind: 'module', config: ['IP_SET'], when: [{...IPT, mode: 'ambient'}], severity: 'fail', listedBy: 'istio-docs', purpose: 'the istio-inpod-probes ipsets (ambient)', source: `${DOCS}; ${REF} §1.2, §2.6`},
  {name: 'ip_set_hash_ip', kind: 'module', config: ['IP_SET_HASH_IP'], when: [{...IPT, mode: 'ambient'}], severity: 'fail', listedBy: 'istio-docs', purpose: 'hash:ip sets with comments (ambient)', source: `${DOCS}; ${REF} §1.2, §2.6; istio/istio#54810`},
  {name: 'nf_conntrack', kind: 'module', config: ['NF_CONNTRACK'], when: [{}], severity: 'fail', listedBy: 'istio-docs', purpose: 'connection tracking behind NAT, marks and zones', source: `${DOCS}; ${REF} §1.2, §1.3`},
  {name: 'nf_conntrack_ipv4', kind: 'module', config: ['NF_CONNTRACK_IPV4'], mergedInto: {module: 'nf_conntrack', change: KERNEL_HISTORY.conntrackL3Merged}, when: [IPT], severity: 'fail', listedBy: 'istio-docs', purpose: 'IPv4 connection tracking', source: `${DOCS}; ${REF} §1.1, §1.2`},
  {name: 'nf_conntrack_ipv6', kind: 'module', config: ['NF_CONNTRACK_IPV6'], mergedInto: {module: 'nf_conntrack', change: KERNEL_HISTORY.conntrackL3Merged}, when: [{...IPT, ipv6: true}], severity: 'fail', listedBy: 'istio-docs', purpose: 'IPv6 connection tracking', source: `${DOCS}; ${REF} §1.1, §1.2`},
  {name: 'nf_nat', kind: 'module', config: ['NF_NAT'], when: [{}], severity: 'fail', listedBy: 'istio-docs', purpose: 'NAT core behind REDIRECT and SNAT', source: `${DOCS}; ${REF} §1.2`},
  {name: 'nf_nat_ipv4', kind: 'module', config: ['NF_NAT_IPV4'], mergedInto: {module: 'nf_nat', change: KERNEL_HISTORY.natL3Merged}, when: [IPT], severity: 'fail', listedBy: 'istio-docs', purpose: 'IPv4 NAT', source: `${DOCS}; ${REF} §1.1, §1.2`},
  {name: 'nf_nat_ipv6', kind: 'module', config: ['NF_NAT_IPV6'], mergedInto: {module: 'nf_nat', change: KERNEL_HISTORY.natL3Merged}, when: [{...IPT, ipv6: true}], severity: 'fail', listedBy: 'istio-docs', purpose: 'IPv6 NAT', source: `${DOCS}; ${REF} §1.1, §1.2`},
  {name: 'nf_nat_redirect', kind: 'module', config: ['NF_NAT_REDIRECT'], mergedInto: {module: 'nf_nat', change: KERNEL_HISTORY.natRedirectLinked}, when: [IPT], severity: 'fail', listedBy: 'istio-docs', purpose: 'the REDIRECT NAT helper', source: `${DOCS}; ${REF} §1.1, §1.2`},
  {name: 'bridge', kind: 'module', config: ['BRIDGE'], when: [{...IPT, note: "Istio's docs list it; Istio's rules do not use it (bridge CNIs do)"}], severity: 'warn', listedBy: 'istio-docs', purpose: 'Linux bridge (bridge CNIs)', source: `${DOCS}; ${REF} §1.2`},
  {name: 'br_netfilter', kind: 'module', config: ['BRIDGE_NETFILTER'], mustBeLoaded: true, when: [{...IPT, note: "Istio's docs list it; Istio's rules do not use it (bridge CNIs do)"}], severity: 'warn', listedBy: 'istio-docs', purpose: 'netfilter on bridged traffic', source: `${DOCS}; ${REF} §1.1, §1.2; istio/istio#44118`},

  // iptables-legacy only.
  {name: 'ip_tables', kind: 'module', config: ['IP_NF_IPTABLES_LEGACY', 'IP_NF_IPTABLES'], legacyGate: true, when: [LEGACY], severity: 'fail', listedBy: 'istio-docs', purpose: 'legacy IPv4 tables core', source: `${DOCS}; ${REF} §1.1, §1.2`},
  {name: 'iptable_nat', kind: 'module', config: ['IP_NF_NAT'], legacyGate: true, when: [LEGACY], severity: 'fail', listedBy: 'istio-docs', purpose: 'the nat table (REDIRECT rules)', source: `${DOCS}; ${REF} §1.2; istio/istio#57380`},
  {
    name: 'iptable_mangle', kind: 'module', config: ['IP_NF_MANGLE'], legacyGate: true, severity: 'fail', listedBy: 'istio-docs', purpose: 'the mangle table (marks, TPROXY)', source: `${DOCS}; ${REF} §1.2, §2.2, §2.6`,
    when: [{...LEGACY, mode: 'ambient'}, {...LEGACY, interception: 'tproxy'}, {...LEGACY, severity: 'warn', note: "Istio's docs list it; sidecar REDIRECT uses mangle only for the optional INVALID_DROP rule"}],
  },
  {name: 'iptable_raw', kind: 'module', config: ['IP_NF_RAW'], legacyGate: true, when: [{...LEGACY, dnsCapture: true}], severity: 'fail', listedBy: 'istio-docs', purpose: 'the raw table (CT --zone for DNS capture)', source: `${DOCS}; ${REF} §1.2, §2.4, §2.6`},
  {name: 'ip6_tables', kind: 'module', config: ['IP6_NF_IPTABLES_LEGACY', 'IP6_NF_IPTABLES'], legacyGate: true, when: [{...LEGACY, ipv6: true}, {...LEGACY, mode: 'ambient', severity: 'warn', note: AMBIENT_V6_DEFAULT}], severity: 'fail', listedBy: 'istio-docs', purpose: 'legacy IPv6 tables core', source: `${DOCS}; ${REF} §1.2, §2.6`},
  {name: 'ip6table_nat', kind: 'module', config: ['IP6_NF_NAT'], legacyGate: true, when: [{...LEGACY, ipv6: true}, {...LEGACY, mode: 'ambient', severity: 'warn', note: AMBIENT_V6_DEFAULT}], severity: 'fail', listedBy: 'istio-docs', purpose: 'the IPv6 nat table', source: `${DOCS}; ${REF} §1.2, §2.6`},
  {name: 'ip6table_mangle', kind: 'module', config: ['IP6_NF_MANGLE'], legacyGate: true, when: [{...LEGACY, ipv6: true, mode: 'ambient'}, {...LEGACY, ipv6: true, interception: 'tproxy'}], severity: 'fail', listedBy: 'istio-docs', purpose: 'the IPv6 mangle table', source: `${DOCS}; ${REF} §1.2, §2.5`},
  {name: 'ip6table_raw', kind: 'module', config: ['IP6_NF_RAW'], legacyGate: true, when: [{...LEGACY, ipv6: true, dnsCapture: true}], severity: 'fail', listedBy: 'istio-docs', purpose: 'the IPv6 raw table (DNS capture)', source: `${DOCS}; ${REF} §1.2, §2.5`},

  // iptables-nft and the native nftables backend.
  {name: 'nf_tables', kind: 'module', config: ['NF_TABLES'], when: [IPT_NFT, NFT], severity: 'fail', listedBy: 'istio-docs', purpose: 'nftables core (iptables-nft and native nft rules)', source: `${DOCS}; ${REF} §1.3, §1.4; istio/istio#44274`},
  {name: 'nft_compat', kind: 'module', config: ['NFT_COMPAT'], when: [IPT_NFT], severity: 'fail', listedBy: 'istio-rules', purpose: 'runs xtables matches and targets on nf_tables (iptables-nft)', source: `${REF} §1.4 (xtables-nft(8)); istio/istio#55636`},
  {name: 'nft_chain_nat', kind: 'module', config: ['NFT_CHAIN_NAT_IPV4', 'NFT_CHAIN_NAT', 'NFT_NAT'], alternatives: ['nft_chain_nat_ipv4'], when: [IPT_NFT, NFT], severity: 'fail', listedBy: 'istio-rules', purpose: 'type nat base chains', source: `${REF} §1.3, §1.4`},
  {name: 'nft_nat', kind: 'module', config: ['NFT_NAT'], when: [NFT], severity: 'fail', listedBy: 'istio-docs', purpose: 'nft NAT expressions', source: `${DOCS}; ${REF} §1.3`},
  {name: 'nft_ct', kind: 'module', config: ['NFT_CT'], when: [NFT], severity: 'fail', listedBy: 'istio-docs', purpose: 'ct mark / ct state / ct zone set', source: `${DOCS}; ${REF} §1.3, §2.7`},
  {name: 'nft_redir', kind: 'module', config: ['NFT_REDIR'], when: [NFT], severity: 'fail', listedBy: 'istio-docs', purpose: 'redirect to :15001/:15006/:15053', source: `${DOCS}; ${REF} §1.3, §2.7`},
  {name: 'nft_socket', kind: 'module', config: ['NFT_SOCKET'], when: [{...NFT, note: "Istio's docs list it; no current Istio rule uses a socket expression (meta skuid instead)"}], severity: 'warn', listedBy: 'istio-docs', purpose: 'socket expressions', source: `${DOCS}; ${REF} §1.3, §2.7`},
  {name: 'nft_tproxy', kind: 'module', config: ['NFT_TPROXY'], when: [{...NFT, interception: 'tproxy'}], severity: 'fail', listedBy: 'istio-docs', purpose: 'tproxy ip|ip6 to :15006 (sidecar TPROXY)', source: `${DOCS}; ${REF} §1.3, §2.7`},
  {name: 'nft_counter', kind: 'module', config: ['NFT_COUNTER'], mergedInto: {module: 'nf_tables', change: KERNEL_HISTORY.nftCounterBuiltin}, when: [NFT], severity: 'fail', listedBy: 'istio-rules', purpose: 'counter on every Istio nft rule', source: `${REF} §1.1, §1.3, §2.7`},
  {name: 'nf_defrag_ipv4', kind: 'module', config: ['NF_DEFRAG_IPV4'], when: [NFT], severity: 'fail', listedBy: 'istio-docs', purpose: 'IPv4 defragmentation for conntrack and tproxy', source: `${DOCS}; ${REF} §1.1, §1.3`},
  {name: 'nf_defrag_ipv6', kind: 'module', config: ['NF_DEFRAG_IPV6'], when: [NFT], severity: 'fail', listedBy: 'istio-docs', purpose: 'IPv6 defragmentation for conntrack and tproxy', source: `${DOCS}; ${REF} §1.1, §1.3`},
  {name: 'NF_TABLES_INET', kind: 'feature', config: ['NF_TABLES_INET'], when: [NFT], severity: 'fail', listedBy: 'istio-rules', purpose: 'inet-family tables (every Istio nft table is inet)', source: `${REF} §1.3, §2.7`},
  {name: 'kernel', kind: 'kernel', config: [], minKernel: KERNEL_HISTORY.nftablesFloor, when: [NFT], severity: 'fail', listedBy: 'istio-docs', purpose: 'the nftables backend floor', source: `${DOCS}; ${REF} §1.1, §1.3`},

  // Features of both backends.
  {name: 'NF_CONNTRACK_ZONES', kind: 'feature', config: ['NF_CONNTRACK_ZONES'], when: [{dnsCapture: true}], severity: 'fail', listedBy: 'istio-rules', purpose: 'conntrack zones for CT --zone / ct zone set (DNS capture)', source: `${REF} §1.4; istio/istio#36268; docker/for-mac#7148`},
  {name: 'IP_MULTIPLE_TABLES', kind: 'feature', config: ['IP_MULTIPLE_TABLES'], when: [{mode: 'ambient'}, {interception: 'tproxy'}], severity: 'fail', listedBy: 'istio-rules', purpose: 'ip rule fwmark … lookup 100/133 (ambient, TPROXY)', source: `${REF} §1.4, §2.3, §2.6`},
  {name: 'IPV6_MULTIPLE_TABLES', kind: 'feature', config: ['IPV6_MULTIPLE_TABLES'], when: [{mode: 'ambient', ipv6: true}, {interception: 'tproxy', ipv6: true}], severity: 'fail', listedBy: 'istio-rules', purpose: 'IPv6 policy routing (symbol name unverified in the reference)', source: `${REF} §1.4, §6`},
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
