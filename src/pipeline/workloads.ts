import {workloadChecks} from '../checks/workload/index.js'
import type {Finding} from '../model/finding.js'
import {known, worstOf} from '../model/finding.js'
import {istioCni} from '../derive/workloads/admission.js'
import {deriveWorkloadFacts, isSystemNamespace, plural, podCount} from '../derive/workloads/context.js'
import {UserError} from '../model/errors.js'
import type {AreaCoverage, ReportView} from '../model/report.js'
import {runChecks} from '../checks/run.js'
import type {KubeClient} from '../gather/kube/client.js'
import type {WorkloadInventory} from '../gather/workloads.js'
import {gatherLegacyAdmission, gatherMeshInstall, gatherWorkloads} from '../gather/workloads.js'
import type {WorkloadTarget} from '../gather/workloads-shape.js'
import {pushTo, workloadName} from '../gather/workloads-shape.js'
import type {ModeFlag} from '../knowledge/mesh-labels.js'
import type {AreaResult} from '../model/area.js'

export interface WorkloadsAreaOptions {
  /** undefined: every namespace (-A). */
  readonly namespaces: readonly string[] | undefined
  /** -l: a label selector passed to the pod lists. */
  readonly labelSelector?: string
  /** A workload or pod name (see parseWorkloadTarget); nothing matching it is a usage error. */
  readonly target?: WorkloadTarget
  /** Default `auto`: per workload from labels and what is installed. */
  readonly mode?: ModeFlag
  /** Default `istio-system`. */
  readonly istioNamespace?: string
  readonly signal?: AbortSignal
  /** Called after each page of pods with the number read so far. */
  readonly onProgress?: (podsRead: number) => void
}

/**
 * Passing and skipped results of many workloads say the same thing: they are folded into one finding per check,
 * namespace and message (naming a few of them), so 2,000 workloads do not make 20,000 lines. Every workload still
 * appears once in `data.pods.workloads` with its pod count and result; a lone result keeps its own subject.
 */
export function collapseQuiet(findings: readonly Finding[], shown = 5): Finding[] {
  const groups = new Map<string, Finding[]>()
  const out: Finding[] = []
  for (const f of findings) {
    const quiet =
      (f.severity === 'pass' || f.severity === 'skip') && (f.subject.kind === 'Workload' || f.subject.kind === 'Service') && f.subject.namespace !== undefined
    if (!quiet) out.push(f)
    else pushTo(groups, [f.checkId, f.severity, f.subject.kind, f.subject.namespace, f.severity === 'skip' ? f.message : ''].join('\u0000'), f)
  }
  for (const group of groups.values()) {
    const first = group[0]!
    if (group.length === 1) {
      out.push(first)
      continue
    }
    const pods = group.reduce((n, f) => n + (typeof f.evidence?.pods === 'number' ? f.evidence.pods : 0), 0)
    const names = group.map((f) => f.subject.name)
    const listed = `${names.slice(0, shown).join(', ')}${names.length > shown ? ` and ${names.length - shown} more` : ''}`
    const what = `${group.length} ${first.subject.kind === 'Workload' ? 'workloads' : 'Services'}${pods > 0 ? ` (${podCount(pods)})` : ''}`
    out.push({
      ...first,
      subject: {kind: 'Namespace', name: first.subject.namespace!},
      message: first.severity === 'pass' ? `${what} pass: ${listed}` : `${what} skipped (${listed}): ${first.message}`,
      remediation: undefined,
      evidence: {[first.subject.kind === 'Workload' ? 'workloads' : 'services']: names, pods},
    })
  }
  return out
}

/** How many workloads were judged, and why not (all of) them: denied namespaces, nothing but system pods, no pods. */
export function coverageOf(inventory: WorkloadInventory, judged: number): AreaCoverage {
  const denied = inventory.namespaces.filter((n) => n.pods.state === 'unavailable')
  const deniedText = denied.length === 0 ? undefined : denied.map((n) => (n.pods.state === 'unavailable' ? n.pods.reason : '')).join('; ')
  if (judged > 0) return {area: 'pods', judged, unit: 'workloads', ...(deniedText ? {reason: deniedText} : {})}
  const skipped = inventory.workloads.filter((w) => w.istioComponent || isSystemNamespace(w.namespace)).length
  const why = [
    deniedText,
    skipped > 0 ? `the ${plural(skipped, 'workload')} found ${skipped === 1 ? 'is' : 'are'} Istio's own or in namespaces Istio never injects` : undefined,
    inventory.pods === 0 && deniedText === undefined
      ? `no pods in ${inventory.allNamespaces ? 'any namespace' : `namespace ${inventory.namespaces.map((n) => n.name).join(', ') || '(none)'}`}`
      : undefined,
  ].filter((t): t is string => t !== undefined)
  return {area: 'pods', judged: 0, unit: 'workloads', reason: why.join('; ') || 'nothing in scope'}
}

