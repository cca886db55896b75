import {CILIUM_KEYS} from '../../knowledge/cni-signals.js'
import type {Outcome} from '../../model/finding.js'
import {defineCheck} from '../../model/finding.js'
import {ciliumContext, ciliumHelmSet, isTrue} from '../../derive/platform/cilium.js'
import type {PlatformFacts} from '../../derive/platform/facts.js'
import {forModes} from '../../derive/platform/modes.js'

/** `true`, and the older `strict` (full replacement); `partial`/`probe` are treated as on too (UNVERIFIED for old agents). */
const KPR_ON = new Set(['true', 'strict', 'partial', 'probe'])

export const ciliumKubeProxyReplacement = defineCheck<PlatformFacts>()({
  id: 'platform.cilium-kube-proxy-replacement',
  title: 'With Cilium kube-proxy replacement, socket load balancing is limited to the host namespace',
  category: 'platform',
  needs: ['cni', 'ciliumConfigs', 'modes'],
  source:
    'https://docs.cilium.io/en/latest/network/servicemesh/istio/ ; https://github.com/istio/istio/issues/57911 ; https://github.com/istio/istio/issues/27619',
  run: ({cni, ciliumConfigs, modes}): Outcome[] => {
    const ctx = ciliumContext(cni, ciliumConfigs)
    if ('outcome' in ctx) return [ctx.outcome]
    const kpr = ctx.config.data[CILIUM_KEYS.kubeProxyReplacement]
    const hostnsOnly = ctx.config.data[CILIUM_KEYS.socketLbHostnsOnly]
    const evidence = {[CILIUM_KEYS.kubeProxyReplacement]: kpr ?? null, [CILIUM_KEYS.socketLbHostnsOnly]: hostnsOnly ?? null}
    if (!KPR_ON.has(kpr?.trim().toLowerCase() ?? ''))
      return [
        {severity: 'pass', subject: ctx.subject, message: `kube-proxy replacement is off (${CILIUM_KEYS.kubeProxyReplacement}: ${kpr ?? 'not set'})`, evidence},
      ]
    if (!isTrue(hostnsOnly)) {
      return forModes(modes, () => [
        {
          severity: 'fail',
          subject: ctx.subject,
          message: `${CILIUM_KEYS.kubeProxyReplacement}: "${kpr}" without ${CILIUM_KEYS.socketLbHostnsOnly}: "true": Cilium's socket load balancer resolves Services inside pods, bypassing Istio's routing`,
          remediation: {
            text: 'Limit socket load balancing to the host namespace.',
            command: ciliumHelmSet(ctx.config.namespace, ['socketLB.hostNamespaceOnly=true']),
          },
          evidence,
        },
      ])
    }
    return forModes(modes, (mode): Outcome[] =>
      mode === 'sidecar'
        ? [{severity: 'pass', subject: ctx.subject, message: `kube-proxy replacement with ${CILIUM_KEYS.socketLbHostnsOnly}: "true"`, evidence}]
        : [
            {
              severity: 'warn',
              subject: ctx.subject,
              message: `kube-proxy replacement is on (${CILIUM_KEYS.socketLbHostnsOnly}: "true" as required); ambient probes have still been reported failing with it (istio/istio#57911, unresolved)`,
              remediation: {text: 'Test kubelet probes of an ambient pod before rolling out, or run Cilium without kube-proxy replacement.'},
              evidence,
            },
          ],
    )
  },
})
