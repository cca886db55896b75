import type {CniDetection} from '../derive/platform/detect-cni.js'
import {cniLabel, detectCni} from '../derive/platform/detect-cni.js'
import type {DetectionInput, PlatformDetection} from '../derive/platform/detect-platform.js'
import {detectPlatform, platformLabel} from '../derive/platform/detect-platform.js'
import type {IstioCniState, PlatformFacts} from '../derive/platform/facts.js'
import type {InstallSettings, IstioTarget} from '../derive/platform/install-plan.js'
import {helmCommand, planInstall} from '../derive/platform/install-plan.js'
import {assessNodeCritical} from '../derive/platform/quota.js'
import {platformChecks} from '../checks/platform/index.js'
import type {Fact, Finding, Severity} from '../model/finding.js'
import {known, worstOf} from '../model/finding.js'
import type {AlternativeSummary, AreaCoverage, ReportView} from '../model/report.js'
import {runChecks} from '../checks/run.js'
import type {PlatformInputs} from '../gather/platform.js'
import type {Inventory} from '../gather/platform-list.js'
import type {InstalledIstio} from '../gather/platform-istio.js'
import {PLATFORM_BUILT_IN_CNI} from '../knowledge/cni-signals.js'
import type {Mode} from '../knowledge/istio-platform.js'
import {MODES} from '../knowledge/istio-platform.js'
import type {AreaResult} from '../model/area.js'

export interface PlatformAreaOptions {
  /** The Istio minor to judge (`1.29`), as `MeshReadyCommand.istioVersion()` returns it. */
  istioVersion: string
  /** The patch of the judged release when known (3 of 1.29.3): gates the AWS branch-ENI probe fix. */
  istioPatch?: number
  /** The modes judged and shown. Default: both, side by side. */
  modes?: readonly Mode[]
  /**
   * The modes of the install plan (`InstallPlan.modes` from src/model/plan.ts). A finding about one mode outside
   * them is information (`planned: false`), never counted. Default: every judged mode is planned.
   */
  plannedModes?: readonly Mode[]
  /** The install plan itself; its `modes` are used when `plannedModes` is not given. */
  plan?: {readonly modes: readonly Mode[]}
}

export interface PlatformResult extends AreaResult {
  readonly plans: Readonly<Partial<Record<Mode, InstallSettings>>>
  readonly detection: PlatformDetection
}

const knownValue = <T>(fact: Fact<T>): T | undefined => (fact.state === 'known' ? fact.value : undefined)
const reasonOf = (fact: Fact<unknown>): string[] => (fact.state === 'unavailable' ? [fact.reason] : [])

export function detectionInput(inputs: PlatformInputs): DetectionInput {
  const daemonSets = knownValue(inputs.daemonSets)
  const quotas = knownValue(inputs.resourceQuotas)
  const groups = knownValue(inputs.apiGroups)
  return {
    serverVersion: knownValue(inputs.serverVersion),
    nodes: knownValue(inputs.nodes),
    apiGroups: groups ? Object.keys(groups) : undefined,
    daemonSets: daemonSets?.items,
    namespaces: knownValue(inputs.namespaces)?.map((n) => n.name),
    webhooks: knownValue(inputs.webhooks),
    resourceQuotas: quotas?.items,
    unread: [inputs.serverVersion, inputs.nodes, inputs.apiGroups, inputs.daemonSets, inputs.namespaces, inputs.webhooks].flatMap(reasonOf),
  }
}

function cniOf(inputs: PlatformInputs): CniDetection {
  const groups = knownValue(inputs.apiGroups)
  return detectCni({
    daemonSets: knownValue(inputs.daemonSets),
    nodes: knownValue(inputs.nodes),
    apiGroups: groups ? Object.keys(groups) : undefined,
    calico: knownValue(inputs.calico),
    ciliumConfigs: knownValue(inputs.ciliumConfigs),
    openshiftNetwork: knownValue(inputs.openshiftNetwork),
    workloadEnv: knownValue(inputs.workloadEnv),
    unread: [inputs.daemonSets, inputs.ciliumConfigs, inputs.calico, inputs.openshiftNetwork].flatMap(reasonOf),
  })
}

const LABEL: Record<Severity, string> = {pass: 'PASS', skip: 'SKIP', unknown: '?', warn: 'WARN', fail: 'FAIL'}

