import {randomBytes} from 'node:crypto'
import {hostname} from 'node:os'
import {nodeGroupChecks} from '../checks/node/index.js'
import {probe as probeCheck} from '../checks/node/probe.js'
import {GROUP_SUBJECT} from '../derive/kernel/describe.js'
import type {KernelMatrix} from '../derive/kernel/matrix.js'
import {kernelMatrixFact} from '../derive/kernel/matrix.js'
import type {Fact, Finding} from '../model/finding.js'
import {CLUSTER_SUBJECT, known, unavailable} from '../model/finding.js'
import {UserError} from '../model/errors.js'
import {runChecks, toFinding} from '../checks/run.js'
import type {KubeClient} from '../gather/kube/client.js'
import type {IpFamilies, NodeGroup, NodeGroupFacts, NodesSetup} from '../gather/nodes.js'
import {groupKey, groupNodes, ipFamiliesFrom, isWindows, kubernetesServiceFamilies, listNodes} from '../gather/nodes.js'
import type {OfflineInput} from '../gather/probe/offline.js'
import {prepareOfflineRoot} from '../gather/probe/offline.js'
import {runLocalProbe} from '../gather/probe/local.js'
import type {KernelEvidence} from '../gather/probe/parse-probe.js'
import {parseProbeOutput} from '../gather/probe/parse-probe.js'
import type {FanOut} from '../gather/probe/pods.js'
import {DEFAULT_PROBE_IMAGE, functionalProbeImage, startProbeSession} from '../gather/probe/pods.js'
import {PROBE_REQUEST} from '../gather/probe/script.js'
import type {FunctionalFamilies} from '../gather/probe/script.js'
import type {Backend, Interception, Mode} from '../knowledge/kernel-modules.js'
import {BACKENDS, MODES} from '../knowledge/kernel-modules.js'
import {dnsCaptureDefault} from '../knowledge/istio-interception.js'
import type {AlternativeSummary, AreaCoverage} from '../model/report.js'
import type {InstallPlan} from '../model/plan.js'
import {inPlan} from '../model/plan.js'
import type {AreaResult} from '../model/area.js'
import {matrixView, evidenceViews, groupData} from '../render/views/nodes.js'

export type {OfflineInput}

export interface NodesAreaOptions {
  readonly istioVersion: string
  /** The install the verdict judges; every other mode × backend is judged too, as information (`planned: false`). */
  readonly plan: InstallPlan
  /** Judged and shown: always every mode × backend (the matrix), whatever the plan. */
  readonly modes: readonly Mode[]
  readonly backends: readonly Backend[]
  readonly ipFamilies: IpFamilies | 'auto'
  /** undefined = Istio's defaults (off for sidecars, on for ambient). */
  readonly dnsCapture?: boolean
  readonly interception: Interception
  readonly functional: boolean
  readonly image?: string
  readonly imagePullSecret?: string
  readonly probeNamespace?: string
  readonly timeoutMs: number
  readonly concurrency: number
  /** Bare pods, a DaemonSet, or auto (a DaemonSet above DAEMONSET_THRESHOLD nodes probed node by node). */
  readonly fanOut: FanOut | 'auto'
  readonly allNodes: boolean
  readonly nodeNames: readonly string[]
  readonly selector?: string
  readonly keepProbes: boolean
  /** -o wide: one evidence table per group. */
  readonly showEvidence: boolean
  /** Judge this machine, a mounted image, or a kernel config instead of the cluster. */
  readonly offline?: OfflineInput
  readonly kernelRelease?: string
  readonly signal: AbortSignal
  readonly onCleanup: (fn: () => Promise<void>) => void
  readonly progress?: (text: string) => void
  readonly notice?: (text: string) => void
}

