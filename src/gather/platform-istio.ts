import type {Fact, MeshBackend, MeshMode} from '../model/finding.js'
import {known} from '../model/finding.js'
import type {CniPaths} from '../knowledge/istio-platform.js'
import {ISTIO_CNI_HOST_PATH_VOLUMES} from '../knowledge/istio-platform.js'
import {gatherFact} from './facts.js'
import {PLATFORM_NAMESPACES} from '../knowledge/cni-signals.js'
import {compareParts, minorOf, type VersionParts, versionParts} from '../knowledge/versions.js'
import type {KubeClient} from './kube/client.js'
import type {Inventory} from './platform-list.js'
import {listAcross} from './platform-list.js'
import type {PlatformWorkload} from './platform-objects.js'
import {imageVersion, summarizeWorkload} from './platform-objects.js'

/** istiod Deployments carry `app: istiod` in every chart and revision (istio-discovery templates/deployment.yaml). */
export const ISTIOD_SELECTOR = 'app=istiod'

export type IstioComponent = 'istiod' | 'istio-cni' | 'ztunnel'

export interface InstalledComponent {
  readonly component: IstioComponent
  readonly namespace: string
  readonly name: string
  readonly image: string
  /** From the image tag: `1.29.3`. */
  readonly version?: string
  /** `istio.io/rev` label, when set. */
  readonly revision?: string
  /** istio-cni only: the host directories its DaemonSet mounts (from its hostPath volumes). */
  readonly cniPaths?: Partial<CniPaths>
}

/** Where the installed redirection backend was read from (`istio-system/istio-sidecar-injector values`, …). */
export interface BackendEvidence {
  readonly backend: MeshBackend
  readonly source: string
}

export interface InstalledIstio {
  readonly components: readonly InstalledComponent[]
  /** Full version of the default revision's istiod (else the newest component): the default for --istio-version. */
  readonly version?: string
  /** `1.29` of `version`. */
  readonly minor?: string
  /** Places that could not be searched (the missing permission), so "no Istio" may be "could not see it". */
  readonly gaps: readonly string[]
  /** What the installed Istio runs, for the install plan: sidecar whenever it is installed, ambient too when ztunnel runs. */
  readonly modes?: readonly MeshMode[]
  /** Its redirection backend, when a setting that decides it could be read (`global.nativeNftables`, istio-cni's NATIVE_NFTABLES). */
  readonly backend?: MeshBackend
  /** Every place the backend was read from. */
  readonly backendEvidence?: readonly BackendEvidence[]
  /** Why the backend settings could not be read (403 on the ConfigMaps). */
  readonly backendGaps?: readonly string[]
}

/** Settings that decide the installed backend, as read from the Istio ConfigMaps. */
export interface IstioSettingsSources {
  /** `istio-sidecar-injector[-<rev>]` ConfigMaps: their `values` key (the istiod chart's values as JSON). */
  readonly injectorValues?: ReadonlyArray<{readonly ref: string; readonly values: string}>
  /** `istio-cni-config` ConfigMaps: their data. */
  readonly cniConfig?: ReadonlyArray<{readonly ref: string; readonly data: Readonly<Record<string, string>>}>
  readonly gaps?: readonly string[]
}

const COMPONENT_RULES: ReadonlyArray<{
  component: IstioComponent
  kind: PlatformWorkload['kind']
  matches: (w: PlatformWorkload) => boolean
  container: string
}> = [
  {component: 'istiod', kind: 'Deployment', matches: (w) => w.labels.app === 'istiod' || w.podLabels.app === 'istiod', container: 'discovery'},
  {
    component: 'istio-cni',
    kind: 'DaemonSet',
    matches: (w) => w.name === 'istio-cni-node' || w.podLabels['k8s-app'] === 'istio-cni-node',
    container: 'install-cni',
  },
  {component: 'ztunnel', kind: 'DaemonSet', matches: (w) => w.name === 'ztunnel' || w.podLabels.app === 'ztunnel', container: 'istio-proxy'},
]

/** Newest first; a component without a version sorts last. */
const NO_VERSION: VersionParts = [0, 0, 0]
const byVersion = (a: InstalledComponent, b: InstalledComponent) => compareParts(versionParts(b.version) ?? NO_VERSION, versionParts(a.version) ?? NO_VERSION)