/** The modes side by side: one row per check, the worst result per mode ("-" = not applicable to that mode). */
export function modeView(findings: readonly Finding[], modes: readonly Mode[]): ReportView {
  const ids = [...new Set(findings.map((f) => f.checkId))]
  const rows = ids.flatMap((id) => {
    const own = findings.filter((f) => f.checkId === id)
    if (own.every((f) => f.severity === 'skip')) return []
    const cells = modes.map((mode) => {
      const applies = own.filter((f) => {
        const tagged = f.evidence?.modes
        return !Array.isArray(tagged) || tagged.includes(mode)
      })
      return applies.length > 0 ? LABEL[worstOf(applies.map((f) => f.severity))] : '-'
    })
    // Slugs with spaces wrap in narrow columns; the findings table below carries the exact ids.
    return [[id.replace(/^platform\./, '').replaceAll('-', ' '), ...cells]]
  })
  // brief []: in check's one-screen view the findings list says the same.
  return {title: 'Platform checks by mode', headers: ['CHECK', ...modes.map((m) => m.toUpperCase())], rows, brief: []}
}

function istioSummary(installed: InstalledIstio | undefined): string {
  if (installed === undefined) return 'could not be read'
  if (installed.components.length === 0) return installed.gaps.length > 0 ? 'none found (not everything could be read)' : 'not installed'
  return installed.components.map((c) => `${c.component} ${c.version ?? '?'} (${c.namespace})`).join(', ')
}

function detectionView(
  d: PlatformDetection,
  cni: CniDetection,
  installed: InstalledIstio | undefined,
  plans: Partial<Record<Mode, InstallSettings>>,
): ReportView {
  const rows: string[][] = [
    [
      'Platform',
      `${platformLabel(d)}, ${d.confidence} confidence`,
      d.signals.map((s) => `${s.signal}${s.nodes === undefined ? '' : ` (${s.nodes}/${s.of} nodes)`}`).join('; ') || '-',
    ],
    ['Nodes', d.nodeGroups.map((g) => `${g.name} ×${g.nodes}`).join(', ') || '-', d.mixed ? 'mixed cluster' : ''],
    [
      'CNI',
      cni.primary || cni.gaps.length > 0 ? cniLabel(cni.primary) : (PLATFORM_BUILT_IN_CNI[d.platform] ?? cniLabel(undefined)),
      cni.components.map((c) => c.signal).join('; ') || cni.gaps.join('; ') || '-',
    ],
    ['Istio installed', istioSummary(installed), ''],
  ]
  for (const plan of Object.values(plans))
    rows.push([
      `Install (${plan.mode})`,
      plan.platformValue ? `global.platform=${plan.platformValue}` : 'no platform value',
      `istioctl install ${plan.istioctl.join(' ')}`,
    ])
  // check's one-screen view: what was detected in one line, then the install command per mode.
  const brief = [
    `Platform: ${rows[0]![1]}; CNI: ${rows[2]![1]}; Istio: ${rows[3]![1]}`,
    ...Object.values(plans).map((plan) => `Install (${plan.mode}): istioctl install ${plan.istioctl.join(' ')}`),
  ]
  return {title: 'Platform detection', headers: ['WHAT', 'DETECTED', 'EVIDENCE'], rows, brief}
}

function planData(plan: InstallSettings) {
  return {
    platformValue: plan.platformValue ?? null,
    supported: plan.supported,
    values: plan.values,
    istioctl: plan.istioctl,
    helm: plan.releases.map((r, i) => helmCommand(r, plan.releases.findIndex((x) => x.namespace === r.namespace) === i)),
    notes: plan.notes,
    cniPaths: plan.cniPaths,
    k3s: plan.k3s ?? null,
  }
}

/** The istio-cni agents already installed; `readable` false when the installed Istio could not be read. */
function istioCniState(installed: Fact<InstalledIstio>): IstioCniState {
  if (installed.state === 'unavailable') return {installed: [], readable: false}
  return {installed: installed.value.components.filter((c) => c.component === 'istio-cni'), readable: true}
}

/** 0 only when nothing of the cluster could be read (nodes, DaemonSets and namespaces all refused, no platform signal). */
export function platformCoverage(inputs: PlatformInputs, detection: PlatformDetection): AreaCoverage {
  // A kind read namespace by namespace where every namespace was refused was not read either.
  const inventoryUnread = (f: Fact<Inventory<unknown>>): string[] =>
    f.state === 'unavailable'
      ? [f.reason]
      : f.value.clusterWideDenied !== undefined && f.value.items.length === 0 && f.value.unreadable.length === f.value.searched.length
        ? [f.value.clusterWideDenied]
        : []
  const core = [reasonOf(inputs.nodes), inventoryUnread(inputs.daemonSets), reasonOf(inputs.namespaces)]
  const reasons = core.flat()
  if (core.every((r) => r.length > 0) && detection.platform === 'unknown') {
    return {area: 'platform', judged: 0, unit: 'platform detection', reason: `nothing could be read: ${[...new Set(reasons)].join('; ')}`}
  }
  return {area: 'platform', judged: 1, unit: 'platform detection', ...(reasons.length > 0 ? {reason: `not read: ${[...new Set(reasons)].join('; ')}`} : {})}
}

