import {cell} from '../../derive/kernel/describe.js'
import type {KernelColumn, KernelMatrix} from '../../derive/kernel/matrix.js'
import {kernelColumn, modeBackends, possibleScenarios} from '../../derive/kernel/matrix.js'
import type {Fact} from '../../model/finding.js'
import type {ReportView} from '../../model/report.js'
import type {NodeGroup, NodesSetup} from '../../gather/nodes.js'
import type {KernelEvidence} from '../../gather/probe/parse-probe.js'

interface GroupInput {
  readonly group: NodeGroup
  readonly kernel: Fact<KernelEvidence>
  /** The group's kernel matrix (derive/kernel/matrix.ts), judged once for checks and views alike. */
  readonly matrix: Fact<KernelMatrix>
}

function noEvidence(group: NodeGroup): string {
  if (group.probe.state === 'skipped') return 'skip'
  return 'unknown'
}

/** The OS image without its asides: `Debian 12` for `Debian GNU/Linux 12 (bookworm)` (the full image is in -o wide and JSON). */
export function shortOs(osImage: string): string {
  const short = osImage
    .replace(/\s*\([^()]*\)/g, '')
    .replace(/\bGNU\/Linux\s+/, '')
    .trim()
  return short || osImage
}

/** A group's row head: its name (node pool, instance type, or first node), with the node count where the name lacks it. */
function groupCell(group: NodeGroup): string {
  const notReady = group.notReady.length ? `, ${group.notReady.length} NotReady` : ''
  const named = /\+\d+$/.test(group.subject.name) || group.subject.kind !== 'NodeGroup'
  return named && !notReady ? group.subject.name : `${group.subject.name} (${group.nodes.length}${notReady})`
}

/** Short cell text: yes, warn, NO, unknown (the findings below the matrix say what is missing or warned about). */
function compactCell(j: KernelColumn['judgement']): string {
  return {ready: 'yes', warnings: 'warn', unknown: 'unknown', 'not-ready': 'NO'}[j.readiness]
}

/**
 * The default view: one row per node group (its name, kernel and OS in their own columns), one column per
 * mode × backend. Architecture and runtime join the kernel and OS columns only where groups differ by them.
 */
export function matrixView(groups: readonly GroupInput[], setup: NodesSetup): ReportView {
  const cols = modeBackends(setup)
  // Once for the whole view, not per row: --all-nodes on 5,000 nodes has 5,000 rows.
  const varies = (key: 'architecture' | 'containerRuntime') => new Set(groups.map((g) => g.group[key])).size > 1
  const [archVaries, runtimeVaries] = [varies('architecture'), varies('containerRuntime')]
  const kernelOf = (g: NodeGroup) =>
    [g.kernelVersion || '?', archVaries && !g.kernelVersion.includes(g.architecture) ? g.architecture : ''].filter(Boolean).join(' ')
  const osOf = (g: NodeGroup) => [shortOs(g.osImage) || '?', runtimeVaries ? g.containerRuntime.replace(/:\/\//, ' ') : ''].filter(Boolean).join(', ')
  return {
    title: `Node groups: will Istio's traffic interception work? (Istio ${setup.istioVersion}, ${setup.ipFamilies}${setup.functional ? ', functional tests' : ''})`,
    headers: ['NODE GROUP', 'KERNEL', 'OS', ...cols.map(([m, b]) => `${m}\n${b}`)],
    rows: groups.map(({group, matrix}) => [
      groupCell(group),
      kernelOf(group),
      osOf(group),
      ...cols.map(([m, b]) => (matrix.state !== 'known' ? noEvidence(group) : compactCell(kernelColumn(matrix.value, m, b).judgement))),
    ]),
  }
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
  const full = possibleScenarios(setup).length === neededFor.length && !neededFor.some((n) => n.endsWith('(warn)'))
  if (full) return 'all'
  if (used.length === setup.modes.length && used.every((m) => m.text === used[0]!.text)) return used[0]!.text
  return used.map((m) => `${m.mode}: ${m.text}`).join('; ')
}

/** -o wide: per group, each requirement's evidence (loaded, builtin, loadable, config=y/m, merged into X, missing, unknown). */
export function evidenceViews(groups: readonly GroupInput[], setup: NodesSetup): ReportView[] {
  return groups.flatMap(({group, kernel, matrix}) => {
    if (kernel.state !== 'known' || matrix.state !== 'known') return []
    const k = kernel.value
    const source = [
      `config ${k.configSource ?? 'not found'}`,
      `modules ${[k.procModules && '/proc/modules', k.builtinList && 'modules.builtin', k.loadableList].filter(Boolean).join(', ') || 'no lists'}`,
      `SELinux ${k.selinux}`,
    ].join('; ')
    return [
      {
        title: `Kernel evidence: ${k.release ?? (group.kernelVersion || '?')} on ${group.subject.name} (${source}); * = used by Istio's rules but not on Istio's list`,
        headers: ['REQUIREMENT', 'EVIDENCE', 'DETAIL', 'NEEDED FOR'],
        rows: matrix.value.evidence.map((r) => [
          `${r.requirement}${r.listedBy === 'istio-rules' ? ' *' : ''}`,
          r.status,
          r.detail,
          neededForLabel(r.neededFor, setup),
        ]),
      },
    ]
  })
}

/** The machine-readable record of a group (data.nodes.groups[] in JSON/YAML). */
export function groupData({group, kernel, matrix: judged}: GroupInput): Record<string, unknown> {
  const base = {
    id: group.id,
    name: group.subject.name,
    kind: group.subject.kind,
    kernelVersion: group.kernelVersion,
    osImage: group.osImage,
    architecture: group.architecture,
    containerRuntime: group.containerRuntime,
    nodes: group.nodes,
    notReady: group.notReady,
    probe: group.probe,
  }
  if (kernel.state !== 'known') return {...base, kernel: null, reason: kernel.reason, matrix: {}, evidence: []}
  if (judged.state !== 'known') return {...base, kernel: null, reason: judged.reason, matrix: {}, evidence: []}
  const matrix = Object.fromEntries(
    judged.value.columns.map(({mode, backend, judgement, iptables}) => {
      const path = iptables?.chosen
      return [
        `${mode}/${backend}`,
        {
          readiness: judgement.readiness,
          staticReadiness: judgement.staticReadiness,
          ...(path ? {path} : {}),
          ...(judgement.functional ? {functional: judgement.functional} : {}),
          cell: cell(judgement),
        },
      ]
    }),
  )
  const {modules: _modules, config: _config, ...summary} = kernel.value
  return {...base, kernel: summary, matrix, evidence: judged.value.evidence}
}