/** Pure: the Istio components among the workloads, and the version that should be judged by default. */
export function findInstalledIstio(workloads: readonly PlatformWorkload[], gaps: readonly string[] = []): InstalledIstio {
  const components: InstalledComponent[] = []
  for (const w of workloads) {
    const rule = COMPONENT_RULES.find((r) => r.kind === w.kind && r.matches(w))
    if (rule === undefined) continue
    const image = (w.containers.find((c) => c.name === rule.container) ?? w.containers[0])?.image ?? ''
    const revision = w.labels['istio.io/rev'] ?? w.podLabels['istio.io/rev']
    const cniPaths =
      rule.component === 'istio-cni'
        ? Object.fromEntries(
            Object.entries(ISTIO_CNI_HOST_PATH_VOLUMES).flatMap(([key, volume]) => (w.hostPaths?.[volume] ? [[key, w.hostPaths[volume]]] : [])),
          )
        : undefined
    components.push({
      component: rule.component,
      namespace: w.namespace,
      name: w.name,
      image,
      version: imageVersion(image),
      revision,
      ...(cniPaths ? {cniPaths} : {}),
    })
  }
  components.sort(
    (a, b) => COMPONENT_RULES.findIndex((r) => r.component === a.component) - COMPONENT_RULES.findIndex((r) => r.component === b.component) || byVersion(a, b),
  )
  const versioned = components.filter((c) => c.version !== undefined)
  const isDefault = (c: InstalledComponent) => c.component === 'istiod' && (c.revision === undefined || c.revision === 'default')
  const chosen = versioned.find(isDefault) ?? versioned.find((c) => c.component === 'istiod') ?? [...versioned].sort(byVersion)[0]
  const modes: MeshMode[] | undefined =
    components.length === 0 ? undefined : ['sidecar', ...(components.some((c) => c.component === 'ztunnel') ? (['ambient'] as const) : [])]
  const envNft = workloads
    .filter((w) => COMPONENT_RULES.some((r) => r.component === 'istio-cni' && r.kind === w.kind && r.matches(w)))
    .flatMap((w) =>
      w.containers
        .filter((c) => c.name === 'install-cni')
        .flatMap((c) =>
          c.env.filter((e) => e.name === NATIVE_NFTABLES_ENV && e.value !== undefined).map((e) => ({ref: `${w.namespace}/${w.name} env`, value: e.value!})),
        ),
    )
  const evidence: BackendEvidence[] = envNft.map((e) => ({
    backend: isTrue(e.value) ? 'nftables' : 'iptables',
    source: `${e.ref} ${NATIVE_NFTABLES_ENV}=${e.value}`,
  }))
  return {
    components,
    version: chosen?.version,
    minor: chosen?.version ? minorOf(chosen.version) : undefined,
    gaps,
    ...(modes ? {modes} : {}),
    ...backendOf(evidence),
  }
}

/** istio-cni's setting for the nftables backend (its ConfigMap istio-cni-config or the install-cni env). */
export const NATIVE_NFTABLES_ENV = 'NATIVE_NFTABLES'
const isTrue = (v: string | undefined) => v?.trim().toLowerCase() === 'true'

function backendOf(evidence: readonly BackendEvidence[]): Pick<InstalledIstio, 'backend' | 'backendEvidence'> {
  if (evidence.length === 0) return {}
  return {backend: evidence.some((e) => e.backend === 'nftables') ? 'nftables' : 'iptables', backendEvidence: evidence}
}

/**
 * Pure: adds the backend the installed Istio runs, from `global.nativeNftables` in the injector's values (Istio's
 * default, false, when the key is absent: iptables) and istio-cni's NATIVE_NFTABLES. nftables when any says so.
 */
export function withIstioSettings(installed: InstalledIstio, sources: IstioSettingsSources): InstalledIstio {
  const evidence: BackendEvidence[] = [...(installed.backendEvidence ?? [])]
  for (const {ref, values} of sources.injectorValues ?? []) {
    let parsed: unknown
    try {
      parsed = JSON.parse(values)
    } catch {
      continue
    }
    const nft = (parsed as {global?: {nativeNftables?: unknown}} | null)?.global?.nativeNftables
    evidence.push({
      backend: nft === true || nft === 'true' ? 'nftables' : 'iptables',
      source: `${ref} values global.nativeNftables=${nft === undefined ? 'unset (false)' : String(nft)}`,
    })
  }
  for (const {ref, data} of sources.cniConfig ?? []) {
    const value = data[NATIVE_NFTABLES_ENV]
    if (value !== undefined) evidence.push({backend: isTrue(value) ? 'nftables' : 'iptables', source: `${ref} ${NATIVE_NFTABLES_ENV}=${value}`})
  }
  const gaps = [...(installed.backendGaps ?? []), ...(sources.gaps ?? [])]
  return {...installed, ...backendOf(evidence), ...(gaps.length > 0 ? {backendGaps: gaps} : {})}
}

