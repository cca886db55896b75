import type {Outcome} from '../../model/finding.js'
import {CLUSTER_SUBJECT, defineCheck} from '../../model/finding.js'
import type {PlatformFacts} from '../../derive/platform/facts.js'
import {forModes} from '../../derive/platform/modes.js'

export const gvisorRuntimeClass = defineCheck<PlatformFacts>()({
  id: 'platform.gvisor-runtime-class',
  title: 'No gVisor RuntimeClass for pods that would join ambient',
  category: 'platform',
  needs: ['runtimeClasses', 'modes'],
  source:
    'https://github.com/istio/istio/issues/58573 (ambient incompatible with gVisor runsc); https://cloud.google.com/kubernetes-engine/docs/how-to/prepare-ambient-networking (no gVisor)',
  run: ({runtimeClasses, modes}) => {
    const gvisor = runtimeClasses.filter((r) => r.handler === 'runsc' || /gvisor/i.test(`${r.name} ${r.handler}`))
    return forModes(modes, (mode): Outcome[] => {
      if (mode === 'sidecar') return []
      if (gvisor.length === 0)
        return [{severity: 'pass', subject: CLUSTER_SUBJECT, message: `no gVisor RuntimeClass (${runtimeClasses.length} RuntimeClasses)`}]
      return gvisor.map((r) => ({
        severity: 'warn',
        subject: CLUSTER_SUBJECT,
        message: `RuntimeClass ${r.name} (handler ${r.handler}) runs pods in gVisor, which ambient cannot capture: keep those pods out of ambient namespaces`,
        remediation: {text: 'Do not enrol namespaces that run gVisor pods in ambient, or opt those pods out with the label istio.io/dataplane-mode=none.'},
        evidence: {runtimeClass: r.name, handler: r.handler},
      }))
    })
  },
})
