import {CILIUM_KEYS} from '../../knowledge/cni-signals.js'
import type {Outcome} from '../../model/finding.js'
import {CLUSTER_SUBJECT, defineCheck} from '../../model/finding.js'
import {ciliumContext, isTrue} from '../../derive/platform/cilium.js'
import type {PlatformFacts} from '../../derive/platform/facts.js'
import {inventoryGaps} from '../../derive/platform/inventory.js'
import {forModes} from '../../derive/platform/modes.js'
import {allowProbesCiliumPolicy, ciliumAllowsProbes, snatAddresses} from '../../derive/platform/probe-snat.js'

export const ciliumHostProbePolicy = defineCheck<PlatformFacts>()({
  id: 'platform.cilium-host-probe-policy',
  title: 'Under Cilium default-deny, a cluster-wide policy admits the ambient probe SNAT address',
  category: 'platform',
  needs: ['cni', 'ciliumConfigs', 'ciliumPolicies', 'networkPolicies', 'nodes', 'modes'],
  source:
    'https://istio.io/latest/docs/ambient/install/platform-prerequisites/#cilium ; https://github.com/istio/istio/issues/49277 ; https://github.com/istio/istio/issues/56484',
  run: ({cni, ciliumConfigs, ciliumPolicies, networkPolicies, nodes, modes}): Outcome[] => {
    const ctx = ciliumContext(cni, ciliumConfigs)
    if ('outcome' in ctx) return [ctx.outcome]
    const cilium = [...(ciliumPolicies?.clusterwide ?? []), ...(ciliumPolicies?.namespaced.items ?? [])]
    const addresses = snatAddresses(nodes, isTrue(ctx.config.data[CILIUM_KEYS.ipv6]))
    const allowing = cilium.filter((p) => ciliumAllowsProbes(p, addresses))
    const denying = [
      ...(ctx.config.data[CILIUM_KEYS.policyEnforcement] === 'always' ? [`${CILIUM_KEYS.policyEnforcement}: always`] : []),
      ...networkPolicies.items.filter((p) => p.restrictsIngress).map((p) => `NetworkPolicy ${p.namespace}/${p.name}`),
      ...cilium
        .filter((p) => p.hasIngressRules && p.ingressDefaultDeny !== false && !allowing.includes(p))
        .map((p) => `${p.kind} ${p.namespace ? `${p.namespace}/` : ''}${p.name}`),
    ]
    const gaps = [
      ...inventoryGaps(networkPolicies, 'networkpolicies'),
      ...(ciliumPolicies ? inventoryGaps(ciliumPolicies.namespaced, 'ciliumnetworkpolicies') : []),
    ]
    const listed = denying.slice(0, 3).join(', ') + (denying.length > 3 ? `, and ${denying.length - 3} more` : '')
    return forModes(modes, (mode): Outcome[] => {
      if (mode === 'sidecar') return []
      if (denying.length === 0) {
        if (gaps.length > 0)
          return [{severity: 'unknown', subject: CLUSTER_SUBJECT, message: `could not read every policy to look for default-deny: ${gaps.join('; ')}`}]
        return [
          {
            severity: 'pass',
            subject: CLUSTER_SUBJECT,
            message: 'no default-deny policy under Cilium, so kubelet probes stay exempt (the allow policy is not needed)',
          },
        ]
      }
      const good = allowing.find((p) => p.ingressDefaultDeny === false)
      if (good)
        return [{severity: 'pass', subject: CLUSTER_SUBJECT, message: `${good.kind} ${good.name} admits ${addresses.join(' and ')} into every endpoint`}]
      const remediation = {text: 'Apply the cluster-wide allow policy from the Istio docs.', yaml: allowProbesCiliumPolicy(addresses)}
      if (allowing[0]) {
        return [
          {
            severity: 'warn',
            subject: CLUSTER_SUBJECT,
            message: `${allowing[0].kind} ${allowing[0].name} admits the probe address but does not set enableDefaultDeny.ingress: false, so it puts every endpoint into ingress default-deny itself`,
            remediation,
          },
        ]
      }
      return [
        {
          severity: 'fail',
          subject: CLUSTER_SUBJECT,
          message: `default-deny under Cilium (${listed}) and no CiliumClusterwideNetworkPolicy admits ${addresses.join(' and ')}: ambient kubelet probes, SNATed to that address, will be dropped`,
          remediation,
          evidence: {defaultDeny: denying.slice(0, 20), addresses},
        },
      ]
    })
  },
})
