import {MODES} from './istio-modes.js'
import type {Mode} from './istio-modes.js'
import {compareMinor} from './versions.js'

/**
 * Istio install facts that depend on the platform: the `global.platform` profiles the Helm charts ship, the
 * version gates of platform-related fixes, the CNI paths of K3s by K3s release, and the addresses ambient uses for
 * kubelet probes. Every row names its primary source (istio/istio manifests/helm-profiles, the charts, K3s PRs).
 */

/** Data-plane modes the plugin judges; `both` on the command line means the two side by side. */
export {MODES}
export type {Mode}

/** istio-cni SNATs kubelet probes to this link-local address in ambient (https://github.com/istio/istio/blob/master/cni/README.md `HOST_PROBE_SNAT_IP`). */
export const PROBE_SNAT_IPV4 = '169.254.7.127'
/** The IPv6 equivalent (`HOST_PROBE_SNAT_IPV6`; https://github.com/istio/istio/issues/56484). */
export const PROBE_SNAT_IPV6 = 'fd16:9254:7127:1337:ffff:ffff:ffff:ffff'

/** istio-cni and ztunnel hard-code this priority class (https://github.com/istio/istio/blob/master/manifests/charts/istio-cni/templates/daemonset.yaml, manifests/charts/ztunnel/templates/daemonset.yaml). */
export const NODE_CRITICAL_PRIORITY = 'system-node-critical'

export const ISTIO_PLATFORM_VALUES = ['gke', 'k3d', 'k3s', 'microk8s', 'minikube', 'openshift'] as const
export type IstioPlatformValue = (typeof ISTIO_PLATFORM_VALUES)[number]

/** Values a user might guess that have no profile file: Helm then fails with `unknown platform <x>` (https://github.com/istio/istio/blob/master/manifests/charts/istio-cni/templates/zzz_profile.yaml). */
export const NOT_ISTIO_PLATFORM_VALUES: readonly string[] = ['eks', 'aks', 'kind', 'rke2', 'talos', 'docker-desktop', 'gcp']

export type HelmValues = {readonly [key: string]: HelmValue}
export type HelmValue = string | number | boolean | HelmValues

export interface PlatformProfile {
  readonly value: IstioPlatformValue
  /** First Istio minor whose charts accept this value. */
  readonly addedIn: string
  /** Exact content of manifests/helm-profiles/platform-<value>.yaml at HEAD. */
  readonly content: HelmValues
  /** What to set explicitly instead when the judged release predates the profile (same effect, no platform value). */
  readonly explicit: HelmValues
  /** Older explicit values for releases before `before` (a profile that changed). */
  readonly legacy?: {readonly before: string; readonly explicit: HelmValues}
  readonly source: string
}

const K3S_CONF_DIR = '/var/lib/rancher/k3s/agent/etc/cni/net.d'
const PROFILES_SOURCE = 'https://github.com/istio/istio/tree/master/manifests/helm-profiles'

export const ISTIO_PLATFORM_PROFILES: readonly PlatformProfile[] = [
  {
    value: 'gke',
    addedIn: '1.25',
    content: {cni: {cniBinDir: '', resourceQuotas: {enabled: true}}, resourceQuotas: {enabled: true}},
    explicit: {cni: {cniBinDir: '/home/kubernetes/bin'}},
    source: `${PROFILES_SOURCE}; https://github.com/istio/istio/pull/54141 (profile, 1.25), https://github.com/istio/istio/pull/55542 (quotas, 1.26)`,
  },
  {
    value: 'k3d',
    addedIn: '1.24',
    content: {cni: {cniConfDir: K3S_CONF_DIR, cniBinDir: '/bin'}},
    explicit: {cni: {cniConfDir: K3S_CONF_DIR, cniBinDir: '/bin'}},
    source: `${PROFILES_SOURCE}; https://github.com/istio/istio/pull/52981`,
  },
  {
    value: 'k3s',
    addedIn: '1.24',
    content: {cni: {cniConfDir: K3S_CONF_DIR, cniBinDir: '/var/lib/rancher/k3s/data/cni'}},
    explicit: {cni: {cniConfDir: K3S_CONF_DIR, cniBinDir: '/var/lib/rancher/k3s/data/cni'}},
    legacy: {before: '1.25', explicit: {cni: {cniConfDir: K3S_CONF_DIR, cniBinDir: '/var/lib/rancher/k3s/data/current/bin/'}}},
    source: `${PROFILES_SOURCE}; bin dir changed in 1.25 (https://github.com/istio/istio/pull/54112)`,
  },
  {
    value: 'microk8s',
    addedIn: '1.24',
    content: {cni: {cniConfDir: '/var/snap/microk8s/current/args/cni-network', cniBinDir: '/var/snap/microk8s/current/opt/cni/bin'}},
    explicit: {cni: {cniConfDir: '/var/snap/microk8s/current/args/cni-network', cniBinDir: '/var/snap/microk8s/current/opt/cni/bin'}},
    source: PROFILES_SOURCE,
  },
  {
    value: 'minikube',
    addedIn: '1.24',
    content: {cni: {cniNetnsDir: '/var/run/docker/netns'}},
    explicit: {cni: {cniNetnsDir: '/var/run/docker/netns'}},
    source: `${PROFILES_SOURCE}; https://github.com/istio/istio/issues/46163`,
  },
  {
    value: 'openshift',
    addedIn: '1.24',
    content: {
      cni: {cniBinDir: '/var/lib/cni/bin', cniConfDir: '/etc/cni/multus/net.d', chained: false, cniConfFileName: 'istio-cni.conf', provider: 'multus'},
      pilot: {cni: {enabled: true, provider: 'multus'}, terminationMessagePolicy: 'FallbackToLogsOnError'},
      seLinuxOptions: {type: 'spc_t'},
      trustedZtunnelNamespace: 'kube-system',
    },
    explicit: {
      cni: {cniBinDir: '/var/lib/cni/bin', cniConfDir: '/etc/cni/multus/net.d', chained: false, cniConfFileName: 'istio-cni.conf', provider: 'multus'},
      pilot: {cni: {enabled: true, provider: 'multus'}},
      seLinuxOptions: {type: 'spc_t'},
    },
    source: `${PROFILES_SOURCE}; https://istio.io/latest/docs/ambient/install/platform-prerequisites/#red-hat-openshift`,
  },
]