/** The nodes flags as parsed (`check` passes the subset it has; the rest take the nodes defaults). */
export interface NodesFlagValues {
  readonly mode?: Mode | 'both'
  readonly backend?: Backend | 'both'
  readonly 'ip-families'?: IpFamilies | 'auto'
  readonly 'dns-capture'?: boolean
  readonly interception?: Interception
  readonly functional: boolean
  readonly image?: string
  readonly 'image-pull-secret'?: string
  readonly 'probe-namespace'?: string
  readonly concurrency: number
  readonly 'fan-out'?: FanOut | 'auto'
  readonly 'all-nodes': boolean
  readonly selector?: string
  readonly 'keep-probes'?: boolean
  readonly 'kernel-release'?: string
  readonly output: string
}

/** Area options from flags plus what the command owns (signal, cleanup, progress): one mapping for `nodes` and `check`. */
export function nodesOptionsFromFlags(
  flags: NodesFlagValues,
  run: Pick<NodesAreaOptions, 'plan' | 'timeoutMs' | 'signal' | 'onCleanup' | 'progress' | 'notice'> & {nodeNames?: readonly string[]; offline?: OfflineInput},
): NodesAreaOptions {
  return {
    ...run,
    istioVersion: run.plan.istioVersion,
    modes: MODES,
    backends: BACKENDS,
    ipFamilies: flags['ip-families'] ?? 'auto',
    dnsCapture: flags['dns-capture'],
    interception: flags.interception ?? 'redirect',
    functional: flags.functional,
    image: flags.image,
    imagePullSecret: flags['image-pull-secret'],
    probeNamespace: flags['probe-namespace'],
    concurrency: flags.concurrency,
    fanOut: flags['fan-out'] ?? 'auto',
    allNodes: flags['all-nodes'],
    nodeNames: run.nodeNames ?? [],
    selector: flags.selector,
    keepProbes: flags['keep-probes'] ?? false,
    showEvidence: flags.output === 'wide',
    kernelRelease: flags['kernel-release'],
  }
}

interface Judged {
  readonly group: NodeGroup
  readonly kernel: Fact<KernelEvidence>
}

interface Gathered {
  readonly groups: readonly Judged[]
  readonly setup: NodesSetup
  readonly probe: Readonly<Record<string, unknown>>
  readonly findings: readonly Finding[]
}

const familiesFlag = (v: NodesAreaOptions['ipFamilies']) => (v === 'auto' ? undefined : v)

function setupOf(options: NodesAreaOptions, ipFamilies: IpFamilies, ipFamiliesSource: string): NodesSetup {
  return {
    istioVersion: options.istioVersion,
    modes: options.modes,
    backends: options.backends,
    ipFamilies,
    ipFamiliesSource,
    // Istio's defaults for the judged release: sidecars off, ambient on from 1.25 (knowledge/istio-interception.ts).
    dnsCapture: {sidecar: options.dnsCapture ?? dnsCaptureDefault('sidecar', options.istioVersion), ambient: options.dnsCapture ?? dnsCaptureDefault('ambient', options.istioVersion)},
    interception: options.interception,
    functional: options.functional,
    image: options.offline ? undefined : probeImage(options),
  }
}

export const probeImage = (options: Pick<NodesAreaOptions, 'image' | 'functional' | 'istioVersion'>): string =>
  options.image ?? (options.functional ? functionalProbeImage(options.istioVersion) : DEFAULT_PROBE_IMAGE)

/**
 * The functional probe tests both families whenever it runs: ambient writes IPv6 rules even on IPv4-only clusters
 * (istio-cni `ambient.ipv6` defaults to true), and each scenario only relies on the tests it needs.
 */
const functionalFamilies = (setup: NodesSetup): FunctionalFamilies => (setup.functional ? '46' : '')

/** Probe output → evidence; a malformed report is a reason, never an exception. */
function evidenceFrom(output: string): {kernel: Fact<KernelEvidence>; problem?: string} {
  const parsed = parseProbeOutput(output, PROBE_REQUEST)
  return parsed.ok ? {kernel: known(parsed.evidence)} : {kernel: unavailable(`no kernel evidence: ${parsed.reason}`), problem: parsed.reason}
}

