import {BlockList, isIPv4, isIPv6} from 'node:net'
import {stringify} from 'yaml'
import type {CiliumPolicySummary, LabelSelector, NetworkPolicySummary, PlatformNode} from '../../gather/platform-objects.js'
import {PROBE_SNAT_IPV4, PROBE_SNAT_IPV6} from '../../knowledge/istio-platform.js'

const family = (ip: string): 'ipv4' | 'ipv6' | undefined => (isIPv4(ip) ? 'ipv4' : isIPv6(ip) ? 'ipv6' : undefined)

/** Whether a CIDR (or a bare address) contains the address; false for malformed input or mixed families. */
export function cidrContains(cidr: string, address: string): boolean {
  const [base = '', bits] = cidr.trim().split('/')
  const f = family(base)
  if (f === undefined || f !== family(address)) return false
  const prefix = bits === undefined ? (f === 'ipv4' ? 32 : 128) : Number(bits)
  const list = new BlockList()
  try {
    list.addSubnet(base, prefix, f)
  } catch {
    return false
  }
  return list.check(address, f)
}

/** The probe SNAT addresses ambient needs allowed: IPv4 always, IPv6 when any node has IPv6 (https://istio.io/latest/docs/ambient/usage/networkpolicy/). */
export const snatAddresses = (nodes: readonly PlatformNode[], ipv6 = false): string[] =>
  ipv6 || nodes.some((n) => n.ipv6) ? [PROBE_SNAT_IPV4, PROBE_SNAT_IPV6] : [PROBE_SNAT_IPV4]

export const hostCidr = (address: string): string => `${address}/${isIPv6(address) ? 128 : 32}`

export const selectsAll = (s: LabelSelector): boolean => Object.keys(s.matchLabels ?? {}).length === 0 && (s.matchExpressions ?? []).length === 0

/** A NetworkPolicy admits the address when one ingress rule has no `from` (any source) or an ipBlock covering it. */
export function policyAllows(np: NetworkPolicySummary, address: string): boolean {
  return np.ingress.some(
    (rule) =>
      rule.from.length === 0 ||
      rule.from.some((p) => p.ipBlock !== undefined && cidrContains(p.ipBlock.cidr, address) && !p.ipBlock.except.some((e) => cidrContains(e, address))),
  )
}

/**
 * NetworkPolicies of one namespace that would drop the probe SNAT traffic. Policies are additive, so a policy that
 * selects every pod and admits the addresses covers the namespace (without pods, that is the approximation used).
 */
export function blockingPolicies(policies: readonly NetworkPolicySummary[], addresses: readonly string[]): NetworkPolicySummary[] {
  const restricting = policies.filter((p) => p.restrictsIngress)
  const admitsAll = (p: NetworkPolicySummary) => addresses.every((a) => policyAllows(p, a))
  if (restricting.some((p) => selectsAll(p.podSelector) && admitsAll(p))) return []
  return restricting.filter((p) => !admitsAll(p))
}

export function allowProbesNetworkPolicy(namespace: string, addresses: readonly string[]): string {
  return stringify({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: {name: 'allow-ambient-host-probes', namespace},
    spec: {podSelector: {}, policyTypes: ['Ingress'], ingress: [{from: addresses.map((a) => ({ipBlock: {cidr: hostCidr(a)}}))}]},
  })
}

/** The CiliumClusterwideNetworkPolicy from the Istio docs, with the IPv6 address added when needed. */
export function allowProbesCiliumPolicy(addresses: readonly string[]): string {
  return stringify({
    apiVersion: 'cilium.io/v2',
    kind: 'CiliumClusterwideNetworkPolicy',
    metadata: {name: 'allow-ambient-hostprobes'},
    spec: {
      description: 'Allows SNAT-ed kubelet health check probes into ambient pods',
      enableDefaultDeny: {egress: false, ingress: false},
      endpointSelector: {},
      ingress: [{fromCIDR: addresses.map(hostCidr)}],
    },
  })
}

/** A cluster-wide Cilium policy that admits the addresses into every endpoint. */
export const ciliumAllowsProbes = (p: CiliumPolicySummary, addresses: readonly string[]): boolean =>
  p.kind === 'CiliumClusterwideNetworkPolicy' && p.selectsAllEndpoints && addresses.every((a) => p.ingressCidrs.some((c) => cidrContains(c, a)))
