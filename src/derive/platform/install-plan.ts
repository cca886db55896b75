import {stringify} from 'yaml'
import type {PlatformNode} from '../../gather/platform-objects.js'
import type {CniPaths, HelmValue, HelmValues, IstioPlatformValue, K3sFlavour, K3sRelease, Mode} from '../../knowledge/istio-platform.js'
import {
  GKE_PROFILE_QUOTAS_SINCE,
  ISTIO_CNI_CHART_DEFAULTS,
  k3sCniBinDir,
  k3sRelease,
  platformProfile,
  profileBinDir,
  samePath,
  SYSTEM_NAMESPACE,
} from '../../knowledge/istio-platform.js'
import {compareMinor} from '../../knowledge/versions.js'
import type {PlatformId} from '../../knowledge/platform-signals.js'
import type {CniDetection} from './detect-cni.js'
import type {PlatformDetection} from './detect-platform.js'
import {hasFeature} from './detect-platform.js'

/** The Istio release being judged and where it goes. */
export interface IstioTarget {
  /** `1.29`. */
  readonly minor: string
  /** `3` of 1.29.3 when known (from --istio-version or the installed image). */
  readonly patch?: number
  /** --istio-namespace. */
  readonly namespace: string
}

export interface InstallSettingsInput {
  readonly mode: Mode
  readonly platform: PlatformDetection
  readonly cni: CniDetection
  readonly istio: IstioTarget
  readonly nodes: readonly PlatformNode[]
  /** The Istio namespace already admits system-node-critical pods (a quota, or the dry-run said so). */
  readonly namespaceAdmitsNodeCritical: boolean
}

export interface HelmRelease {
  readonly release: string
  readonly chart: string
  readonly namespace: string
}

export interface InstallSettings {
  readonly mode: Mode
  /** The `global.platform` value, only ever one the charts ship (never eks, aks, kind, …). */
  readonly platformValue?: IstioPlatformValue
  /** Values for `helm install -f` (every Istio chart ignores the keys it does not use). */
  readonly values: HelmValues
  /** Arguments for `istioctl install`. */
  readonly istioctl: readonly string[]
  readonly releases: readonly HelmRelease[]
  /** False when this mode cannot run on the platform (GKE Autopilot or Docker Desktop ambient). */
  readonly supported: boolean
  readonly notes: readonly string[]
  /** Where istio-cni puts its files with these values (chart defaults < platform profile < explicit values). */
  readonly cniPaths: CniPaths
  /** The K3s release(s) the CNI bin dir was chosen for (K3s and k3d only). */
  readonly k3s?: K3sBinDirChoice
}

/** Which CNI bin dir the detected K3s release needs, and why. */
export interface K3sBinDirChoice {
  readonly flavour: K3sFlavour
  /** The K3s release the choice is for (the newest seen); undefined when no node shows one. */
  readonly release?: string
  /** The bin dir containerd reads on that release; undefined when the release is not visible. */
  readonly binDir?: string
  /** Every release seen, when the nodes run more than one that need different bin dirs. */
  readonly mixed?: readonly string[]
  readonly source: string
}

/** K3s with its bundled Flannel uses K3s's own CNI paths; a custom CNI (started with --flannel-backend=none) does not. */
export function k3sCustomCni(nodes: readonly PlatformNode[], cni: CniDetection): boolean {
  const noFlannel = nodes.some((n) => /--flannel-backend(=|"\s*,\s*"|\s+)none/.test(n.annotations['k3s.io/node-args'] ?? ''))
  return noFlannel || (cni.primary !== undefined && !(cni.primary.id === 'flannel' && cni.primary.daemonSet === undefined))
}

const minikubeDocker = (nodes: readonly PlatformNode[]) => nodes.some((n) => (n.containerRuntimeVersion ?? '').startsWith('docker://'))

/** The Istio docs' explicit K3s paths for a custom (non-bundled) CNI (ambient platform-prerequisites "K3s"). */
export const K3S_CUSTOM_CNI_VALUES: HelmValues = {
  cni: {cniConfDir: '/var/lib/rancher/k3s/agent/etc/cni/net.d', cniBinDir: '/var/lib/rancher/k3s/data/current/bin/'},
}

const byRelease = (a: K3sRelease, b: K3sRelease) => compareMinor(a.minor, b.minor) || a.patch - b.patch

/** The CNI bin dir the nodes' K3s release needs (the newest release decides; a mix that disagrees is reported). */
export function k3sBinDirChoice(flavour: K3sFlavour, nodes: readonly PlatformNode[]): K3sBinDirChoice {
  const releases = [
    ...new Map(
      nodes.flatMap((n) => {
        const r = k3sRelease(n.kubeletVersion)
        return r ? [[r.version, r] as const] : []
      }),
    ).values(),
  ].sort(byRelease)
  const newest = releases.at(-1)
  if (newest === undefined) return {flavour, source: k3sCniBinDir(flavour, {version: '', minor: '0.0', patch: 0}).change.source}
  const chosen = k3sCniBinDir(flavour, newest)
  const dirs = new Set(releases.map((r) => k3sCniBinDir(flavour, r).binDir))
  return {
    flavour,
    release: newest.version,
    binDir: chosen.binDir,
    mixed: dirs.size > 1 ? releases.map((r) => r.version) : undefined,
    source: chosen.change.source,
  }
}

