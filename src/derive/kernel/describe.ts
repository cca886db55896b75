import type {NodesSetup} from '../../gather/nodes.js'
import {behaviourIn, ISTIO_BEHAVIOURS} from '../../knowledge/istio-interception.js'
import type {Backend, IptablesPath, Mode, Scenario} from '../../knowledge/kernel-modules.js'
import type {Outcome, Remediation, Severity, Subject} from '../../model/finding.js'
import {kernelVersion} from '../../knowledge/versions.js'
import type {JudgedRequirement, Readiness, ScenarioJudgement} from './scenarios.js'

/** Placeholder subject of the node checks; the area replaces it with the group's own. */
export const GROUP_SUBJECT: Subject = {kind: 'NodeGroup', name: 'node group'}

export const SEVERITY_OF: Record<Readiness, Severity> = {ready: 'pass', warnings: 'warn', unknown: 'unknown', 'not-ready': 'fail'}

export const PATH_NAMES: Record<IptablesPath, string> = {nft: 'iptables-nft', legacy: 'iptables-legacy'}

/**
 * The base scenario of a mode and backend under the run's setup. Sidecars write IPv6 rules when the cluster has
 * IPv6; istio-cni writes them for ambient whenever cni.ambient.ipv6 is on, its default (ISTIO_BEHAVIOURS.ambientIpv6).
 */
export function scenarioFor(setup: NodesSetup, mode: Mode, backend: Backend): Scenario {
  const clusterIpv6 = setup.ipFamilies !== 'ipv4'
  const ipv6 = mode === 'ambient' ? clusterIpv6 || behaviourIn<boolean>(ISTIO_BEHAVIOURS.ambientIpv6, setup.istioVersion) : clusterIpv6
  return {mode, backend, ipv6, dnsCapture: setup.dnsCapture[mode], interception: setup.interception, istioVersion: setup.istioVersion}
}

/** "sidecar on iptables", with the interception, DNS and IPv6 options that change the requirements. */
export function scenarioLabel(s: Scenario): string {
  const ipv6 = s.ipv6 ? (s.mode === 'ambient' ? 'IPv6 rules, cni.ambient.ipv6' : 'IPv6') : ''
  const extras = [s.mode === 'sidecar' && s.interception === 'tproxy' ? 'TPROXY' : '', s.dnsCapture ? 'DNS capture' : '', ipv6].filter(Boolean)
  return `${s.mode} on ${s.backend}${extras.length ? ` (${extras.join(', ')})` : ''}`
}

export const itemText = (i: JudgedRequirement): string => `${i.requirement.name}: ${i.evidence.detail}`

const list = (items: readonly JudgedRequirement[]) => items.map(itemText).join('; ')

/** One sentence on why a judgement is what it is. */
export function why(j: ScenarioJudgement): string {
  const failed = j.items.filter((i) => i.outcome === 'fail')
  const unknown = j.items.filter((i) => i.outcome === 'unknown' && i.severity === 'fail')
  const warned = j.items.filter((i) => i.outcome === 'warn')
  const functionalErrors = j.functional?.failures.map((f) => `functional test ${f.test} failed: ${f.error}`) ?? []
  const parts: string[] = []
  if (failed.length) parts.push(`missing ${list(failed)}`)
  if (functionalErrors.length) parts.push(functionalErrors.join('; '))
  if (unknown.length) parts.push(`could not tell ${list(unknown)}`)
  if (warned.length) parts.push(`warnings: ${list(warned)}`)
  if (parts.length === 0) {
    const met = j.items.filter((i) => i.outcome === 'ok')
    const merged = met.filter((i) => i.evidence.status === 'merged').map((i) => `${i.requirement.name} → ${i.requirement.mergedInto?.module}`)
    const proven = j.staticReadiness === 'unknown' && j.functional?.status === 'ok' ? '; proven by the functional test' : ''
    parts.push(`${met.length} kernel requirements met${merged.length ? ` (merged, not missing: ${merged.join(', ')})` : ''}${proven}`)
  }
  return parts.join('; ')
}

/** Short cell text for the matrix: "yes", "yes, warn: br_netfilter", "NO: ip_set, xt_set", "unknown: xt_owner". */
export function cell(j: ScenarioJudgement): string {
  const kernel = (i: JudgedRequirement) =>
    `kernel ${
      kernelVersion(i.evidence.detail.replace(/^Linux /, ''))
        ?.slice(0, 2)
        .join('.') ?? '?'
    } < ${i.requirement.minKernel?.kernel}`
  const names = (o: JudgedRequirement['outcome']) =>
    j.items
      .filter((i) => i.outcome === o && (o !== 'unknown' || i.severity === 'fail'))
      .map((i) => (i.requirement.kind === 'kernel' ? kernel(i) : i.requirement.name))
  const short = (xs: string[]) => (xs.length > 3 ? `${xs.slice(0, 3).join(', ')} +${xs.length - 3}` : xs.join(', '))
  switch (j.readiness) {
    case 'ready':
      return `yes`
    case 'warnings':
      return `yes, warn: ${short(names('warn'))}`
    case 'unknown':
      return `unknown: ${short(names('unknown'))}`
    case 'not-ready': {
      const failed = [...names('fail'), ...(j.functional?.failures.map((f) => `test ${f.test}`) ?? [])]
      return `NO: ${short(failed)}`
    }
  }
}