/** The injector ConfigMap of an istiod revision (istio-discovery templates: `istio-sidecar-injector[-<rev>]`). */
export const injectorConfigMapName = (revision: string | undefined): string =>
  revision && revision !== 'default' ? `istio-sidecar-injector-${revision}` : 'istio-sidecar-injector'
export const CNI_CONFIG_MAP = 'istio-cni-config'

/** Reads the ConfigMaps that decide the installed backend (one GET each; a 403 or 404 is a gap, never an error). */
export async function readIstioSettings(client: KubeClient, installed: InstalledIstio): Promise<InstalledIstio> {
  const wanted = [
    ...installed.components
      .filter((c) => c.component === 'istiod')
      .map((c) => ({kind: 'injector' as const, namespace: c.namespace, name: injectorConfigMapName(c.revision)})),
    ...installed.components.filter((c) => c.component === 'istio-cni').map((c) => ({kind: 'cni' as const, namespace: c.namespace, name: CNI_CONFIG_MAP})),
  ]
  const unique = [...new Map(wanted.map((w) => [`${w.kind}/${w.namespace}/${w.name}`, w])).values()]
  const read = await Promise.all(
    unique.map(async (w) => ({
      w,
      fact: await gatherFact(() => client.read<{data?: Record<string, string>}>(`/api/v1/namespaces/${w.namespace}/configmaps/${w.name}`)),
    })),
  )
  const injectorValues: Array<{ref: string; values: string}> = []
  const cniConfig: Array<{ref: string; data: Record<string, string>}> = []
  const gaps: string[] = []
  for (const {w, fact} of read) {
    if (fact.state === 'unavailable') {
      gaps.push(`${w.namespace}/${w.name}: ${fact.reason}`)
      continue
    }
    const data = fact.value.data ?? {}
    if (w.kind === 'injector' && typeof data.values === 'string') injectorValues.push({ref: `${w.namespace}/${w.name}`, values: data.values})
    if (w.kind === 'cni') cniConfig.push({ref: `${w.namespace}/${w.name}`, data})
  }
  return withIstioSettings(installed, {injectorValues, cniConfig, gaps})
}

function gapsOf(inventory: Fact<Inventory<PlatformWorkload>>): string[] {
  if (inventory.state === 'unavailable') return [inventory.reason]
  return inventory.value.unreadable.map((u) => u.reason)
}

/** Combines the istiod Deployment list and the DaemonSet list into what is installed. */
export function installedIstioFrom(istiods: Fact<Inventory<PlatformWorkload>>, daemonSets: Fact<Inventory<PlatformWorkload>>): Fact<InstalledIstio> {
  if (istiods.state === 'unavailable' && daemonSets.state === 'unavailable') return istiods
  const items = [istiods, daemonSets].flatMap((f) => (f.state === 'known' ? f.value.items : []))
  return known(findInstalledIstio(items, [...gapsOf(istiods), ...gapsOf(daemonSets)]))
}

/**
 * The installed Istio (istiod, istio-cni, ztunnel: namespace and version from the image tag; the modes and backend it
 * runs), for any command that wants it as the default of --istio-version and of the install plan.
 * Two lists (istiod Deployments by label, DaemonSets) and one GET per Istio ConfigMap; a 403 becomes a gap, never an error.
 */
export async function detectInstalledIstio(client: KubeClient, istioNamespace = 'istio-system'): Promise<InstalledIstio> {
  const fallback = [...new Set([istioNamespace, ...PLATFORM_NAMESPACES])]
  const [istiods, daemonSets] = await Promise.all([
    listAcross(client, {prefix: '/apis/apps/v1', resource: 'deployments', map: summarizeWorkload('Deployment'), fallback, labelSelector: ISTIOD_SELECTOR}),
    listAcross(client, {prefix: '/apis/apps/v1', resource: 'daemonsets', map: summarizeWorkload('DaemonSet'), fallback}),
  ])
  const installed = installedIstioFrom(istiods, daemonSets)
  return installed.state === 'known' ? readIstioSettings(client, installed.value) : {components: [], gaps: [installed.reason]}
}
