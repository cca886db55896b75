/**
 * Kernel changes that break a naive "is module X present" check. The evaluation never gates on the version alone
 * (RHEL 8.3 backported the merges to 4.18.0-240): a merge is claimed only when the files show it. Versions are used
 * only where the kernel's own files are silent (a hidden Kconfig gate) or where Istio states a floor.
 * Source: ../shared/reference/kernel-and-interception.md §1.1 (cited per row).
 */
export interface KernelChange {
  /** The first upstream release with the change (`≤x` where only an upper bound is sourced). */
  readonly kernel: string
  readonly what: string
  readonly source: string
}

export const KERNEL_HISTORY = {
  conntrackL3Merged: {
    kernel: '4.19',
    what: 'nf_conntrack_ipv4 and nf_conntrack_ipv6 were folded into nf_conntrack (CONFIG_NF_CONNTRACK_IPV4/IPV6 removed); RHEL 8.3 (4.18.0-240) backported it',
    source: 'torvalds/linux a0ae2562c6c4; kubernetes/kubernetes#70304, #97052; reference §1.1',
  },
  natL3Merged: {
    kernel: '5.1',
    what: 'nf_nat_ipv4 and nf_nat_ipv6 were merged into nf_nat (CONFIG_NF_NAT_IPV4/IPV6 removed); RHEL 8.3 backported it',
    source: 'torvalds/linux 3bf195ae6037; lxc/lxc#3917; gravitational/satellite#288; reference §1.1',
  },
  natRedirectLinked: {
    kernel: '≤5.10',
    what: 'CONFIG_NF_NAT_REDIRECT became a bool linked into nf_nat.ko, so nf_nat_redirect never appears as a module (exact release unverified; ≤5.10)',
    source: 'net/netfilter/Makefile (nf_nat-$(CONFIG_NF_NAT_REDIRECT) += nf_nat_redirect.o); lxc/lxc#3917; reference §1.1',
  },
  nftChainNatMerged: {
    kernel: '5.1',
    what: 'per-family nft_chain_nat_ipv4/ipv6 became nft_chain_nat, built by CONFIG_NFT_NAT',
    source: 'netfilter patches (obj-$(CONFIG_NFT_NAT) += nft_chain_nat.o); canonical/lxd#8724; reference §1.3',
  },
  nftCounterBuiltin: {
    kernel: '5.17',
    what: 'nft_counter was made part of nf_tables (CONFIG_NFT_COUNTER removed)',
    source: 'torvalds/linux 023223dfbfb3; reference §1.1',
  },
  legacyXtablesGate: {
    kernel: '6.17',
    what: 'the legacy tables (ip_tables, iptable_*, ip6table_*) need CONFIG_NETFILTER_XTABLES_LEGACY (default off); without it only iptables-nft works',
    source: 'raspberrypi/linux#7213; apple/containerization#913; zabbly/linux#47; reference §1.1',
  },
  nftablesFloor: {
    kernel: '5.13',
    what: "Istio's nftables backend needs Linux 5.13 or later and nft 1.0.1 or later (kube-proxy's floor, copied by Istio)",
    source: 'https://istio.io/latest/docs/ops/deployment/platform-requirements/ (istio/istio.io#16960); kubernetes/kubernetes#124152; reference §1.3',
  },
} as const satisfies Record<string, KernelChange>

/** The Kconfig symbol behind the 6.17 legacy-tables gate. */
export const LEGACY_XTABLES_SYMBOL = 'NETFILTER_XTABLES_LEGACY'

/** The nft userspace floor for Istio's nftables backend (the nft binary in Istio's images). */
export const NFT_MIN_VERSION = '1.0.1'
