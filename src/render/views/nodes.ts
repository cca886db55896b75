import {cell, scenarioFor} from '../../derive/kernel/describe.js'
import {requirementEvidence} from '../../derive/kernel/evidence.js'
import {conditionHolds, judgeIptables, judgeScenario} from '../../derive/kernel/scenarios.js'
import type {ScenarioJudgement} from '../../derive/kernel/scenarios.js'
import type {Fact} from '../../model/finding.js'
import type {ReportView} from '../../model/report.js'
import type {NodeGroup, NodesSetup} from '../../gather/nodes.js'
import type {KernelEvidence} from '../../gather/probe/parse-probe.js'
import type {Backend, Mode, Scenario} from '../../knowledge/kernel-modules.js'
import {KERNEL_REQUIREMENTS} from '../../knowledge/kernel-modules.js'

interface GroupInput {
  readonly group: NodeGroup
  readonly kernel: Fact<KernelEvidence>
}

const columns = (setup: NodesSetup): Array<[Mode, Backend]> => setup.modes.flatMap((m) => setup.backends.map((b): [Mode, Backend] => [m, b]))

/** The judgement of one column, with the iptables path Istio would take. */
function judge(kernel: KernelEvidence, setup: NodesSetup, mode: Mode, backend: Backend): {judgement: ScenarioJudgement; path?: string} {
  const base = scenarioFor(setup, mode, backend)
  if (backend === 'nftables') return {judgement: judgeScenario(kernel, base)}
  const iptables = judgeIptables(kernel, base)
  return {judgement: iptables.paths[iptables.chosen], path: iptables.chosen}
}

function noEvidence(group: NodeGroup): string {
  if (group.probe.state === 'skipped') return 'skip'
  return 'unknown'
}

/** The OS image without its asides: `Debian 12` for `Debian GNU/Linux 12 (bookworm)` (the full image is in -o wide and JSON). */
export function shortOs(osImage: string): string {
  const short = osImage.replace(/\s*\([^()]*\)/g, '').replace(/\bGNU\/Linux\s+/, '').trim()
  return short || osImage
}

/** A group's row head: its name (node pool, instance type, or first node), with the node count where the name lacks it. */
function groupCell(group: NodeGroup): string {
  const notReady = group.notReady.length ? `, ${group.notReady.length} NotReady` : ''
  const named = /\+\d+$/.test(group.subject.name) || group.subject.kind !== 'NodeGroup'
  return named && !notReady ? group.subject.name : `${group.subject.name} (${group.nodes.length}${notReady})`
}

/** Short cell text: yes, warn, NO, unknown (the findings below the matrix say what is missing or warned about). */
function compactCell(j: ScenarioJudgement): string {
  return {ready: 'yes', warnings: 'warn', unknown: 'unknown', 'not-ready': 'NO'}[j.readiness]
}

/**
 * The default view: one row per node group (its name, kernel and OS in their own columns), one column per
 * mode × backend. Architecture and runtime join the kernel and OS columns only where groups differ by them.
 */