/** Which `global.platform` the platform needs, if any (https://github.com/istio/istio/tree/master/manifests/helm-profiles). */
export function platformValueFor(platform: PlatformId, nodes: readonly PlatformNode[], cni: CniDetection): IstioPlatformValue | undefined {
  switch (platform) {
    case 'gke':
    case 'k3d':
    case 'microk8s':
    case 'openshift':
      return platform
    case 'k3s':
      return k3sCustomCni(nodes, cni) ? undefined : 'k3s'
    case 'minikube':
      return minikubeDocker(nodes) ? 'minikube' : undefined
    default:
      return undefined
  }
}

export function merge(a: HelmValues, b: HelmValues): HelmValues {
  const out: Record<string, HelmValues[string]> = {...a}
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k]
    out[k] = typeof prev === 'object' && typeof v === 'object' ? merge(prev, v) : v
  }
  return out
}

/** `{cni: {cniBinDir: x}}` → `[['cni.cniBinDir', x]]`. */
export function flatten(values: HelmValues, prefix = ''): Array<[string, string | number | boolean]> {
  return Object.entries(values).flatMap(([k, v]) =>
    typeof v === 'object' ? flatten(v, `${prefix}${k}.`) : [[`${prefix}${k}`, v] as [string, string | number | boolean]],
  )
}

const gkeQuotaFromProfile = (input: InstallSettingsInput, value: IstioPlatformValue | undefined) =>
  value === 'gke' && compareMinor(input.istio.minor, GKE_PROFILE_QUOTAS_SINCE) >= 0

/** Where istio-cni and ztunnel go: kube-system on OpenShift, and on GKE when nothing admits system-node-critical elsewhere. */
function nodeAgentNamespace(input: InstallSettingsInput, value: IstioPlatformValue | undefined): string {
  if (input.platform.platform === 'openshift') return SYSTEM_NAMESPACE
  if (input.platform.platform === 'gke' && !input.namespaceAdmitsNodeCritical && !gkeQuotaFromProfile(input, value)) return SYSTEM_NAMESPACE
  return input.istio.namespace
}

/** The bin dir `global.platform` (or the explicit values that replace it) gives, before any K3s correction. */
function plannedBinDir(values: HelmValues): string | undefined {
  const cni = values.cni
  return typeof cni === 'object' && typeof cni.cniBinDir === 'string' ? cni.cniBinDir : undefined
}

/** What istio-cni ends up with: chart defaults < the profile of global.platform (for the judged release) < values.cni. */
export function effectiveCniPaths(values: HelmValues, istioMinor: string, gke: boolean): CniPaths {
  const platform = typeof values.global === 'object' ? values.global.platform : undefined
  let paths: CniPaths = ISTIO_CNI_CHART_DEFAULTS
  const pick = (cni: HelmValue | undefined): Partial<CniPaths> => {
    if (typeof cni !== 'object') return {}
    const out: Record<string, string> = {}
    for (const key of ['cniBinDir', 'cniConfDir', 'cniNetnsDir'] as const) if (typeof cni[key] === 'string') out[key] = cni[key] as string
    return out
  }
  if (typeof platform === 'string') {
    const profile = platformProfile(platform as IstioPlatformValue)
    paths = {...paths, ...pick(profile.content.cni)}
    if (platform === 'k3s' || platform === 'k3d') paths = {...paths, cniBinDir: profileBinDir(platform, istioMinor)}
  }
  paths = {...paths, ...pick(values.cni)}
  // An empty cniBinDir lets the chart detect GKE from the server version (`-gke` → /home/kubernetes/bin).
  if (paths.cniBinDir === '') paths = {...paths, cniBinDir: gke ? '/home/kubernetes/bin' : ISTIO_CNI_CHART_DEFAULTS.cniBinDir}
  return paths
}

