import {MODES} from './istio-modes.js'
import type {Mode} from './istio-modes.js'

/**
 * Istio install facts that depend on the platform: the `global.platform` profiles the Helm charts ship, the
 * version gates of platform-related fixes, and the addresses ambient uses for kubelet probes.
 * Source: ../shared/reference/platforms.md §1 (istio/istio manifests/helm-profiles at 86c9f01), §3.5, §5.1.
 */

/** Data-plane modes the plugin judges; `both` on the command line means the two side by side. */
export {MODES}
export type {Mode}

/** istio-cni SNATs kubelet probes to this link-local address in ambient (cni/README.md `HOST_PROBE_SNAT_IP`). */
export const PROBE_SNAT_IPV4 = '169.254.7.127'
/** The IPv6 equivalent (`HOST_PROBE_SNAT_IPV6`; istio/istio#56484, istio.io PR #16833). */
export const PROBE_SNAT_IPV6 = 'fd16:9254:7127:1337:ffff:ffff:ffff:ffff'

/** istio-cni and ztunnel hard-code this priority class (istio-cni daemonset.yaml:84, ztunnel daemonset.yaml:214). */
export const NODE_CRITICAL_PRIORITY = 'system-node-critical'

export const ISTIO_PLATFORM_VALUES = ['gke', 'k3d', 'k3s', 'microk8s', 'minikube', 'openshift'] as const
export type IstioPlatformValue = (typeof ISTIO_PLATFORM_VALUES)[number]

/** Values a user might guess that have no profile file: Helm then fails with `unknown platform <x>` (§1.2). */
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
const PROFILES_SOURCE = 'istio/istio manifests/helm-profiles (platforms.md §1.2)'

export const ISTIO_PLATFORM_PROFILES: readonly PlatformProfile[] = [
  {
    value: 'gke',
    addedIn: '1.25',
    content: {cni: {cniBinDir: '', resourceQuotas: {enabled: true}}, resourceQuotas: {enabled: true}},
    explicit: {cni: {cniBinDir: '/home/kubernetes/bin'}},
    source: `${PROFILES_SOURCE}; PR #54141 (profile, 1.25), PR #55542 (quotas, 1.26)`,
  },
  {
    value: 'k3d',
    addedIn: '1.24',
    content: {cni: {cniConfDir: K3S_CONF_DIR, cniBinDir: '/bin'}},
    explicit: {cni: {cniConfDir: K3S_CONF_DIR, cniBinDir: '/bin'}},
    source: `${PROFILES_SOURCE}; PR #52981`,
  },
  {
    value: 'k3s',
    addedIn: '1.24',
    content: {cni: {cniConfDir: K3S_CONF_DIR, cniBinDir: '/var/lib/rancher/k3s/data/cni'}},
    explicit: {cni: {cniConfDir: K3S_CONF_DIR, cniBinDir: '/var/lib/rancher/k3s/data/cni'}},
    legacy: {before: '1.25', explicit: {cni: {cniConfDir: K3S_CONF_DIR, cniBinDir: '/var/lib/rancher/k3s/data/current/bin/'}}},
    source: `${PROFILES_SOURCE}; bin dir fixed in 1.25 (PR #54112)`,
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
    source: `${PROFILES_SOURCE}; istio/istio#46163`,
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
    source: `${PROFILES_SOURCE}; istio.io ambient platform-prerequisites "Red Hat OpenShift"`,
  },
]

export function platformProfile(value: IstioPlatformValue): PlatformProfile {
  return ISTIO_PLATFORM_PROFILES.find((p) => p.value === value)!
}

/** Since this release `global.platform=gke` renders the system-node-critical ResourceQuotas itself (§5.1; istio/istio#56376). */
export const GKE_PROFILE_QUOTAS_SINCE = '1.26'

/**
 * istio/istio PR #59778 (kubelet probes with AWS VPC CNI security groups for pods) shipped in these patch releases;
 * every minor from `fixedFromMinor` on has it (§3.5).
 */
export const AWS_BRANCH_ENI_PROBE_FIX = {patches: {'1.28': 7, '1.29': 3} as Readonly<Record<string, number>>, fixedFromMinor: '1.30'} as const

/** Where istio-cni and ztunnel run when they cannot run in the Istio namespace (OpenShift, GKE without a quota). */
export const SYSTEM_NAMESPACE = 'kube-system'

/** Why a platform needs no `global.platform` value (platforms.md §1.2 "Not valid", §3.1, §6.1). */
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

/** The patch of `1.29.3` (from the flag, or from the installed version when that is what is judged). */
export function istioPatchOf(version: string | undefined, minor: string): number | undefined {
  const match = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version?.trim() ?? '')
  return match && `${Number(match[1])}.${Number(match[2])}` === minor ? Number(match[3]) : undefined
}
