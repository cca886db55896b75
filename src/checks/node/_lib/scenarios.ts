import type {FunctionalResult, KernelEvidence} from '../../../gather/probe/parse-probe.js'
import {compareMinor} from '../../../knowledge/istio-releases.js'
import {NFT_MIN_VERSION} from '../../../knowledge/kernel-history.js'
import type {Condition, IptablesPath, KernelRequirement, Scenario} from '../../../knowledge/kernel-modules.js'
import {KERNEL_REQUIREMENTS} from '../../../knowledge/kernel-modules.js'
import type {RequirementEvidence} from './evidence.js'
import {requirementEvidence} from './evidence.js'
import {compareKernel, toolVersion} from './kernel-version.js'

export type Outcome = 'ok' | 'fail' | 'warn' | 'unknown'
export type Readiness = 'ready' | 'warnings' | 'unknown' | 'not-ready'
const RANK: Record<Readiness, number> = {ready: 0, warnings: 1, unknown: 2, 'not-ready': 3}
export const worse = (a: Readiness, b: Readiness): Readiness => (RANK[a] >= RANK[b] ? a : b)

export interface JudgedRequirement {
  readonly requirement: KernelRequirement
  /** The row's severity under the matching condition. */
  readonly severity: 'fail' | 'warn'
  readonly note?: string
  readonly evidence: RequirementEvidence
  readonly outcome: Outcome
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
  return true
}

/** The rows that apply to a scenario, each judged on the evidence. */
export function judgeRequirements(ev: KernelEvidence, s: Scenario): JudgedRequirement[] {
  return KERNEL_REQUIREMENTS.flatMap((requirement) => {
    const condition = requirement.when.find((c) => conditionHolds(c, s))
    if (!condition) return []
    const severity = condition.severity ?? requirement.severity
    const evidence = requirementEvidence(requirement, ev)
    const outcome: Outcome = evidence.satisfied === true ? 'ok' : evidence.satisfied === false ? severity : 'unknown'
    return [{requirement, severity, note: condition.note, evidence, outcome}]
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

/**
 * Istio's iptables backend uses iptables-legacy when legacy tables already hold rules, else iptables-nft when it
 * works, else legacy (istio-iptables DetectIptablesVersion, reference §2.8). Registered legacy tables in the host
 * namespace stand in for "holds rules"; without that evidence the better path is the one Istio can take.
 */
export function judgeIptables(ev: KernelEvidence, base: Scenario): IptablesJudgement {
  const paths = {nft: judgeScenario(ev, {...base, backend: 'iptables', path: 'nft'}), legacy: judgeScenario(ev, {...base, backend: 'iptables', path: 'legacy'})}
  const legacy = ev.legacyTables?.ipv4 ?? []
  if (legacy.length > 0) {
    return {chosen: 'legacy', why: `legacy tables (${legacy.join(', ')}) are registered on the host, so Istio picks iptables-legacy once they hold rules`, paths}
  }
  const failures = (j: ScenarioJudgement) => j.items.filter((i) => i.outcome === 'fail').length
  const better = RANK[paths.nft.readiness] - RANK[paths.legacy.readiness] || failures(paths.nft) - failures(paths.legacy)
  const chosen: IptablesPath = better <= 0 ? 'nft' : 'legacy'
  return {chosen, why: chosen === 'nft' ? 'no legacy tables in use, so Istio picks iptables-nft' : 'iptables-nft would not work, so Istio falls back to iptables-legacy', paths}
}
