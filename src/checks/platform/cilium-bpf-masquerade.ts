import {CILIUM_KEYS} from '../../knowledge/cni-signals.js'
import type {Outcome} from '../../model/finding.js'
import {defineCheck} from '../../model/finding.js'
import {ciliumContext, ciliumHelmSet, isTrue} from '../../derive/platform/cilium.js'
import type {PlatformFacts} from '../../derive/platform/facts.js'
import {forModes} from '../../derive/platform/modes.js'

export const ciliumBpfMasquerade = defineCheck<PlatformFacts>()({
  id: 'platform.cilium-bpf-masquerade',
  title: 'Cilium BPF masquerading is off (ambient health probes need iptables masquerading)',
  category: 'platform',
  needs: ['cni', 'ciliumConfigs', 'modes'],
  source:
    'https://istio.io/latest/docs/ambient/install/platform-prerequisites/#cilium ; https://github.com/cilium/cilium/blob/main/install/kubernetes/cilium/templates/cilium-configmap.yaml',
  run: ({cni, ciliumConfigs, modes}): Outcome[] => {
    const ctx = ciliumContext(cni, ciliumConfigs)
    if ('outcome' in ctx) return [ctx.outcome]
    const raw = ctx.config.data[CILIUM_KEYS.bpfMasquerade]
    return forModes(modes, (mode): Outcome[] => {
      if (mode === 'sidecar') return []
      if (!isTrue(raw))
        return [{severity: 'pass', subject: ctx.subject, message: `${CILIUM_KEYS.bpfMasquerade}: ${raw === undefined ? 'not set (false)' : `"${raw}"`}`}]
      return [
        {
          severity: 'fail',
          subject: ctx.subject,
          message: `${CILIUM_KEYS.bpfMasquerade}: "true" in ${ctx.config.namespace}/${ctx.config.name}: BPF masquerading breaks the link-local SNAT of kubelet probes, so ambient pods fail their health checks`,
          remediation: {
            text: "Turn BPF masquerading off; Cilium's default iptables masquerading works with ambient.",
            command: ciliumHelmSet(ctx.config.namespace, ['bpf.masquerade=false']),
          },
          evidence: {[CILIUM_KEYS.bpfMasquerade]: raw ?? null},
        },
      ]
    })
  },
})
