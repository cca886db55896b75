import type {Mode} from '../../knowledge/istio-platform.js'
import type {Outcome} from '../../model/finding.js'
import type {InstallSettings} from './install-plan.js'

const key = (o: Outcome) => [o.severity, o.subject.kind, o.subject.namespace ?? '', o.subject.name, o.message, o.remediation?.command ?? ''].join('\u0000')

/**
 * Judges each selected mode and merges identical results into one outcome naming the modes it applies to
 * (`evidence.modes`). A result for only some of the selected modes is prefixed with them ("ambient: …") and, when it
 * is about exactly one mode, carries it as `mode` (so a mode outside the install plan is shown, not counted).
 */
export function forModes(modes: readonly Mode[], judge: (mode: Mode) => readonly Outcome[]): Outcome[] {
  const merged = new Map<string, {outcome: Outcome; modes: Mode[]}>()
  for (const mode of modes) {
    for (const outcome of judge(mode)) {
      const entry = merged.get(key(outcome)) ?? {outcome, modes: []}
      entry.modes.push(mode)
      merged.set(key(outcome), entry)
    }
  }
  return [...merged.values()].map(({outcome, modes: applies}) => ({
    ...outcome,
    message: applies.length < modes.length ? `${applies.join(', ')}: ${outcome.message}` : outcome.message,
    evidence: {...outcome.evidence, modes: applies},
    mode: applies.length === 1 ? applies[0] : null,
  }))
}

/** The plan installs the istio-cni node agent (always in ambient; in sidecar mode on OpenShift and Talos). */
export const usesIstioCni = (plan: InstallSettings | undefined): boolean => plan?.releases.some((r) => r.release === 'istio-cni') === true

/** The namespace istio-cni and ztunnel go to in this plan. */
export const nodeAgentNamespace = (plan: InstallSettings): string | undefined =>
  plan.releases.find((r) => r.release === 'istio-cni' || r.release === 'ztunnel')?.namespace