/** The Kconfig symbol the evidence names (the kernel's own spelling), else the row's first. */
const symbolToBuild = (i: JudgedRequirement) =>
  /CONFIG_\w+/.exec(i.evidence.detail)?.[0] ?? (i.requirement.config[0] ? `CONFIG_${i.requirement.config[0]}` : i.requirement.name)

/** Rows whose only gap is that the running node decides whether they are loaded (an image, a config). */
const runtimeOnly = (i: JudgedRequirement) => i.requirement.mustBeLoaded === true && (i.evidence.status === 'loadable' || i.evidence.status === 'config=m')

const loadCommand = (names: readonly string[]) =>
  `sudo modprobe -a ${names.join(' ')} && printf '%s\\n' ${names.join(' ')} | sudo tee /etc/modules-load.d/istio.conf`

/** What to do about a judgement that is not ready. */
export function remediationFor(j: ScenarioJudgement): Remediation | undefined {
  const failed = j.items.filter((i) => i.outcome === 'fail')
  const bad = failed.length > 0 ? failed : j.items.filter((i) => i.outcome === 'warn')
  if (j.readiness === 'unknown') {
    const unknown = j.items.filter((i) => i.outcome === 'unknown')
    if (unknown.length > 0 && unknown.every(runtimeOnly)) {
      const names = unknown.map((i) => i.requirement.name)
      return {
        text: `Whether ${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} loaded is decided on the running node, and Istio's pods cannot load ${names.length === 1 ? 'it' : 'them'}: load ${names.length === 1 ? 'it' : 'them'} at boot, or judge the running node.`,
        command: loadCommand(names),
      }
    }
    return {
      text: 'Make the kernel config and module lists readable to the probe (/proc/config.gz or /boot/config-<release>, /lib/modules/<release>), or run with --functional to apply the rules directly.',
    }
  }
  if (bad.length === 0 && j.functional?.status !== 'fail') return undefined
  const notLoaded = bad.filter((i) => i.evidence.status === 'not-loaded')
  const tooOld = bad.find((i) => i.requirement.kind === 'kernel')
  const noFile = bad.filter((i) => /no module file is installed/.test(i.evidence.detail))
  const rebuild = bad.filter((i) => !notLoaded.includes(i) && i !== tooOld && !noFile.includes(i) && i.evidence.status !== 'merged')
  const texts: string[] = []
  if (tooOld)
    texts.push(
      `Linux ${j.scenario.backend === 'nftables' ? "5.13 or later is needed for the nftables backend: keep Istio's default iptables backend (values.global.nativeNftables=false) or upgrade the nodes" : 'is too old'}.`,
    )
  if (noFile.length)
    texts.push(
      `Install the kernel's extra modules package for ${noFile.map((i) => i.requirement.name).join(', ')} (e.g. linux-modules-extra-$(uname -r) on Ubuntu).`,
    )
  if (rebuild.length)
    texts.push(
      `Use a node image whose kernel builds ${[...new Set(rebuild.map(symbolToBuild))].join(', ')} (=m or =y), or choose a set-up the matrix shows working.`,
    )
  if (notLoaded.length)
    texts.push(`Load ${notLoaded.map((i) => i.requirement.name).join(', ')} now and at every boot: Istio's pods cannot load legacy tables (istio/istio#57380).`)
  if (j.functional?.status === 'fail') texts.push('The functional test failed on the node itself; the error above is what Istio will hit.')
  const names = notLoaded.map((i) => i.requirement.name)
  return {text: texts.join(' '), ...(names.length ? {command: loadCommand(names)} : {})}
}

/** A finding for one judged set-up. */
export function scenarioOutcome(
  subject: Outcome['subject'],
  label: string,
  j: ScenarioJudgement,
  extra?: {message?: string; evidence?: Record<string, string | readonly string[]>},
): Outcome {
  const verdict = {ready: 'ready', warnings: 'ready, with warnings', unknown: 'could not be judged', 'not-ready': 'will not work'}[j.readiness]
  const remediation = remediationFor(j)
  return {
    severity: SEVERITY_OF[j.readiness],
    subject,
    mode: j.scenario.mode,
    backend: j.scenario.backend,
    message: `${label}: ${verdict}${extra?.message ? ` ${extra.message}` : ''} — ${why(j)}`,
    ...(remediation ? {remediation} : {}),
    evidence: {
      readiness: j.readiness,
      missing: j.items.filter((i) => i.outcome === 'fail').map((i) => i.requirement.name),
      unknown: j.items.filter((i) => i.outcome === 'unknown').map((i) => i.requirement.name),
      warnings: j.items.filter((i) => i.outcome === 'warn').map((i) => i.requirement.name),
      ...extra?.evidence,
    },
  }
}
