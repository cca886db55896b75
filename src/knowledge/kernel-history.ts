/**
 * Kernel changes that break a naive "is module X present" check. The evaluation never gates on the version alone
 * (RHEL 8.3 backported the merges to 4.18.0-240, kubernetes/kubernetes#97052): a merge is claimed only when the
 * files show it. Versions are used only where the kernel's own files are silent (a hidden Kconfig gate) or where
 * Istio states a floor. Every row cites the kernel commit or a primary report.
 */
export interface KernelChange {
  /** The first upstream release with the change (`≤x` where only an upper bound is sourced). */
  readonly kernel: string
  readonly what: string
  readonly source: string
}

const LINUX = 'https://github.com/torvalds/linux'

export const KERNEL_HISTORY = {
  conntrackL3Merged: {
    kernel: '4.19',
    what: 'nf_conntrack_ipv4 and nf_conntrack_ipv6 were folded into nf_conntrack (CONFIG_NF_CONNTRACK_IPV4/IPV6 removed); RHEL 8.3 (4.18.0-240) backported it',
    source: `${LINUX}/commit/a0ae2562c6c4; https://github.com/kubernetes/kubernetes/issues/70304; https://github.com/kubernetes/kubernetes/issues/97052`,
  },
  natL3Merged: {
    kernel: '5.1',
    what: 'nf_nat_ipv4 and nf_nat_ipv6 were merged into nf_nat (CONFIG_NF_NAT_IPV4/IPV6 removed); RHEL 8.3 backported it',
    source: `${LINUX}/commit/3bf195ae6037; https://github.com/lxc/lxc/issues/3917`,
  },
  natRedirectLinked: {
    kernel: '≤5.10',
    what: 'CONFIG_NF_NAT_REDIRECT became a bool linked into nf_nat.ko, so nf_nat_redirect never appears as a module (exact release unverified; ≤5.10)',
    source: `${LINUX}/blob/master/net/netfilter/Makefile (nf_nat-$(CONFIG_NF_NAT_REDIRECT) += nf_nat_redirect.o); https://github.com/lxc/lxc/issues/3917`,
  },
  nftChainNatMerged: {
    kernel: '5.1',
    what: 'per-family nft_chain_nat_ipv4/ipv6 became nft_chain_nat, built by CONFIG_NFT_NAT',
    source: `${LINUX}/blob/master/net/netfilter/Makefile (obj-$(CONFIG_NFT_NAT) += nft_chain_nat.o); https://github.com/canonical/lxd/issues/8724`,
  },
  nftRouteChainMerged: {
    kernel: '≤5.4',
    what: 'the per-family route chain types (nft_chain_route_ipv4/ipv6, CONFIG_NFT_CHAIN_ROUTE_IPV4/IPV6) were linked into nf_tables (nf_tables-objs += nft_chain_route.o); 4.19 kernels still build them as modules, 5.4 kernels have no such symbol (exact release unverified)',
    source: `${LINUX}/blob/master/net/netfilter/Makefile (nf_tables-objs … nft_chain_route.o)`,
  },
  nftCounterBuiltin: {
    kernel: '5.17',
    what: 'nft_counter was made part of nf_tables (CONFIG_NFT_COUNTER removed)',
    source: `${LINUX}/commit/023223dfbfb3`,
  },
  legacyXtablesGate: {
    kernel: '6.17',
    what: 'the legacy tables (ip_tables, iptable_*, ip6table_*) need CONFIG_NETFILTER_XTABLES_LEGACY (default off); without it only iptables-nft works',
    source: `${LINUX}/blob/master/net/netfilter/Kconfig (NETFILTER_XTABLES_LEGACY); https://github.com/raspberrypi/linux/issues/7213; https://github.com/apple/containerization/issues/913`,
  },
  nftablesFloor: {
    kernel: '5.13',
    what: "Istio's nftables backend needs Linux 5.13 or later and nft 1.0.1 or later (kube-proxy's floor, copied by Istio)",
    source:
      'https://istio.io/latest/docs/ops/deployment/platform-requirements/; https://github.com/istio/istio.io/pull/16960; https://github.com/kubernetes/kubernetes/pull/124152',
  },
} as const satisfies Record<string, KernelChange>

/** The Kconfig symbol behind the 6.17 legacy-tables gate. */
export const LEGACY_XTABLES_SYMBOL = 'NETFILTER_XTABLES_LEGACY'

/** The nft userspace floor for Istio's nftables backend (the nft binary in Istio's images). */
export const NFT_MIN_VERSION = '1.0.1'
