/** Shared by the workload checks: which workloads and Services are judged, in which mesh mode, and how to name them. */
import type {GatheredWorkloadFacts, MeshInstall, WorkloadInventory, WorkloadSettings} from '../../gather/workloads.js'
import type {ContainerShape, PodShape, ServiceSummary, WorkloadSummary} from '../../gather/workloads-shape.js'
import {pushTo, workloadName} from '../../gather/workloads-shape.js'
import type {MeshMode} from '../../model/finding.js'
import {DATAPLANE_MODE_LABEL, INJECTION_LABEL, POD_INJECT_LABEL, REVISION_LABEL, SYSTEM_NAMESPACES} from '../../knowledge/mesh-labels.js'
import type {Fact, Outcome, Subject} from '../../model/finding.js'
import {known, unavailable} from '../../model/finding.js'

type Labels = Readonly<Record<string, string>>

export interface ResolvedMode {
  /** Empty: the workload opted out of the mesh. */
  readonly modes: readonly MeshMode[]
  readonly reason: string
  /**
   * Whether a label Istio reads puts the pods in the mesh (pod `sidecar.istio.io/inject=true` or
   * `istio.io/dataplane-mode=ambient`; namespace `istio-injection=enabled`, `istio.io/rev` or
   * `istio.io/dataplane-mode=ambient`). Without one, Istio's default injector and ztunnel leave the pods alone.
   */
  readonly enrolled: boolean
}

export interface WorkloadContext {
  readonly workload: WorkloadSummary
  readonly subject: Subject
  readonly mode: ResolvedMode
}

export interface ServiceContext {
  readonly service: ServiceSummary
  readonly subject: Subject
  /** The judged workloads whose pods the Service selects. */
  readonly workloads: readonly WorkloadContext[]
  readonly mode: ResolvedMode
}

