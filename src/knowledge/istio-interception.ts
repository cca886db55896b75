import {compareMinor} from './versions.js'

/**
 * How Istio's interception behaves by release: the defaults and code paths that decide which kernel features its
 * rules need. Each row is one fact with the releases it holds for and a primary source (Istio's code, chart values
 * or change notes). `from`/`before` are Istio minor releases; a row without them holds for every release the plugin
 * knows (1.23 and later).
 */
export interface IstioBehaviour<T> {
  readonly what: string
  /** The value for releases before `changedIn`, and from it on. */
  readonly before: T
  readonly from: T
  /** The first minor release with `from`; undefined = never changed in the releases the plugin knows. */
  readonly changedIn?: string
  readonly source: string
}

const GH = 'https://github.com/istio/istio/blob/master'

export const ISTIO_BEHAVIOURS = {
  ambientDnsCapture: {
    what: "istio-cni captures ambient pods' DNS by default (cni.ambient.dnsCapture, AMBIENT_DNS_CAPTURE): raw-table CT --zone rules and conntrack zones",
    before: false,
    from: true,
    changedIn: '1.25',
    source: `https://istio.io/latest/news/releases/1.25.x/announcing-1.25/change-notes/ ("Promoted the cni.ambient.dnsCapture value to default to true"); ${GH}/manifests/charts/istio-cni/values.yaml`,
  },
  sidecarDnsCapture: {
    what: 'sidecars capture DNS only when ISTIO_META_DNS_CAPTURE is set (off by default)',
    before: false,
    from: false,
    source: `https://istio.io/latest/docs/ops/configuration/traffic-management/dns-proxy/; ${GH}/tools/istio-iptables/pkg/capture/run.go`,
  },
  ambientIpv6: {
    what: 'istio-cni writes IPv6 rules by default (cni.ambient.ipv6=true, since the value exists): it needs a working ip6tables (or nft ip6 rules) and `ip -6 rule`, and fails to start without them even on an IPv4-only cluster unless cni.ambient.ipv6=false',
    before: true,
    from: true,
    source: `${GH}/manifests/charts/istio-cni/values.yaml (ambient.ipv6: true); ${GH}/cni/pkg/iptables/iptables.go (NewIptablesConfigurator returns the ip6tables detection error); https://istio.io/latest/docs/ambient/install/platform-prerequisites/`,
  },
  ambientReconcile: {
    what: "istio-cni reconciles existing ambient pods' rules on upgrade (cni.ambient.reconcileIptablesOnStartup), first writing guardrail DROP rules into the filter table of both iptables families",
    before: false,
    from: true,
    changedIn: '1.29',
    source: `https://istio.io/latest/news/releases/1.29.x/announcing-1.29/change-notes/ ("Promoted cni.ambient.reconcileIptablesOnStartup to true by default"); ${GH}/cni/pkg/iptables/iptables.go (executeCommands: BuildGuardrails for iptV and ipt6V); ${GH}/tools/istio-iptables/pkg/builder/iptables_builder_impl.go (buildGuardrails: -t filter INPUT/FORWARD/OUTPUT -j DROP)`,
  },
  iptablesProbeTable: {
    what: "the table Istio's iptables backend detection writes its test rule (-p 255) into: before the fix it was filter, so a node with iptable_filter but without a loadable iptable_nat passed and then failed writing nat rules; before the fix iptables-legacy was taken whenever that test passed",
    before: 'filter',
    from: 'nat',
    changedIn: '1.28',
    source: `${GH}/tools/istio-iptables/pkg/dependencies/implementation_linux.go (testRuleAdd); https://github.com/istio/istio/issues/57380; https://github.com/istio/istio/pull/57385`,
  },
  ambientRedirect: {
    what: 'ambient in-pod redirection uses REDIRECT (before: TPROXY with -m conntrack and xt_TPROXY)',
    before: 'tproxy',
    from: 'redirect',
    changedIn: '1.24',
    source: 'https://github.com/istio/istio/pull/52622; https://github.com/istio/istio/issues/51030',
  },
} as const satisfies Record<string, IstioBehaviour<unknown>>

/** The value of a behaviour in a judged Istio minor release. */
export function behaviourIn<T>(b: IstioBehaviour<T>, istioVersion: string): T {
  return b.changedIn !== undefined && compareMinor(istioVersion, b.changedIn) < 0 ? b.before : b.from
}

/** Istio's DNS capture default for a mode in a release (what `--dns-capture` overrides). */
export function dnsCaptureDefault(mode: 'sidecar' | 'ambient', istioVersion: string): boolean {
  return behaviourIn<boolean>(mode === 'ambient' ? ISTIO_BEHAVIOURS.ambientDnsCapture : ISTIO_BEHAVIOURS.sidecarDnsCapture, istioVersion)
}