export function matrixView(groups: readonly GroupInput[], setup: NodesSetup): ReportView {
  const cols = columns(setup)
  const varies = (key: 'architecture' | 'containerRuntime') => new Set(groups.map((g) => g.group[key])).size > 1
  const kernelOf = (g: NodeGroup) => [g.kernelVersion || '?', varies('architecture') && !g.kernelVersion.includes(g.architecture) ? g.architecture : ''].filter(Boolean).join(' ')
  const osOf = (g: NodeGroup) => [shortOs(g.osImage) || '?', varies('containerRuntime') ? g.containerRuntime.replace(/:\/\//, ' ') : ''].filter(Boolean).join(', ')
  return {
    title: `Node groups: will Istio's traffic interception work? (Istio ${setup.istioVersion}, ${setup.ipFamilies}${setup.functional ? ', functional tests' : ''})`,
    headers: ['NODE GROUP', 'KERNEL', 'OS', ...cols.map(([m, b]) => `${m}\n${b}`)],
    rows: groups.map(({group, kernel}) => [
      groupCell(group),
      kernelOf(group),
      osOf(group),
      ...cols.map(([m, b]) => (kernel.state !== 'known' ? noEvidence(group) : compactCell(judge(kernel.value, setup, m, b).judgement))),
    ]),
  }
}

/** Every scenario a requirement row could apply to under this setup (both iptables paths). */
function scenariosOf(setup: NodesSetup): Scenario[] {
  return columns(setup).flatMap(([m, b]) => {
    const base = scenarioFor(setup, m, b)
    return b === 'iptables' ? [{...base, path: 'nft' as const}, {...base, path: 'legacy' as const}] : [base]
  })
}

const SHORT_PATH = {nft: 'ipt-nft', legacy: 'ipt-legacy'} as const
const scenarioName = (s: Scenario) => `${s.mode}/${s.path ? SHORT_PATH[s.path] : 'nft'}`

export interface EvidenceRow {
  readonly requirement: string
  readonly kind: string
  readonly listedBy: string
  /** The vocabulary: loaded, builtin, loadable, config=y, config=m, merged into X, missing, unknown (or version). */
  readonly status: string
  readonly satisfied: boolean | null
  readonly detail: string
  readonly neededFor: readonly string[]
  readonly source: string
}

/** Requirement rows with their evidence and where they are needed, for -o wide and JSON. */
export function evidenceRows(kernel: KernelEvidence, setup: NodesSetup): EvidenceRow[] {
  const scenarios = scenariosOf(setup)
  return KERNEL_REQUIREMENTS.flatMap((r) => {
    const neededFor = scenarios.flatMap((s) => {
      // Every judged row is required where it applies (rows Istio does not use are notes with no conditions).
      return r.when.some((x) => conditionHolds(x, s)) ? [scenarioName(s)] : []
    })
    if (neededFor.length === 0) return []
    const e = requirementEvidence(r, kernel)
    const status = e.status === 'merged' ? `merged into ${r.mergedInto?.module}` : e.status === 'version' ? (e.satisfied ? 'ok' : 'too old') : e.status
    const requirement = r.kind === 'feature' ? `CONFIG_${r.name}` : r.kind === 'kernel' ? `kernel ≥ ${r.minKernel?.kernel}` : r.name
    return [{requirement, kind: r.kind, listedBy: r.listedBy, status, satisfied: e.satisfied ?? null, detail: e.detail, neededFor, source: r.source}]
  })
}

/** "all", "iptables (warn)", "ambient: iptables", "sidecar: ipt-legacy; ambient: iptables": where a row is needed, compactly. */
export function neededForLabel(neededFor: readonly string[], setup: NodesSetup): string {
  const perMode = setup.modes.map((mode) => {
    const mine = neededFor.filter((n) => n.startsWith(`${mode}/`)).map((n) => n.slice(mode.length + 1))
    // Compare paths without their "(warn)" mark, so a warn-only path still folds into "iptables".
    const paths = [...new Set(mine.map((m) => m.replace(' (warn)', '')))]
    const both = paths.includes('ipt-nft') && paths.includes('ipt-legacy')
    const parts = [...(both ? ['iptables'] : paths.filter((m) => m.startsWith('ipt-'))), ...paths.filter((m) => m === 'nft')]
    const warn = mine.length > 0 && mine.every((m) => m.endsWith('(warn)'))
    return {mode, text: parts.join(' + ') + (warn ? ' (warn)' : ''), any: mine.length > 0}
  })
  const used = perMode.filter((m) => m.any)
  const full = scenariosOf(setup).length === neededFor.length && !neededFor.some((n) => n.endsWith('(warn)'))
  if (full) return 'all'
  if (used.length === setup.modes.length && used.every((m) => m.text === used[0]!.text)) return used[0]!.text
  return used.map((m) => `${m.mode}: ${m.text}`).join('; ')
}

/** -o wide: per group, each requirement's evidence (loaded, builtin, loadable, config=y/m, merged into X, missing, unknown). */
export function evidenceViews(groups: readonly GroupInput[], setup: NodesSetup): ReportView[] {
  return groups.flatMap(({group, kernel}) => {
    if (kernel.state !== 'known') return []
    const k = kernel.value
    const source = [`config ${k.configSource ?? 'not found'}`, `modules ${[k.procModules && '/proc/modules', k.builtinList && 'modules.builtin', k.loadableList].filter(Boolean).join(', ') || 'no lists'}`, `SELinux ${k.selinux}`].join('; ')
    return [{
      title: `Kernel evidence: ${k.release ?? (group.kernelVersion || '?')} on ${group.subject.name} (${source}); * = used by Istio's rules but not on Istio's list`,
      headers: ['REQUIREMENT', 'EVIDENCE', 'DETAIL', 'NEEDED FOR'],
      rows: evidenceRows(k, setup).map((r) => [
        `${r.requirement}${r.listedBy === 'istio-rules' ? ' *' : ''}`,
        r.status,
        r.detail,
        neededForLabel(r.neededFor, setup),
      ]),
    }]
  })
}

/** The machine-readable record of a group (data.nodes.groups[] in JSON/YAML). */
export function groupData(group: NodeGroup, kernel: Fact<KernelEvidence>, setup: NodesSetup): Record<string, unknown> {
  const base = {id: group.id, name: group.subject.name, kind: group.subject.kind, kernelVersion: group.kernelVersion, osImage: group.osImage, architecture: group.architecture, containerRuntime: group.containerRuntime, nodes: group.nodes, notReady: group.notReady, probe: group.probe}
  if (kernel.state !== 'known') return {...base, kernel: null, reason: kernel.reason, matrix: {}, evidence: []}
  const k = kernel.value
  const matrix = Object.fromEntries(
    columns(setup).map(([m, b]) => {
      const {judgement, path} = judge(k, setup, m, b)
      return [`${m}/${b}`, {readiness: judgement.readiness, staticReadiness: judgement.staticReadiness, ...(path ? {path} : {}), ...(judgement.functional ? {functional: judgement.functional} : {}), cell: cell(judgement)}]
    }),
  )
  const {modules: _modules, config: _config, ...summary} = k
  return {...base, kernel: summary, matrix, evidence: evidenceRows(k, setup)}
}
