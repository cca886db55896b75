import type {NodeGroupFacts, NodesSetup} from '../../gather/nodes.js'
import type {KernelEvidence} from '../../gather/probe/parse-probe.js'
import type {Backend, Mode, Scenario} from '../../knowledge/kernel-modules.js'
import {KERNEL_REQUIREMENTS} from '../../knowledge/kernel-modules.js'
import type {Fact} from '../../model/finding.js'
import {known, unavailable} from '../../model/finding.js'
import {scenarioFor} from './describe.js'
import {requirementEvidence} from './evidence.js'
import type {IptablesJudgement, ScenarioJudgement} from './scenarios.js'
import {conditionHolds, functionalTests, judgeIptables, judgeScenario} from './scenarios.js'

/**
 * The kernel matrix of a node group: every mode × backend of the setup judged once on the group's evidence, with
 * what the node checks and views read from those judgements. Checks turn it into findings, views render it; neither
 * judges again.
 */

/** One judged mode × backend. */
export interface KernelColumn {
  readonly mode: Mode
  readonly backend: Backend
  /** The scenario of the mode and backend under the setup (scenarioFor), before an iptables path is chosen. */
  readonly base: Scenario
  /** The scenario Istio runs: for iptables, on the path it takes. */
  readonly scenario: Scenario
  /** The judgement of `scenario`. */
  readonly judgement: ScenarioJudgement
  /** iptables only: both paths judged, the one Istio takes, and why. */
  readonly iptables?: IptablesJudgement
  /**
   * The modules the scenario's rules request by name that are only loadable: the kernel autoloads them when the rule is
   * written. Dependencies (nf_conntrack, x_tables, …) load with them; the legacy tables are never autoloaded for
   * Istio's pods (the backend checks judge them as `not-loaded`). Sorted, each once.
   */
  readonly autoload: readonly string[]
  /** The functional tests the scenario relies on (names as the probe reports them). */
  readonly functionalTests: readonly string[]
}

/** A requirement row with its evidence and where it is needed (-o wide and JSON). */
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

export interface KernelMatrix {
  /** Every mode × backend of the setup, modes outer, each in the setup's order. */
  readonly columns: readonly KernelColumn[]
  /** The requirement rows needed by some scenario of the setup, in the table's order. */
  readonly evidence: readonly EvidenceRow[]
}

/** The setup's mode × backend pairs, modes outer. */
export const modeBackends = (setup: NodesSetup): Array<[Mode, Backend]> => setup.modes.flatMap((m) => setup.backends.map((b): [Mode, Backend] => [m, b]))

/** Every scenario a requirement row could apply to under this setup (both iptables paths). */
export function possibleScenarios(setup: NodesSetup): Scenario[] {
  return modeBackends(setup).flatMap(([m, b]) => {
    const base = scenarioFor(setup, m, b)
    return b === 'iptables'
      ? [
          {...base, path: 'nft' as const},
          {...base, path: 'legacy' as const},
        ]
      : [base]
  })
}

const SHORT_PATH = {nft: 'ipt-nft', legacy: 'ipt-legacy'} as const
const scenarioName = (s: Scenario) => `${s.mode}/${s.path ? SHORT_PATH[s.path] : 'nft'}`

function autoloadOf(judgement: ScenarioJudgement): string[] {
  const modules = judgement.items
    .filter((i) => i.requirement.kind === 'module' && !i.requirement.dependency && !i.requirement.mustBeLoaded)
    .filter((i) => i.outcome === 'ok' && (i.evidence.status === 'loadable' || i.evidence.status === 'config=m'))
    .map((i) => i.requirement.name)
  return [...new Set(modules)].sort()
}

function columnOf(kernel: KernelEvidence, setup: NodesSetup, mode: Mode, backend: Backend): KernelColumn {
  const base = scenarioFor(setup, mode, backend)
  if (backend === 'nftables') {
    const judgement = judgeScenario(kernel, base)
    return {mode, backend, base, scenario: base, judgement, autoload: autoloadOf(judgement), functionalTests: functionalTests(base)}
  }
  const iptables = judgeIptables(kernel, base)
  const scenario: Scenario = {...base, path: iptables.chosen}
  const judgement = iptables.paths[iptables.chosen]
  return {mode, backend, base, scenario, judgement, iptables, autoload: autoloadOf(judgement), functionalTests: functionalTests(scenario)}
}

/** Requirement rows with their evidence and where they are needed, for -o wide and JSON. */
function evidenceRows(kernel: KernelEvidence, setup: NodesSetup): EvidenceRow[] {
  const scenarios = possibleScenarios(setup)
  return KERNEL_REQUIREMENTS.flatMap((r) => {
    // Every judged row is required where it applies (rows Istio does not use are notes with no conditions).
    const neededFor = scenarios.flatMap((s) => (r.when.some((x) => conditionHolds(x, s)) ? [scenarioName(s)] : []))
    if (neededFor.length === 0) return []
    const e = requirementEvidence(r, kernel)
    const status = e.status === 'merged' ? `merged into ${r.mergedInto?.module}` : e.status === 'version' ? (e.satisfied ? 'ok' : 'too old') : e.status
    const requirement = r.kind === 'feature' ? `CONFIG_${r.name}` : r.kind === 'kernel' ? `kernel ≥ ${r.minKernel?.kernel}` : r.name
    return [{requirement, kind: r.kind, listedBy: r.listedBy, status, satisfied: e.satisfied ?? null, detail: e.detail, neededFor, source: r.source}]
  })
}

/** Judges a node group's kernel evidence once: every mode × backend of the setup, and the evidence rows. */
export function deriveKernelMatrix(kernel: KernelEvidence, setup: NodesSetup): KernelMatrix {
  return {columns: modeBackends(setup).map(([m, b]) => columnOf(kernel, setup, m, b)), evidence: evidenceRows(kernel, setup)}
}

/** The matrix fact of a group: known where its kernel evidence is, else unavailable for the same reason. */
export function kernelMatrixFact(kernel: Fact<KernelEvidence>, setup: NodesSetup): Fact<KernelMatrix> {
  return kernel.state === 'known' ? known(deriveKernelMatrix(kernel.value, setup)) : unavailable(kernel.reason)
}

/** The column of a mode and backend (every one of the setup is in the matrix). */
export function kernelColumn(matrix: KernelMatrix, mode: Mode, backend: Backend): KernelColumn {
  const column = matrix.columns.find((c) => c.mode === mode && c.backend === backend)
  if (!column) throw new Error(`the kernel matrix has no ${mode}/${backend} column`)
  return column
}

/** The facts of the node group checks, with the matrix typed. */
export type NodeKernelFacts = NodeGroupFacts<KernelMatrix>