/** The judged modes outside the plan, summarised for the verdict line from their own (planned: false) findings. */
export function platformAlternatives(findings: readonly Finding[], modes: readonly Mode[], plannedModes: readonly Mode[]): AlternativeSummary[] {
  return modes
    .filter((m) => !plannedModes.includes(m))
    .map((mode): AlternativeSummary => {
      const own = findings.filter((f) => f.mode === mode)
      const failing = [...new Set(own.filter((f) => f.severity === 'fail').map((f) => f.checkId.replace(/^platform\./, '')))]
      const warning = own.some((f) => f.severity === 'warn' || f.severity === 'unknown')
      const verdict = failing.length > 0 ? 'not-ready' : warning ? 'warnings' : 'ready'
      return {label: mode, verdict, ...(failing.length > 0 ? {detail: `on the platform (${failing.join(', ')})`} : {})}
    })
}

/** Pure: detection, install plans and every platform check over already gathered inputs. */
export function judgePlatform(inputs: PlatformInputs, options: PlatformAreaOptions): PlatformResult {
  const modes = options.modes ?? MODES
  const plannedModes = options.plannedModes ?? options.plan?.modes ?? modes
  const istio: IstioTarget = {minor: options.istioVersion, patch: options.istioPatch, namespace: inputs.istioNamespace}
  const detection = detectPlatform(detectionInput(inputs))
  const cni = cniOf(inputs)
  const admission = assessNodeCritical(inputs.istioNamespace, inputs.resourceQuotas, inputs.priorityDryRun)
  const nodes = knownValue(inputs.nodes) ?? []
  const plans: Partial<Record<Mode, InstallSettings>> = {}
  for (const mode of modes) plans[mode] = planInstall({mode, platform: detection, cni, istio, nodes, namespaceAdmitsNodeCritical: admission.admits === true})
  const facts: PlatformFacts = {
    modes: known(modes),
    istio: known(istio),
    detection: known(detection),
    cni: known(cni),
    plans: known(plans),
    nodeCriticalAdmission: known(admission),
    installedIstio: inputs.installedIstio,
    istioCni: known(istioCniState(inputs.installedIstio)),
    nodes: inputs.nodes,
    namespaces: inputs.namespaces,
    daemonSets: inputs.daemonSets,
    ciliumConfigs: inputs.ciliumConfigs,
    networkPolicies: inputs.networkPolicies,
    ciliumPolicies: inputs.ciliumPolicies,
    securityGroupPolicies: inputs.securityGroupPolicies,
    calico: inputs.calico,
    openshiftNetwork: inputs.openshiftNetwork,
    runtimeClasses: inputs.runtimeClasses,
    workloadEnv: inputs.workloadEnv,
    priorityDryRun: inputs.priorityDryRun,
  }
  // A finding about one mode outside the plan is shown as information, never counted in the verdict.
  const findings = runChecks(platformChecks, facts).map((f) => (f.mode !== null && !plannedModes.includes(f.mode) ? {...f, planned: false} : f))
  const installed = knownValue(inputs.installedIstio)
  return {
    findings,
    plans,
    detection,
    coverage: platformCoverage(inputs, detection),
    alternatives: platformAlternatives(findings, modes, plannedModes),
    data: {
      platform: {
        id: detection.platform,
        name: detection.name,
        confidence: detection.confidence,
        features: detection.features,
        signals: detection.signals,
        alsoMatched: detection.alsoMatched,
        nodeGroups: detection.nodeGroups,
        mixed: detection.mixed,
        cni: {primary: cni.primary ?? null, components: cni.components, gaps: cni.gaps},
        installedIstio: installed ?? null,
        istioNamespace: inputs.istioNamespace,
        modes,
        plannedModes,
        install: Object.fromEntries(Object.entries(plans).map(([mode, plan]) => [mode, planData(plan)])),
      },
    },
    views: [detectionView(detection, cni, installed, plans), modeView(findings, modes)],
  }
}
