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
import {DEFAULT_PROBE_IMAGE, functionalProbeImage, startProbeSession} from '../gather/probe/pods.js'
import {PROBE_REQUEST} from '../gather/probe/script.js'
import {functionalFamilies} from '../gather/probe/script.js'
import type {FanOut, NodeSelection, ProbePlan} from '../gather/probe/plan.js'
import {nodeLevel} from '../gather/probe/plan.js'
import type {RunContext} from '../model/run.js'
import type {Backend, Interception, Mode} from '../knowledge/kernel-modules.js'
import {BACKENDS, MODES} from '../knowledge/kernel-modules.js'
import {dnsCaptureDefault} from '../knowledge/istio-interception.js'
import type {AlternativeSummary, AreaCoverage} from '../model/report.js'
import type {InstallPlan} from '../model/plan.js'
import {inPlan} from '../model/plan.js'
import type {AreaResult} from '../model/area.js'
import {matrixView, evidenceViews, groupData} from '../render/views/nodes.js'

export type {OfflineInput}

/** What the nodes area judges against, besides the install plan: the matrix axes and the interception settings. */
export interface NodesJudgement {
  /** Judged and shown: always every mode × backend (the matrix), whatever the plan. */
  readonly modes: readonly Mode[]
  readonly backends: readonly Backend[]
  readonly ipFamilies: IpFamilies | 'auto'
  /** undefined = Istio's defaults (off for sidecars, on for ambient). */
  readonly dnsCapture?: boolean
  readonly interception: Interception
}

export interface NodesAreaOptions {
  /** The Istio target: the judged release and the install the verdict judges (other mode × backend are information). */
  readonly plan: InstallPlan
  readonly judgement: NodesJudgement
  /** How probes run on the cluster (unused offline, except `functional`). */
  readonly probe: ProbePlan
  readonly selection: NodeSelection
  /** -o wide: one evidence table per group. */
  readonly showEvidence: boolean
  /** Judge this machine, a mounted image, or a kernel config instead of the cluster. */
  readonly offline?: OfflineInput
  readonly kernelRelease?: string
  readonly run: RunContext
}

