import type {FunctionalResult, KernelEvidence} from '../../gather/probe/parse-probe.js'
import {behaviourIn, ISTIO_BEHAVIOURS} from '../../knowledge/istio-interception.js'
import {NFT_MIN_VERSION} from '../../knowledge/kernel-history.js'
import type {Condition, IptablesPath, KernelRequirement, Scenario} from '../../knowledge/kernel-modules.js'
import {KERNEL_REQUIREMENTS} from '../../knowledge/kernel-modules.js'
import type {RequirementEvidence} from './evidence.js'
import {requirementEvidence} from './evidence.js'
import {compareKernel, compareMinor, toolVersion} from '../../knowledge/versions.js'

export type RequirementOutcome = 'ok' | 'fail' | 'warn' | 'unknown'
export type Readiness = 'ready' | 'warnings' | 'unknown' | 'not-ready'
const RANK: Record<Readiness, number> = {ready: 0, warnings: 1, unknown: 2, 'not-ready': 3}
export const worse = (a: Readiness, b: Readiness): Readiness => (RANK[a] >= RANK[b] ? a : b)

export interface JudgedRequirement {
  readonly requirement: KernelRequirement
  /** The row's severity (every judged row is required; rows Istio does not use are never judged). */
  readonly severity: 'fail' | 'warn'
  readonly note?: string
  readonly evidence: RequirementEvidence
  readonly outcome: RequirementOutcome
}

export interface FunctionalVerdict {
  readonly status: 'ok' | 'fail' | 'incomplete'
  readonly failures: readonly FunctionalResult[]
  /** Tests that could not run (tool absent from the image, or refused). */
  readonly notRun: readonly string[]
}

export interface ScenarioJudgement {
  readonly scenario: Scenario
  readonly items: readonly JudgedRequirement[]
  /** From the files alone. */
  readonly staticReadiness: Readiness
  readonly functional?: FunctionalVerdict
  /** Files and functional tests together. */
  readonly readiness: Readiness
}

export function conditionHolds(c: Condition, s: Scenario): boolean {
  if (c.backend !== undefined && c.backend !== s.backend) return false
  if (c.path !== undefined && c.path !== s.path) return false
  if (c.mode !== undefined && c.mode !== s.mode) return false
  if (c.ipv6 !== undefined && c.ipv6 !== s.ipv6) return false
  if (c.dnsCapture && !s.dnsCapture) return false
  if (c.interception !== undefined && (s.mode !== 'sidecar' || c.interception !== s.interception)) return false
  if (c.istioBefore !== undefined && compareMinor(s.istioVersion, c.istioBefore) >= 0) return false
  if (c.istioFrom !== undefined && compareMinor(s.istioVersion, c.istioFrom) < 0) return false
  return true
}

/** The rows that apply to a scenario, each judged on the evidence. */
export function judgeRequirements(ev: KernelEvidence, s: Scenario): JudgedRequirement[] {
  return KERNEL_REQUIREMENTS.flatMap((requirement) => {
    if (!requirement.when.some((c) => conditionHolds(c, s))) return []
    const severity = requirement.severity
    const evidence = requirementEvidence(requirement, ev)
    const outcome: RequirementOutcome = evidence.satisfied === true ? 'ok' : evidence.satisfied === false ? severity : 'unknown'
    return [{requirement, severity, evidence, outcome}]
  })
}

/** Unknown on a warn-level row never blocks: the row would only have warned. */
export function readinessOf(items: readonly JudgedRequirement[]): Readiness {
  if (items.some((i) => i.outcome === 'fail')) return 'not-ready'
  if (items.some((i) => i.outcome === 'unknown' && i.severity === 'fail')) return 'unknown'
  if (items.some((i) => i.outcome === 'warn')) return 'warnings'
  return 'ready'
}

/** Functional tests a scenario relies on (names as the probe reports them). */
export function functionalTests(s: Scenario): string[] {
  const marks = s.mode === 'ambient' || s.interception === 'tproxy'
  const tests: string[] = []
  if (s.backend === 'iptables') {
    for (const bin of [`iptables-${s.path}`, ...(s.ipv6 ? [`ip6tables-${s.path}`] : [])]) {
      tests.push(`${bin}.nat`)
      if (s.dnsCapture) tests.push(`${bin}.raw`)
      if (marks) tests.push(`${bin}.mangle`)
      if (s.mode === 'sidecar' && s.interception === 'tproxy') tests.push(`${bin}.tproxy`)
      if (s.mode === 'ambient') tests.push(`${bin}.set`)
    }
    if (s.mode === 'ambient') tests.push('ipset.v4', ...(s.ipv6 ? ['ipset.v6'] : []))
  } else {
    tests.push('nft.rules')
    if (s.mode === 'sidecar' && s.interception === 'tproxy') tests.push('nft.tproxy')
  }
  if (marks) tests.push('iprule.v4', ...(s.ipv6 ? ['iprule.v6'] : []))
  return tests
}