async function gatherOffline(input: OfflineInput, options: NodesAreaOptions): Promise<Gathered> {
  const families = familiesFlag(options.ipFamilies)
  const setup = setupOf(options, families ?? 'ipv4', families ? '--ip-families' : 'assumed IPv4 for an offline input (pass --ip-families dual to judge IPv6 too)')
  const root = await prepareOfflineRoot(input, options.kernelRelease, options.functional)
  try {
    const local = await runLocalProbe({hostRoot: root.hostRoot, kernelRelease: root.release, functional: functionalFamilies(setup), timeoutMs: options.timeoutMs, signal: options.signal}).then(
      (output) => evidenceFrom(output),
      (error: unknown) => {
        if (error instanceof UserError || options.signal.aborted) throw error
        const reason = (error as Error).message
        return {kernel: unavailable<KernelEvidence>(`no kernel evidence: ${reason}`), problem: reason}
      },
    )
    const {kernel, problem} = local
    root.check(kernel.state === 'known' ? kernel.value : undefined)
    const subject = input.kind === 'local' ? {kind: 'Node' as const, name: hostname()} : {kind: 'NodeGroup' as const, name: `${input.kind} ${root.label}`}
    const release = kernel.state === 'known' ? (kernel.value.release ?? '') : ''
    const group: NodeGroup = {
      id: 'g1',
      subject,
      kernelVersion: release,
      osImage: kernel.state === 'known' ? (kernel.value.os ?? '') : '',
      architecture: kernel.state === 'known' ? (kernel.value.arch ?? kernel.value.configHeader?.split(' ')[0]?.replace(/^Linux\//, '') ?? '') : '',
      containerRuntime: '',
      nodes: [subject.name],
      notReady: [],
      windows: false,
      probe: problem ? {state: 'failed', problem: 'output', message: problem} : {state: 'ok', source: input.kind, input: root.label},
    }
    return {groups: [{group, kernel: root.judge(kernel)}], setup, probe: {input: input.kind, path: root.label}, findings: []}
  } finally {
    await root.dispose()
  }
}

async function gatherCluster(client: KubeClient, options: NodesAreaOptions): Promise<Gathered | {findings: Finding[]; setup: NodesSetup}> {
  const flagFamilies = familiesFlag(options.ipFamilies)
  const wanted = new Set(options.nodeNames)
  const runId = randomBytes(3).toString('hex')
  const image = probeImage(options)
  // Both families, whatever the cluster's: ambient writes IPv6 rules on IPv4-only clusters too (see functionalFamilies).
  const functional: FunctionalFamilies = options.functional ? '46' : ''
  const session = await startProbeSession(client, {
    runId,
    image,
    imagePullSecret: options.imagePullSecret,
    namespace: options.probeNamespace,
    functional,
    timeoutMs: options.timeoutMs,
    concurrency: options.concurrency,
    fanOut: options.fanOut,
    nodeLevel: options.allNodes || options.nodeNames.length > 0,
    keepProbes: options.keepProbes,
    signal: options.signal,
    onCleanup: options.onCleanup,
    progress: options.progress,
    notice: options.notice,
  })
  // One probe per group, started as soon as the group's first Ready node is listed.
  const probed = new Map<string, {groupId: string; node: string}>()
  options.progress?.('listing nodes')
  const listed = await listNodes(client, options.selector, options.signal, (node) => {
    const key = groupKey(node, options.allNodes)
    if ((wanted.size > 0 && !wanted.has(node.name)) || isWindows(node) || !node.ready || probed.has(key)) return
    const target = {groupId: `p${probed.size + 1}`, node: node.name}
    probed.set(key, target)
    session.add(target)
  })
  if (listed.state === 'unavailable') {
    const setup = setupOf(options, flagFamilies ?? 'ipv4', flagFamilies ? '--ip-families' : 'unknown')
    return {setup, findings: [toFinding(probeCheck, {severity: 'unknown', subject: CLUSTER_SUBJECT, message: `no node could be judged: ${listed.reason}`, remediation: {text: 'Ask for list on nodes (see cluster.plugin-permissions), or judge a node itself with kubectl mesh-ready nodes --local.'}})]}
  }
  const unknownNames = [...wanted].filter((name) => !listed.value.some((n) => n.name === name))
  if (unknownNames.length > 0) throw new UserError(`node${unknownNames.length > 1 ? 's' : ''} ${unknownNames.map((n) => `"${n}"`).join(', ')} not found${options.selector ? ` among nodes matching -l ${options.selector}` : ''}; see kubectl get nodes`)
  if (options.selector && listed.value.length === 0) throw new UserError(`no node matches -l ${options.selector}; check the selector with kubectl get nodes -l '${options.selector}'`)
  const nodes = wanted.size > 0 ? listed.value.filter((n) => wanted.has(n.name)) : listed.value
  let families = flagFamilies
  let source = '--ip-families'
  if (!families) {
    families = ipFamiliesFrom(listed.value, await kubernetesServiceFamilies(client))
    source = families ? 'node podCIDRs and the kubernetes Service' : 'assumed IPv4: no node podCIDRs and the kubernetes Service could not be read (pass --ip-families)'
  }
  const setup = setupOf(options, families ?? 'ipv4', source)
  const drafts = groupNodes(nodes, options.allNodes)
  if (drafts.length === 0) {
    return {setup, findings: [toFinding(probeCheck, {severity: 'unknown', subject: CLUSTER_SUBJECT, message: 'no node could be judged: the cluster has no nodes'})]}
  }
  const run = await session.finish()
  const groups = drafts.map((d): Judged => {
    const base = {id: d.id, subject: d.subject, ...d.key, nodes: d.nodes.map((n) => n.name), notReady: d.nodes.filter((n) => !n.ready).map((n) => n.name), windows: d.windows}
    if (d.windows) return {group: {...base, probe: {state: 'skipped', reason: 'windows'}}, kernel: unavailable('Windows nodes are not probed')}
    const target = probed.get(d.groupingKey)
    if (!target) {
      const message = `no Ready node in this group (NotReady: ${base.notReady.slice(0, 5).join(', ')}${base.notReady.length > 5 ? ', …' : ''}); not probed`
      return {group: {...base, probe: {state: 'failed', problem: 'not-ready', message}}, kernel: unavailable(`no kernel evidence: ${message}`)}
    }
    const result = run.results.get(target.groupId)
    if (!result) return {group: {...base, probe: {state: 'failed', problem: 'failed', node: target.node, message: 'the probe did not run'}}, kernel: unavailable('no kernel evidence: the probe did not run')}
    if (!result.ok) {
      const {ok: _ok, ...failure} = result
      return {group: {...base, probe: {state: 'failed', node: target.node, ...failure}}, kernel: unavailable(`no kernel evidence: the probe failed (${result.problem}; see node.probe)`)}
    }
    const {kernel, problem} = evidenceFrom(result.output)
    return {group: {...base, probe: problem ? {state: 'failed', problem: 'output', node: target.node, pod: result.pod, message: problem} : {state: 'ok', source: 'pod', node: target.node, pod: result.pod}}, kernel}
  })
  return {groups, setup, probe: {image, namespace: run.namespace, runId, fanOut: run.fanOut, ...(run.daemonSet ? {daemonSet: run.daemonSet} : {}), podsCreated: run.podsCreated}, findings: []}
}

/**
 * Kernel readiness of every node group (or of this machine, an image, a kernel config) for each selected
 * mode × backend: gather evidence with one probe per group, judge it with the node checks, and lay it out as a matrix.
 */
export async function nodesArea(client: KubeClient | undefined, options: NodesAreaOptions): Promise<AreaResult> {
  const offline = options.offline ?? (client ? undefined : ({kind: 'local'} as const))
  const gathered = offline ? await gatherOffline(offline, options) : await gatherCluster(client!, options)
  if (!('groups' in gathered)) {
    const reason = gathered.findings.map((f) => f.message.replace(/^no node could be judged: /, '')).join('; ') || 'no node could be listed'
    return {findings: gathered.findings, coverage: {area: 'nodes', judged: 0, unit: 'node groups', reason}, data: {nodes: {setup: gathered.setup, groups: []}}}
  }
  const {setup} = gathered
  // Each group's kernel matrix is judged here, once: the checks and the views read it, neither judges again.
  const groups = gathered.groups.map((g) => ({...g, matrix: kernelMatrixFact(g.kernel, setup)}))
  const findings: Finding[] = [...gathered.findings]
  for (const {group, kernel, matrix} of groups) {
    const facts: NodeGroupFacts<KernelMatrix> = {group: known(group), kernel, matrix, setup: known(setup)}
    const checks = group.windows ? [probeCheck] : nodeGroupChecks
    for (const f of runChecks(checks, facts)) findings.push({...f, subject: {...(f.subject === GROUP_SUBJECT ? group.subject : f.subject)}}) // own copies: YAML output would alias shared objects
  }
  const planned = findings.map((f) => ({...f, planned: inPlan(options.plan, f.mode, f.backend)}))
  const views = [matrixView(groups, setup), ...(options.showEvidence ? evidenceViews(groups, setup) : [])]
  return {
    findings: planned,
    views,
    coverage: nodesCoverage(groups),
    alternatives: nodeAlternatives(planned, options.plan, groups.filter((g) => !g.group.windows).length),
    data: {nodes: {setup, probe: gathered.probe, groups: groups.map((g) => groupData(g))}},
  }
}

/** Node groups with kernel evidence; 0 (no probe produced evidence) makes the verdict incomplete. */
export function nodesCoverage(groups: readonly Judged[]): AreaCoverage {
  const probed = groups.filter((g) => !g.group.windows)
  const judged = probed.filter((g) => g.kernel.state === 'known').length
  const reasons = [...new Set(probed.flatMap((g) => (g.kernel.state === 'unavailable' ? [g.kernel.reason.replace(/^no kernel evidence: /, '')] : [])))]
  return {area: 'nodes', judged, unit: 'node groups', ...(judged < probed.length || probed.length === 0 ? {reason: reasons.length ? reasons.slice(0, 2).join('; ') : 'no Linux node to probe'} : {})}
}

const SCENARIO_CHECKS = new Set(['node.iptables-backend', 'node.nftables-backend'])

/**
 * One summary per configuration outside the plan, from the per-group scenario findings: `ambient: NOT READY on 1
 * of 3 node groups (missing ip_set)`. Labelled by what differs from the plan (the mode, the backend, or both).
 */
export function nodeAlternatives(findings: readonly Finding[], plan: InstallPlan, groupCount: number): AlternativeSummary[] {
  const out: AlternativeSummary[] = []
  // the planned backend's other mode first (ambient), then the other backend, then both changed
  for (const backend of [...BACKENDS].sort((a, b) => Number(!plan.backends.includes(a)) - Number(!plan.backends.includes(b)))) {
    for (const mode of MODES) {
      if (inPlan(plan, mode, backend)) continue
      const about = findings.filter((f) => SCENARIO_CHECKS.has(f.checkId) && f.mode === mode && f.backend === backend)
      if (about.length === 0) continue
      const label = plan.backends.includes(backend) ? mode : plan.modes.includes(mode) ? backend : `${mode} on ${backend}`
      const failing = about.filter((f) => f.severity === 'fail')
      const unknown = about.filter((f) => f.severity === 'unknown')
      const warned = about.filter((f) => f.severity === 'warn')
      const missing = [...new Set(failing.flatMap((f) => (Array.isArray(f.evidence?.missing) ? (f.evidence.missing as readonly string[]) : [])))]
      const of = `of ${groupCount} node group${groupCount === 1 ? '' : 's'}`
      if (failing.length > 0) {
        const what = missing.length ? ` (missing ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ` +${missing.length - 3}` : ''})` : ''
        out.push({label, verdict: 'not-ready', detail: `on ${failing.length} ${of}${what}`})
      } else if (unknown.length > 0) out.push({label, verdict: 'incomplete', detail: `could not be judged on ${unknown.length} ${of}`})
      else if (warned.length > 0) out.push({label, verdict: 'warnings', detail: `on ${warned.length} ${of}`})
      else out.push({label, verdict: 'ready'})
    }
  }
  return out
}