/** Workloads against Istio's application requirements: one summary per workload, judged by the workload checks. */
export async function workloadsArea(client: KubeClient, options: WorkloadsAreaOptions): Promise<AreaResult> {
  const settings = {mode: options.mode ?? 'auto', istioNamespace: options.istioNamespace ?? 'istio-system'}
  const [inventory, mesh, admission] = await Promise.all([
    gatherWorkloads(client, {...options, istioNamespace: settings.istioNamespace}),
    gatherMeshInstall(client, settings.istioNamespace),
    gatherLegacyAdmission(client),
  ])
  const target = options.target
  if (target && inventory.state === 'known' && inventory.value.workloads.length === 0 && inventory.value.namespaces.every((n) => n.pods.state === 'known')) {
    const where = options.namespaces === undefined ? 'any namespace' : `namespace ${options.namespaces.join(', ')}`
    throw new UserError(
      `no ${target.kind ? `${target.kind.toLowerCase()} named "${target.name}"` : `workload or pod named "${target.name}"`} has pods in ${where}; list them with "kubectl get pods${options.namespaces === undefined ? ' -A' : ` -n ${options.namespaces[0]}`}"`,
    )
  }
  const facts = deriveWorkloadFacts({inventory, mesh: known(mesh), admission: known(admission), settings: known(settings)})
  const findings = runChecks(workloadChecks, facts)
  if (inventory.state === 'unavailable') {
    return {
      findings,
      data: {pods: {mode: settings.mode, error: inventory.reason}},
      coverage: {area: 'pods', judged: 0, unit: 'workloads', reason: inventory.reason},
    }
  }
  const bySubject = new Map<string, Finding[]>()
  for (const f of findings) if (f.subject.kind === 'Workload') pushTo(bySubject, `${f.subject.namespace}/${f.subject.name}`, f)
  const judged = (facts.contexts.state === 'known' ? facts.contexts.value.workloads : []).map(({workload, mode}) => {
    const own = bySubject.get(`${workload.namespace}/${workloadName(workload)}`) ?? []
    return {
      workload,
      mode,
      result: worstOf(own.map((f) => f.severity)),
      attention: own.filter((f) => f.severity === 'fail' || f.severity === 'warn' || f.severity === 'unknown'),
    }
  })
  const flagged = judged.filter((j) => j.attention.length > 0)
  const view: ReportView = {
    title: `Workloads needing attention: ${flagged.length} of ${judged.length} judged (${inventory.value.pods} pods read)`,
    headers: ['WORKLOAD', 'PODS, MODE AND CHECKS'],
    rows: flagged.map(({workload, mode, attention}) => [
      `${workloadName(workload)}\n(${workload.namespace})`,
      `${podCount(workload.pods)}, ${mode.modes.join('+') || 'no'} mode; ${attention.map((f) => `${f.severity} ${f.checkId.replace('workload.', '')}`).join(', ')}`,
    ]),
    // check's one-screen view: the findings list names them.
    brief: [],
  }
  const workloads = judged.map(({workload: w, mode, result, attention}) => ({
    namespace: w.namespace,
    kind: w.kind,
    name: w.name,
    pods: w.pods,
    modes: mode.modes,
    modeReason: mode.reason,
    result,
    attention: attention.map((f) => f.checkId),
  }))
  const cni = istioCni(mesh)
  const ztunnel = mesh.ztunnelDaemonSet.state === 'known' ? (mesh.ztunnelDaemonSet.value ?? 'not installed') : `unknown (${mesh.ztunnelDaemonSet.reason})`
  return {
    coverage: coverageOf(inventory.value, judged.length),
    findings: collapseQuiet(findings),
    data: {
      pods: {
        mode: settings.mode,
        istioNamespace: settings.istioNamespace,
        istioCni: {state: cni.state, detail: cni.text},
        ztunnel,
        podsRead: inventory.value.pods,
        workloads,
      },
    },
    views: flagged.length > 0 ? [view] : [],
  }
}