export function functionalVerdict(ev: KernelEvidence, s: Scenario): FunctionalVerdict | undefined {
  const results = ev.functional?.results
  if (!results) return undefined
  const refused = results.find((r) => r.test === 'netns' && r.status === 'fail')
  const failures: FunctionalResult[] = []
  const notRun: string[] = []
  for (const test of functionalTests(s)) {
    const result = results.find((r) => r.test === test)
    if (refused || !result || result.status === 'absent') notRun.push(test)
    else if (result.status === 'fail') failures.push(result)
  }
  const nft = toolVersion(ev.functional?.versions.nft)
  if (s.backend === 'nftables' && nft !== undefined && compareKernel(nft, NFT_MIN_VERSION)! < 0) {
    failures.push({test: 'nft.version', status: 'fail', error: `nft ${nft} is older than ${NFT_MIN_VERSION}`})
  }
  return {status: failures.length > 0 ? 'fail' : notRun.length > 0 ? 'incomplete' : 'ok', failures, notRun}
}

export function judgeScenario(ev: KernelEvidence, s: Scenario): ScenarioJudgement {
  const items = judgeRequirements(ev, s)
  const staticReadiness = readinessOf(items)
  const functional = functionalVerdict(ev, s)
  let readiness = staticReadiness
  if (functional?.status === 'fail') readiness = 'not-ready'
  else if (functional?.status === 'ok' && staticReadiness === 'unknown') readiness = 'ready'
  return {scenario: s, items, staticReadiness, functional, readiness}
}

export interface IptablesJudgement {
  /** The path Istio would take. */
  readonly chosen: IptablesPath
  readonly why: string
  readonly paths: Readonly<Record<IptablesPath, ScenarioJudgement>>
}

const rowNamed = (name: string) => KERNEL_REQUIREMENTS.find((r) => r.name === name)!

/**
 * Whether Istio's backend-detection test rule (`-p 255`) can be added with iptables-legacy from a pod: it needs the
 * legacy tables core and the probed table, already loaded (the pod cannot load them). undefined = cannot tell.
 */
export function legacyProbePasses(ev: KernelEvidence, istioVersion: string): {passes: boolean | undefined; table: string; detail: string} {
  const table = behaviourIn<string>(ISTIO_BEHAVIOURS.iptablesProbeTable, istioVersion)
  const rows = ['ip_tables', `iptable_${table}`].map((name) => ({name, e: requirementEvidence(rowNamed(name), ev)}))
  const failed = rows.find((r) => r.e.satisfied === false)
  const unsure = rows.find((r) => r.e.satisfied === undefined)
  const passes = failed ? false : unsure ? undefined : true
  const shown = failed ?? unsure ?? rows[1]!
  return {passes, table, detail: `${shown.name}: ${shown.e.detail}`}
}

/**
 * The path Istio's iptables backend takes (tools/istio-iptables/pkg/dependencies DetectIptablesVersion):
 * - legacy tables already registered on the host stand in for "iptables-legacy has rules": Istio keeps legacy;
 * - before 1.28 (istio/istio#57380, fixed by #57385) Istio checked iptables-legacy first and took it whenever its
 *   test rule could be added to the legacy *filter* table, even when the nat table could not be loaded;
 * - from 1.28 the test rule goes to the nat table, so iptables-legacy is used only where it works, else iptables-nft.
 * Without registered tables the path judged is the one Istio would get to work, the better of the two.
 */
export function judgeIptables(ev: KernelEvidence, base: Scenario): IptablesJudgement {
  const paths = {nft: judgeScenario(ev, {...base, backend: 'iptables', path: 'nft'}), legacy: judgeScenario(ev, {...base, backend: 'iptables', path: 'legacy'})}
  const legacy = ev.legacyTables?.ipv4 ?? []
  if (legacy.length > 0) {
    return {
      chosen: 'legacy',
      why: `legacy tables (${legacy.join(', ')}) are registered on the host, so Istio picks iptables-legacy once they hold rules`,
      paths,
    }
  }
  const probe = legacyProbePasses(ev, base.istioVersion)
  if (probe.table === 'filter' && probe.passes === true) {
    return {
      chosen: 'legacy',
      why: `Istio ${base.istioVersion} takes iptables-legacy whenever its test rule fits the legacy filter table, as it does here; istio/istio#57380, fixed in 1.28`,
      paths,
    }
  }
  const failures = (j: ScenarioJudgement) => j.items.filter((i) => i.outcome === 'fail').length
  const better = RANK[paths.nft.readiness] - RANK[paths.legacy.readiness] || failures(paths.nft) - failures(paths.legacy)
  const chosen: IptablesPath = better <= 0 ? 'nft' : 'legacy'
  const unsure =
    probe.table === 'filter' && probe.passes === undefined
      ? `; Istio ${base.istioVersion} would take iptables-legacy instead if its filter table is loaded on the running node, istio/istio#57380`
      : ''
  // Only a running node shows which legacy tables are registered; files alone never claim "none in use".
  const none = ev.legacyTables
    ? 'no legacy tables in use, so Istio picks iptables-nft'
    : 'judged on iptables-nft, the path Istio takes where no legacy rules exist (only a running node shows whether some do)'
  const why = chosen === 'nft' ? `${none}${unsure}` : 'iptables-nft would not work, so Istio falls back to iptables-legacy'
  return {chosen, why, paths}
}