/** The nodes flags as parsed (`check` passes the subset it has; the rest take the nodes defaults). */
export interface NodesFlagValues {
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

/** The probe image: --image, else Istio's proxyv2 of the judged release for --functional, else busybox. */
const probeImage = (image: string | undefined, functional: boolean, istioVersion: string): string =>
  image ?? (functional ? functionalProbeImage(istioVersion) : DEFAULT_PROBE_IMAGE)

/** The flags, parsed once into the domain objects the area reads: one mapping for `nodes` and `check`. */
export function nodesOptionsFromFlags(
  flags: NodesFlagValues,
  given: {plan: InstallPlan; timeoutMs: number; run: RunContext; nodeNames?: readonly string[]; offline?: OfflineInput},
): NodesAreaOptions {
  return {
    plan: given.plan,
    judgement: {
      modes: MODES,
      backends: BACKENDS,
      ipFamilies: flags['ip-families'] ?? 'auto',
      dnsCapture: flags['dns-capture'],
      interception: flags.interception ?? 'redirect',
    },
    probe: {
      image: probeImage(flags.image, flags.functional, given.plan.istioVersion),
      imagePullSecret: flags['image-pull-secret'],
      namespace: flags['probe-namespace'],
      functional: flags.functional,
      timeoutMs: given.timeoutMs,
      concurrency: flags.concurrency,
      fanOut: flags['fan-out'] ?? 'auto',
      keepProbes: flags['keep-probes'] ?? false,
    },
    selection: {allNodes: flags['all-nodes'], nodeNames: given.nodeNames ?? [], selector: flags.selector},
    showEvidence: flags.output === 'wide',
    offline: given.offline,
    kernelRelease: flags['kernel-release'],
    run: given.run,
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

const familiesFlag = (v: NodesJudgement['ipFamilies']) => (v === 'auto' ? undefined : v)

function setupOf(options: NodesAreaOptions, ipFamilies: IpFamilies, ipFamiliesSource: string): NodesSetup {
  const {istioVersion} = options.plan
  const {dnsCapture} = options.judgement
  return {
    istioVersion,
    modes: options.judgement.modes,
    backends: options.judgement.backends,
    ipFamilies,
    ipFamiliesSource,
    // Istio's defaults for the judged release: sidecars off, ambient on from 1.25 (knowledge/istio-interception.ts).
    dnsCapture: {sidecar: dnsCapture ?? dnsCaptureDefault('sidecar', istioVersion), ambient: dnsCapture ?? dnsCaptureDefault('ambient', istioVersion)},
    interception: options.judgement.interception,
    functional: options.probe.functional,
    image: options.offline ? undefined : options.probe.image,
  }
}

/** Probe output → evidence; a malformed report is a reason, never an exception. */
function evidenceFrom(output: string): {kernel: Fact<KernelEvidence>; problem?: string} {
  const parsed = parseProbeOutput(output, PROBE_REQUEST)
  return parsed.ok ? {kernel: known(parsed.evidence)} : {kernel: unavailable(`no kernel evidence: ${parsed.reason}`), problem: parsed.reason}
}

async function gatherOffline(input: OfflineInput, options: NodesAreaOptions): Promise<Gathered> {
  const families = familiesFlag(options.judgement.ipFamilies)
  const setup = setupOf(
    options,
    families ?? 'ipv4',
    families ? '--ip-families' : 'assumed IPv4 for an offline input (pass --ip-families dual to judge IPv6 too)',
  )
  const root = await prepareOfflineRoot(input, options.kernelRelease, options.probe.functional)
  try {
    const local = await runLocalProbe({
      hostRoot: root.hostRoot,
      kernelRelease: root.release,
      functional: functionalFamilies(setup.functional),
      timeoutMs: options.probe.timeoutMs,
      signal: options.run.signal,
    }).then(
      (output) => evidenceFrom(output),
      (error: unknown) => {
        if (error instanceof UserError || options.run.signal.aborted) throw error
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
  const {selection, run: context} = options
  const flagFamilies = familiesFlag(options.judgement.ipFamilies)
  const wanted = new Set(selection.nodeNames)
  const runId = randomBytes(3).toString('hex')
  const session = await startProbeSession(client, {...options.probe, ...context, runId, nodeLevel: nodeLevel(selection)})
  // One probe per group, started as soon as the group's first Ready node is listed.
  const probed = new Map<string, {groupId: string; node: string}>()
  context.progress?.('listing nodes')
  const listed = await listNodes(client, selection.selector, context.signal, (node) => {
    const key = groupKey(node, selection.allNodes)
    if ((wanted.size > 0 && !wanted.has(node.name)) || isWindows(node) || !node.ready || probed.has(key)) return
    const target = {groupId: `p${probed.size + 1}`, node: node.name}
    probed.set(key, target)
    session.add(target)
  })
  if (listed.state === 'unavailable') {
    const setup = setupOf(options, flagFamilies ?? 'ipv4', flagFamilies ? '--ip-families' : 'unknown')
    return {
      setup,
      findings: [
        toFinding(probeCheck, {
          severity: 'unknown',
          subject: CLUSTER_SUBJECT,
          message: `no node could be judged: ${listed.reason}`,
          remediation: {text: 'Ask for list on nodes (see cluster.plugin-permissions), or judge a node itself with kubectl mesh-ready nodes --local.'},
        }),
      ],
    }
  }
  const listedNames = new Set(listed.value.map((n) => n.name))
  const unknownNames = [...wanted].filter((name) => !listedNames.has(name))
  if (unknownNames.length > 0)
    throw new UserError(
      `node${unknownNames.length > 1 ? 's' : ''} ${unknownNames.map((n) => `"${n}"`).join(', ')} not found${selection.selector ? ` among nodes matching -l ${selection.selector}` : ''}; see kubectl get nodes`,
    )
  if (selection.selector && listed.value.length === 0)
    throw new UserError(`no node matches -l ${selection.selector}; check the selector with kubectl get nodes -l '${selection.selector}'`)
  const nodes = wanted.size > 0 ? listed.value.filter((n) => wanted.has(n.name)) : listed.value
  let families = flagFamilies
  let source = '--ip-families'
  if (!families) {
    families = ipFamiliesFrom(listed.value, await kubernetesServiceFamilies(client))
    source = families
      ? 'node podCIDRs and the kubernetes Service'
      : 'assumed IPv4: no node podCIDRs and the kubernetes Service could not be read (pass --ip-families)'
  }
  const setup = setupOf(options, families ?? 'ipv4', source)
  const drafts = groupNodes(nodes, selection.allNodes)
  if (drafts.length === 0) {
    return {
      setup,
      findings: [toFinding(probeCheck, {severity: 'unknown', subject: CLUSTER_SUBJECT, message: 'no node could be judged: the cluster has no nodes'})],
    }
  }
  const run = await session.finish()
  // Nodes of one image report the same bytes: parse each distinct report once (--all-nodes on 5,000 nodes).
  const parsed = new Map<string, ReturnType<typeof evidenceFrom>>()
  const evidenceOf = (output: string) => parsed.get(output) ?? parsed.set(output, evidenceFrom(output)).get(output)!
  const groups = drafts.map((d): Judged => {
    const base = {
      id: d.id,
      subject: d.subject,
      ...d.key,
      nodes: d.nodes.map((n) => n.name),
      notReady: d.nodes.filter((n) => !n.ready).map((n) => n.name),
      windows: d.windows,
    }
    if (d.windows) return {group: {...base, probe: {state: 'skipped', reason: 'windows'}}, kernel: unavailable('Windows nodes are not probed')}
    const target = probed.get(d.groupingKey)
    if (!target) {
      const message = `no Ready node in this group (NotReady: ${base.notReady.slice(0, 5).join(', ')}${base.notReady.length > 5 ? ', …' : ''}); not probed`
      return {group: {...base, probe: {state: 'failed', problem: 'not-ready', message}}, kernel: unavailable(`no kernel evidence: ${message}`)}
    }
    const result = run.results.get(target.groupId)
    if (!result)
      return {
        group: {...base, probe: {state: 'failed', problem: 'failed', node: target.node, message: 'the probe did not run'}},
        kernel: unavailable('no kernel evidence: the probe did not run'),
      }
    if (!result.ok) {
      const {ok: _ok, ...failure} = result
      return {
        group: {...base, probe: {state: 'failed', node: target.node, ...failure}},
        kernel: unavailable(`no kernel evidence: the probe failed (${result.problem}; see node.probe)`),
      }
    }
    const {kernel, problem} = evidenceOf(result.output)
    return {
      group: {
        ...base,
        probe: problem
          ? {state: 'failed', problem: 'output', node: target.node, pod: result.pod, message: problem}
          : {state: 'ok', source: 'pod', node: target.node, pod: result.pod},
      },
      kernel,
    }
  })
  return {
    groups,
    setup,
    probe: {
      image: options.probe.image,
      namespace: run.namespace,
      runId,
      fanOut: run.fanOut,
      ...(run.daemonSet ? {daemonSet: run.daemonSet} : {}),
      podsCreated: run.podsCreated,
    },
    findings: [],
  }
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
  // Groups with the same evidence (one parsed report, see gatherCluster) share one judgement.
  const matrices = new Map<Fact<KernelEvidence>, Fact<KernelMatrix>>()
  const matrixOf = (kernel: Fact<KernelEvidence>) => matrices.get(kernel) ?? matrices.set(kernel, kernelMatrixFact(kernel, setup)).get(kernel)!
  const groups = gathered.groups.map((g) => ({...g, matrix: matrixOf(g.kernel)}))
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
  return {
    area: 'nodes',
    judged,
    unit: 'node groups',
    ...(judged < probed.length || probed.length === 0 ? {reason: reasons.length ? reasons.slice(0, 2).join('; ') : 'no Linux node to probe'} : {}),
  }
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