export function platformProfile(value: IstioPlatformValue): PlatformProfile {
  return ISTIO_PLATFORM_PROFILES.find((p) => p.value === value)!
}

/** Since this release `global.platform=gke` renders the system-node-critical ResourceQuotas itself (https://github.com/istio/istio/pull/55542, https://github.com/istio/istio/issues/56376). */
export const GKE_PROFILE_QUOTAS_SINCE = '1.26'

/**
 * https://github.com/istio/istio/pull/59778 (kubelet probes with AWS VPC CNI security groups for pods) shipped in these
 * patch releases; every minor from `fixedFromMinor` on has it.
 */
export const AWS_BRANCH_ENI_PROBE_FIX = {patches: {'1.28': 7, '1.29': 3} as Readonly<Record<string, number>>, fixedFromMinor: '1.30'} as const

/** Where istio-cni and ztunnel run when they cannot run in the Istio namespace (OpenShift, GKE without a quota). */
export const SYSTEM_NAMESPACE = 'kube-system'

/** Why a platform needs no `global.platform` value (no profile file in https://github.com/istio/istio/tree/master/manifests/helm-profiles). */
export const NO_PLATFORM_VALUE_REASON: Readonly<Record<string, string>> = {
  eks: 'EKS uses the standard CNI paths (aws-node HOST_CNI_BIN_PATH /opt/cni/bin, HOST_CNI_CONFDIR_PATH /etc/cni/net.d)',
  aks: 'AKS uses the standard CNI paths',
  kind: 'kind needs nothing: default paths and kindnet',
  rke2: 'RKE2 uses /etc/cni/net.d and /opt/cni/bin',
  minikube: 'minikube without the docker runtime uses the default network-namespace directory',
  'docker-desktop': 'Docker Desktop has no platform value',
  talos: 'Talos uses the standard CNI paths',
  kubeadm: 'kubeadm clusters use the standard CNI paths',
}

/** Where the istio-cni chart puts its files when no platform value or explicit value says otherwise. */
export interface CniPaths {
  readonly cniBinDir: string
  readonly cniConfDir: string
  readonly cniNetnsDir: string
}

/** https://github.com/istio/istio/blob/master/manifests/charts/istio-cni/values.yaml (cniBinDir, cniConfDir, cniNetnsDir). */
export const ISTIO_CNI_CHART_DEFAULTS: CniPaths = {cniBinDir: '/opt/cni/bin', cniConfDir: '/etc/cni/net.d', cniNetnsDir: '/var/run/netns'}

/** The istio-cni-node DaemonSet's hostPath volumes for each setting (manifests/charts/istio-cni/templates/daemonset.yaml). */
export const ISTIO_CNI_HOST_PATH_VOLUMES: Readonly<Record<keyof CniPaths, string>> = {
  cniBinDir: 'cni-bin-dir',
  cniConfDir: 'cni-net-dir',
  cniNetnsDir: 'cni-netns-dir',
}
export const ISTIO_CNI_CHART_SOURCE = 'https://github.com/istio/istio/blob/master/manifests/charts/istio-cni/templates/daemonset.yaml'

/**
 * Platforms whose container runtime reads CNI files from non-default directories that nothing detects: installing
 * istio-cni with the chart defaults fails there (the plugin is never called, pods are not captured).
 */