/** The exact install settings for one mode on the detected platform. */
export function planInstall(input: InstallSettingsInput): InstallSettings {
  const {mode, platform, istio} = input
  const notes: string[] = []
  let value = platformValueFor(platform.platform, input.nodes, input.cni)
  let values: HelmValues = mode === 'ambient' ? {profile: 'ambient'} : {}
  if (value !== undefined) {
    const profile = platformProfile(value)
    if (compareMinor(istio.minor, profile.addedIn) >= 0) {
      values = merge(values, {global: {platform: value}})
    } else {
      const legacy = profile.legacy && compareMinor(istio.minor, profile.legacy.before) < 0 ? profile.legacy.explicit : profile.explicit
      values = merge(values, legacy)
      notes.push(`Istio ${istio.minor} predates global.platform=${value} (added in ${profile.addedIn}), so its settings are spelled out`)
      value = undefined
    }
  } else if (platform.platform === 'k3s') {
    values = merge(values, K3S_CUSTOM_CNI_VALUES)
    notes.push("K3s with a custom CNI: the paths are where K3s's containerd reads CNI files; if your CNI was installed with other paths, use those")
  }
  const flavour: K3sFlavour | undefined = platform.platform === 'k3s' || platform.platform === 'k3d' ? platform.platform : undefined
  const k3s = flavour ? k3sBinDirChoice(flavour, input.nodes) : undefined
  if (k3s) {
    const given = value === 'k3s' || value === 'k3d' ? profileBinDir(value, istio.minor) : plannedBinDir(values)
    if (k3s.binDir !== undefined && !samePath(given, k3s.binDir)) {
      values = merge(values, {cni: {cniBinDir: k3s.binDir}})
      notes.push(
        `K3s ${k3s.release} has containerd read CNI binaries from ${k3s.binDir}${value ? `, not ${given} as global.platform=${value} in Istio ${istio.minor} sets` : ''}`,
      )
    }
    if (k3s.binDir === undefined)
      notes.push(
        `no node shows its K3s release, so the CNI bin dir could not be matched to it: K3s releases from October 2024 (v1.28.15, v1.29.10, v1.30.6, v1.31.2, 1.32+) use /var/lib/rancher/k3s/data/cni, older ones /var/lib/rancher/k3s/data/current/bin/`,
      )
    if (k3s.mixed)
      notes.push(`the nodes run K3s ${k3s.mixed.join(', ')}, which read CNI binaries from different directories; upgrade every node to ${k3s.release} first`)
  }
  const usesCni = mode === 'ambient' || platform.platform === 'openshift' || platform.platform === 'talos'
  if (mode === 'sidecar' && platform.platform === 'openshift') {
    notes.push(
      'OpenShift sidecars: grant the anyuid SCC to the istio-system service accounts and app namespaces (UID 1337) and create NetworkAttachmentDefinition istio-cni in each app namespace (istio.io platform-setup/openshift)',
    )
  }
  if (mode === 'sidecar' && platform.platform === 'talos') {
    values = merge(values, {pilot: {cni: {enabled: true}}})
    notes.push('Talos enforces Pod Security "baseline", which forbids istio-init\'s NET_ADMIN: use the istio-cni node agent')
  }
  const agents = nodeAgentNamespace(input, value)
  if (mode === 'ambient' && agents === SYSTEM_NAMESPACE && platform.platform !== 'openshift')
    values = merge(values, {pilot: {trustedZtunnelNamespace: SYSTEM_NAMESPACE}})
  const releases: HelmRelease[] = [
    {release: 'istio-base', chart: 'istio/base', namespace: istio.namespace},
    {release: 'istiod', chart: 'istio/istiod', namespace: istio.namespace},
    ...(usesCni ? [{release: 'istio-cni', chart: 'istio/cni', namespace: agents}] : []),
    ...(mode === 'ambient' ? [{release: 'ztunnel', chart: 'istio/ztunnel', namespace: agents}] : []),
  ]
  const supported = !(mode === 'ambient' && (hasFeature(platform, 'gke-autopilot') || platform.platform === 'docker-desktop'))
  const cniPaths = effectiveCniPaths(values, istio.minor, platform.platform === 'gke')
  return {mode, platformValue: value, values, istioctl: istioctlArgs(input, values, agents, usesCni), releases, supported, notes, cniPaths, k3s}
}

function istioctlArgs(input: InstallSettingsInput, values: HelmValues, agents: string, usesCni: boolean): string[] {
  const set = (kv: string) => ['--set', kv]
  if (input.platform.platform === 'openshift') return set(`profile=${input.mode === 'ambient' ? 'openshift-ambient' : 'openshift'}`)
  const {profile, ...rest} = values
  const args = set(`profile=${typeof profile === 'string' ? profile : 'default'}`)
  if (usesCni && input.mode === 'sidecar') args.push(...set('components.cni.enabled=true'))
  if (usesCni && agents !== input.istio.namespace) args.push(...set(`components.cni.namespace=${agents}`))
  if (input.mode === 'ambient' && agents !== input.istio.namespace) args.push(...set(`components.ztunnel.namespace=${agents}`))
  for (const [key, value] of flatten(rest)) args.push(...set(`values.${key}=${value}`))
  return args
}

export const helmCommand = (r: HelmRelease, first: boolean): string =>
  `helm install ${r.release} ${r.chart} -n ${r.namespace}${first ? ' --create-namespace' : ''} -f values.yaml --wait`

/** The values file as printed by `--values`: a comment header with the helm commands, then the YAML. */
export function valuesDocument(plan: InstallSettings, title: string): string {
  const header = [
    `# ${title}`,
    ...(plan.supported ? [] : [`# WARNING: ${plan.mode} mode is not available on this platform; see \`kubectl mesh-ready platform --mode ${plan.mode}\``]),
    ...plan.notes.map((n) => `# Note: ${n}`),
    '# Install with:',
    ...plan.releases.map((r, i) => `#   ${helmCommand(r, plan.releases.findIndex((x) => x.namespace === r.namespace) === i)}`),
  ]
  return `${header.join('\n')}\n${stringify(plan.values)}`
}