export const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`
export const podCount = (n: number) => plural(n, 'pod')

/** Where the ztunnel DaemonSet runs, or undefined when it is absent or could not be read. */
const ztunnel = (mesh: MeshInstall) => (mesh.ztunnelDaemonSet.state === 'known' ? (mesh.ztunnelDaemonSet.value ?? undefined) : undefined)

/**
 * Which labels put a pod in the mesh (https://istio.io/latest/docs/setup/additional-setup/sidecar-injection/#controlling-the-injection-policy:
 * a "disabled" label on either the namespace or the pod wins; https://istio.io/latest/docs/ambient/usage/add-workloads/).
 * Returns the modes the labels ask for (empty: opted out) or undefined when no label decides.
 */
function labelledMode(shape: PodShape | undefined, namespaceLabels: Labels): {modes: MeshMode[]; reason: string} | undefined {
  const podLabel = (key: string, value: string | undefined) => `pod label ${key}=${value}`
  const nsLabel = (key: string) => `namespace label ${key}=${namespaceLabels[key]}`
  if (shape?.dataplaneMode === 'ambient') return {modes: ['ambient'], reason: podLabel(DATAPLANE_MODE_LABEL, 'ambient')}
  if (shape?.sidecarInject === 'false') return {modes: [], reason: podLabel(POD_INJECT_LABEL, 'false')}
  if (shape?.dataplaneMode === 'none') return {modes: [], reason: podLabel(DATAPLANE_MODE_LABEL, 'none')}
  if (namespaceLabels[INJECTION_LABEL] === 'disabled') return {modes: [], reason: nsLabel(INJECTION_LABEL)}
  if (shape?.sidecarInject === 'true') return {modes: ['sidecar'], reason: podLabel(POD_INJECT_LABEL, 'true')}
  if (namespaceLabels[DATAPLANE_MODE_LABEL] === 'ambient') return {modes: ['ambient'], reason: nsLabel(DATAPLANE_MODE_LABEL)}
  if (namespaceLabels[INJECTION_LABEL] === 'enabled') return {modes: ['sidecar'], reason: nsLabel(INJECTION_LABEL)}
  if (namespaceLabels[REVISION_LABEL] !== undefined) return {modes: ['sidecar'], reason: nsLabel(REVISION_LABEL)}
  return undefined
}

/** Why Istio leaves a workload alone when no label enrols it (the skip message of label-dependent checks). */
export const NOT_ENROLLED = `no label enrols it (namespace ${INJECTION_LABEL}=enabled, ${REVISION_LABEL} or ${DATAPLANE_MODE_LABEL}=ambient; pod ${POD_INJECT_LABEL}=true or ${DATAPLANE_MODE_LABEL}=ambient), so Istio will not inject or enrol its pods`

/**
 * The data-plane mode a workload will run in. `--mode sidecar|ambient|both` decides; `auto` reads the pod and
 * namespace labels, then whether ztunnel is installed (sidecar otherwise, Istio's default profile).
 */
export function resolveMode(shape: PodShape | undefined, namespaceLabels: Labels, mesh: MeshInstall, settings: WorkloadSettings): ResolvedMode {
  const labelled = labelledMode(shape, namespaceLabels)
  const enrolled = labelled !== undefined && labelled.modes.length > 0
  if (settings.mode === 'both') return {modes: ['sidecar', 'ambient'], reason: '--mode both', enrolled}
  if (settings.mode !== 'auto') return {modes: [settings.mode], reason: `--mode ${settings.mode}`, enrolled}
  if (labelled) return {...labelled, enrolled}
  const agent = ztunnel(mesh)
  return agent
    ? {modes: ['ambient'], reason: `ztunnel is installed (${agent})`, enrolled}
    : {modes: ['sidecar'], reason: 'sidecar is the default; ztunnel is not installed', enrolled}
}

/** The mode an outcome is about: the only one the subject runs in, else none. */
export const onlyMode = (mode: ResolvedMode): MeshMode | null => (mode.modes.length === 1 ? mode.modes[0]! : null)

export const isSystemNamespace = (namespace: string) => SYSTEM_NAMESPACES.includes(namespace)

export function namespaceLabels(inventory: WorkloadInventory, namespace: string): Labels {
  const labels = inventory.namespaces.find((n) => n.name === namespace)?.labels
  return labels?.state === 'known' ? labels.value : {}
}

export const workloadSubject = (w: WorkloadSummary): Subject => ({kind: 'Workload', name: workloadName(w), namespace: w.namespace})
export const serviceSubject = (s: ServiceSummary): Subject => ({kind: 'Service', name: s.name, namespace: s.namespace})
export const namespaceSubject = (name: string): Subject => ({kind: 'Namespace', name})

/** Application workloads (not Istio's own components, not in namespaces Istio leaves alone) with their mode. */
function workloadContexts(inventory: WorkloadInventory, mesh: MeshInstall, settings: WorkloadSettings): WorkloadContext[] {
  return inventory.workloads
    .filter((w) => !w.istioComponent && !isSystemNamespace(w.namespace))
    .map((workload) => ({
      workload,
      subject: workloadSubject(workload),
      mode: resolveMode(workload.shapes[0]?.shape, namespaceLabels(inventory, workload.namespace), mesh, settings),
    }))
}

/** Services outside system namespaces that do not front only Istio's own components, with the workloads they select. */
function serviceContexts(inventory: WorkloadInventory, mesh: MeshInstall, settings: WorkloadSettings, judged: readonly WorkloadContext[]): ServiceContext[] {
  const bySelectedService = new Map<string, WorkloadContext[]>()
  for (const context of judged) {
    for (const name of servicesOf(context.workload)) pushTo(bySelectedService, `${context.workload.namespace}/${name}`, context)
  }
  const istioServices = new Set(inventory.workloads.filter((w) => w.istioComponent).flatMap((w) => servicesOf(w).map((name) => `${w.namespace}/${name}`)))
  return inventory.services
    .filter((s) => !isSystemNamespace(s.namespace) && !istioServices.has(`${s.namespace}/${s.name}`))
    .map((service) => {
      const workloads = bySelectedService.get(`${service.namespace}/${service.name}`) ?? []
      const modes = [...new Set(workloads.flatMap((c) => c.mode.modes))]
      const mode = workloads[0]
        ? {modes, reason: workloads[0].mode.reason, enrolled: workloads.some((c) => c.mode.enrolled)}
        : resolveMode(undefined, namespaceLabels(inventory, service.namespace), mesh, settings)
      return {service, subject: serviceSubject(service), workloads, mode}
    })
}

/** The judged workloads and Services with their modes: derived once per run, read by every workload check and the view. */
export interface WorkloadContexts {
  readonly workloads: readonly WorkloadContext[]
  readonly services: readonly ServiceContext[]
}

/** What the workload checks read: the gathered facts and the contexts derived from them. */
export interface WorkloadFacts extends GatheredWorkloadFacts {
  contexts: Fact<WorkloadContexts>
}

/** Derives the contexts once; unavailable (with the first missing fact's reason) when the inventory, mesh or settings are. */
export function deriveWorkloadFacts(gathered: GatheredWorkloadFacts): WorkloadFacts {
  const {inventory, mesh, settings} = gathered
  if (inventory.state !== 'known' || mesh.state !== 'known' || settings.state !== 'known') {
    const missing = [inventory, mesh, settings].find((f) => f.state === 'unavailable')
    return {...gathered, contexts: unavailable(missing?.state === 'unavailable' ? missing.reason : 'the workloads were not read')}
  }
  const workloads = workloadContexts(inventory.value, mesh.value, settings.value)
  return {...gathered, contexts: known({workloads, services: serviceContexts(inventory.value, mesh.value, settings.value, workloads)})}
}

/** The outcome for a subject the check does not apply to in its mode (about that mode when the check has one). */
export function notInMode(subject: Subject, mode: ResolvedMode, appliesTo: readonly MeshMode[]): Outcome | undefined {
  if (mode.modes.some((m) => appliesTo.includes(m))) return undefined
  const message =
    mode.modes.length === 0
      ? `not in the mesh (${mode.reason})`
      : `applies to ${appliesTo.join(' and ')} mode only; this runs in ${mode.modes.join(' and ')} mode (${mode.reason})`
  return {severity: 'skip', subject, message, mode: appliesTo.length === 1 ? appliesTo[0]! : null}
}

/** Every distinct application container across the workload's pod shapes, with how many pods run it. */
export function containersOf(w: WorkloadSummary): Array<{container: ContainerShape; pods: number}> {
  const byKey = new Map<string, {container: ContainerShape; pods: number}>()
  for (const {shape, pods} of w.shapes) {
    for (const container of shape.containers) {
      const key = JSON.stringify(container)
      const entry = byKey.get(key)
      if (entry) entry.pods += pods
      else byKey.set(key, {container, pods})
    }
  }
  return [...byKey.values()]
}

/** Pods of the workload whose shape satisfies the predicate. */
export const podsWhere = (w: WorkloadSummary, predicate: (shape: PodShape) => boolean) =>
  w.shapes.filter(({shape}) => predicate(shape)).reduce((n, s) => n + s.pods, 0)

/** The Services (by name) selecting any pod of the workload. */
export const servicesOf = (w: WorkloadSummary) => [...new Set(w.shapes.flatMap(({shape}) => shape.services))].sort()

export function serviceByName(inventory: WorkloadInventory): (namespace: string, name: string) => ServiceSummary | undefined {
  const index = new Map(inventory.services.map((s) => [`${s.namespace}/${s.name}`, s]))
  return (namespace, name) => index.get(`${namespace}/${name}`)
}