export const NON_DEFAULT_CNI_PATH_PLATFORMS: Readonly<Partial<Record<string, string>>> = {
  k3s: 'https://istio.io/latest/docs/ambient/install/platform-prerequisites/#k3s',
  k3d: 'https://istio.io/latest/docs/ambient/install/platform-prerequisites/#k3d',
  microk8s: 'https://istio.io/latest/docs/ambient/install/platform-prerequisites/#microk8s',
}

/** K3s in its container image (k3d) or installed on the host. */
export type K3sFlavour = 'k3s' | 'k3d'

/** One change of the directory K3s tells containerd to read CNI binaries from (`bin_dir` in its containerd config.toml). */
export interface K3sCniBinDirChange {
  readonly flavour: K3sFlavour
  /** The directory from these releases on. */
  readonly binDir: string
  /** The directory before them. */
  readonly before: string
  /** First K3s patch release with the change, per Kubernetes minor. */
  readonly firstPatch: Readonly<Record<string, number>>
  /** Every minor from this one on has the change from its first release. */
  readonly fromMinor: string
  readonly source: string
}

export const K3S_CNI_BIN_DIRS: readonly K3sCniBinDirChange[] = [
  {
    flavour: 'k3s',
    binDir: '/var/lib/rancher/k3s/data/cni',
    before: '/var/lib/rancher/k3s/data/current/bin/',
    // The October 2024 releases: v1.28.15+k3s1, v1.29.10+k3s1, v1.30.6+k3s1, v1.31.2+k3s1 (backports #10928–#10931).
    firstPatch: {'1.28': 15, '1.29': 10, '1.30': 6, '1.31': 2},
    fromMinor: '1.32',
    source:
      'https://github.com/k3s-io/k3s/pull/10868 ; https://github.com/k3s-io/k3s/issues/10869 (backports https://github.com/k3s-io/k3s/issues/10928, #10929, #10930, #10931)',
  },
  {
    flavour: 'k3d',
    binDir: '/var/lib/rancher/k3s/data/cni',
    before: '/bin',
    // The K3s container image kept /bin until the March 2025 releases v1.29.15, v1.30.11, v1.31.7, v1.32.3.
    firstPatch: {'1.29': 15, '1.30': 11, '1.31': 7, '1.32': 3},
    fromMinor: '1.33',
    source:
      'https://github.com/k3s-io/k3s/pull/11790 ; https://github.com/k3s-io/k3s/issues/11497 (backports https://github.com/k3s-io/k3s/issues/11798, #11799, #11800, #11964); https://github.com/k3d-io/k3d/issues/1572',
  },
]

export interface K3sRelease {
  /** `v1.30.5+k3s1`. */
  readonly version: string
  /** `1.30`. */
  readonly minor: string
  readonly patch: number
}

/** The K3s release in a kubelet version (`v1.30.5+k3s1`, `v1.31.7-rc1+k3s1`); undefined for anything else. */
export function k3sRelease(kubeletVersion: string | undefined): K3sRelease | undefined {
  const match = /^v?(\d+)\.(\d+)\.(\d+)(?:-[\w.]+)?\+k3s\d*$/.exec(kubeletVersion?.trim() ?? '')
  return match ? {version: kubeletVersion!.trim(), minor: `${Number(match[1])}.${Number(match[2])}`, patch: Number(match[3])} : undefined
}

/** The directory containerd reads CNI binaries from on this K3s release, and the table row that decided it. */
export function k3sCniBinDir(flavour: K3sFlavour, release: K3sRelease): {binDir: string; change: K3sCniBinDirChange; changed: boolean} {
  const change = K3S_CNI_BIN_DIRS.find((c) => c.flavour === flavour)!
  const first = change.firstPatch[release.minor]
  const changed = compareMinor(release.minor, change.fromMinor) >= 0 || (first !== undefined && release.patch >= first)
  return {binDir: changed ? change.binDir : change.before, change, changed}
}

/** The bin dir `global.platform=k3s|k3d` gives in the judged Istio release (the k3s profile changed in 1.25). */
export function profileBinDir(value: 'k3s' | 'k3d', istioMinor: string): string {
  const profile = platformProfile(value)
  const explicit = profile.legacy && compareMinor(istioMinor, profile.legacy.before) < 0 ? profile.legacy.explicit : profile.content
  const cni = explicit.cni as HelmValues | undefined
  return String(cni?.cniBinDir ?? ISTIO_CNI_CHART_DEFAULTS.cniBinDir)
}

/** `/a/b/` and `/a/b` are the same directory. */
export const samePath = (a: string | undefined, b: string | undefined): boolean =>
  a !== undefined && b !== undefined && a.replace(/\/+$/, '') === b.replace(/\/+$/, '')
