import type {Fact} from '../checks/types.js'
import {known} from '../checks/types.js'
import {PLATFORM_NAMESPACES} from '../knowledge/cni-signals.js'
import {istioMinor} from '../knowledge/istio-releases.js'
import type {KubeClient} from './kube/client.js'
import type {Inventory} from './platform-list.js'
import {listAcross} from './platform-list.js'
import type {WorkloadSummary} from './platform-objects.js'
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
}

export interface InstalledIstio {
  readonly components: readonly InstalledComponent[]
  /** Full version of the default revision's istiod (else the newest component): the default for --istio-version. */
  readonly version?: string
  /** `1.29` of `version`. */
  readonly minor?: string
  /** Places that could not be searched (the missing permission), so "no Istio" may be "could not see it". */
  readonly gaps: readonly string[]
}

const COMPONENT_RULES: ReadonlyArray<{component: IstioComponent; kind: WorkloadSummary['kind']; matches: (w: WorkloadSummary) => boolean; container: string}> = [
  {component: 'istiod', kind: 'Deployment', matches: (w) => w.labels.app === 'istiod' || w.podLabels.app === 'istiod', container: 'discovery'},
  {component: 'istio-cni', kind: 'DaemonSet', matches: (w) => w.name === 'istio-cni-node' || w.podLabels['k8s-app'] === 'istio-cni-node', container: 'install-cni'},
  {component: 'ztunnel', kind: 'DaemonSet', matches: (w) => w.name === 'ztunnel' || w.podLabels.app === 'ztunnel', container: 'istio-proxy'},
]

const byVersion = (a: InstalledComponent, b: InstalledComponent) => {
  const [x, y] = [a.version ?? '0', b.version ?? '0'].map((v) => v.split('.').map(Number))
  for (let i = 0; i < 3; i++) if ((x![i] ?? 0) !== (y![i] ?? 0)) return (y![i] ?? 0) - (x![i] ?? 0)
  return 0
}

/** Pure: the Istio components among the workloads, and the version that should be judged by default. */
export function findInstalledIstio(workloads: readonly WorkloadSummary[], gaps: readonly string[] = []): InstalledIstio {
  const components: InstalledComponent[] = []
  for (const w of workloads) {
    const rule = COMPONENT_RULES.find((r) => r.kind === w.kind && r.matches(w))
    if (rule === undefined) continue
    const image = (w.containers.find((c) => c.name === rule.container) ?? w.containers[0])?.image ?? ''
    const revision = w.labels['istio.io/rev'] ?? w.podLabels['istio.io/rev']
    components.push({component: rule.component, namespace: w.namespace, name: w.name, image, version: imageVersion(image), revision})
  }
  components.sort((a, b) => COMPONENT_RULES.findIndex((r) => r.component === a.component) - COMPONENT_RULES.findIndex((r) => r.component === b.component) || byVersion(a, b))
  const versioned = components.filter((c) => c.version !== undefined)
  const isDefault = (c: InstalledComponent) => c.component === 'istiod' && (c.revision === undefined || c.revision === 'default')
  const chosen = versioned.find(isDefault) ?? versioned.find((c) => c.component === 'istiod') ?? [...versioned].sort(byVersion)[0]
  return {components, version: chosen?.version, minor: chosen?.version ? istioMinor(chosen.version) : undefined, gaps}
}

function gapsOf(inventory: Fact<Inventory<WorkloadSummary>>): string[] {
  if (inventory.state === 'unavailable') return [inventory.reason]
  return inventory.value.unreadable.map((u) => u.reason)
}

/** Combines the istiod Deployment list and the DaemonSet list into what is installed. */
export function installedIstioFrom(istiods: Fact<Inventory<WorkloadSummary>>, daemonSets: Fact<Inventory<WorkloadSummary>>): Fact<InstalledIstio> {
  if (istiods.state === 'unavailable' && daemonSets.state === 'unavailable') return istiods
  const items = [istiods, daemonSets].flatMap((f) => (f.state === 'known' ? f.value.items : []))
  return known(findInstalledIstio(items, [...gapsOf(istiods), ...gapsOf(daemonSets)]))
}

/**
 * The installed Istio (istiod, istio-cni, ztunnel: namespace and version from the image tag), for any command that
 * wants it as the default of --istio-version: `this.istioVersion(flags, (await detectInstalledIstio(client)).minor)`.
 * Two lists (istiod Deployments by label, DaemonSets); a 403 becomes a gap, never an error.
 */
export async function detectInstalledIstio(client: KubeClient, istioNamespace = 'istio-system'): Promise<InstalledIstio> {
  const fallback = [...new Set([istioNamespace, ...PLATFORM_NAMESPACES])]
  const [istiods, daemonSets] = await Promise.all([
    listAcross(client, {prefix: '/apis/apps/v1', resource: 'deployments', map: summarizeWorkload('Deployment'), fallback, labelSelector: ISTIOD_SELECTOR}),
    listAcross(client, {prefix: '/apis/apps/v1', resource: 'daemonsets', map: summarizeWorkload('DaemonSet'), fallback}),
  ])
  const installed = installedIstioFrom(istiods, daemonSets)
  return installed.state === 'known' ? installed.value : {components: [], gaps: [installed.reason]}
}
