import {CILIUM_KEYS, ciliumExclusiveBehaviour} from '../../knowledge/cni-signals.js'
import type {Outcome} from '../../model/finding.js'
import {defineCheck} from '../../model/finding.js'
import {ciliumContext, ciliumHelmSet, isTrue} from '../../derive/platform/cilium.js'
import type {PlatformFacts} from '../../derive/platform/facts.js'
import {forModes, usesIstioCni} from '../../derive/platform/modes.js'

export const ciliumCniExclusive = defineCheck<PlatformFacts>()({
  id: 'platform.cilium-cni-exclusive',
  title: 'Cilium leaves the istio-cni plugin in place (cni-exclusive is false) wherever istio-cni runs or is planned',
  category: 'platform',
  needs: ['cni', 'ciliumConfigs', 'plans', 'modes', 'istioCni'],
  source:
    'https://istio.io/latest/docs/ambient/install/platform-prerequisites/#cilium ; https://docs.cilium.io/en/stable/network/servicemesh/istio/ ; https://github.com/cilium/cilium/issues/26760 ; https://github.com/cilium/cilium/pull/26773 ; https://github.com/cilium/cilium/pull/14192',
  run: ({cni, ciliumConfigs, plans, modes, istioCni}): Outcome[] => {
    const ctx = ciliumContext(cni, ciliumConfigs)
    if ('outcome' in ctx) return [ctx.outcome]
    const raw = ctx.config.data[CILIUM_KEYS.cniExclusive]
    const version = cni.components.find((c) => c.id === 'cilium')?.version
    const behaviour = ciliumExclusiveBehaviour(version)
    const installed = istioCni.installed.map((c) => `${c.namespace}/${c.name}`)
    return forModes(modes, (mode): Outcome[] => {
      const planned = usesIstioCni(plans[mode])
      if (!planned && installed.length === 0) return [] // sidecars with istio-init: Cilium's CNI config is not touched by Istio
      const why = installed.length > 0 ? `istio-cni is installed (${installed.join(', ')})` : `the ${mode} install uses istio-cni`
      if (raw === undefined) {
        return [
          {
            severity: 'pass',
            subject: ctx.subject,
            message: `${ctx.config.name} has no ${CILIUM_KEYS.cniExclusive} key (a chained or custom-conf install), so the agent default false applies; ${why}`,
          },
        ]
      }
      if (!isTrue(raw))
        return [
          {severity: 'pass', subject: ctx.subject, message: `${CILIUM_KEYS.cniExclusive}: "${raw}" in ${ctx.config.namespace}/${ctx.config.name}; ${why}`},
        ]
      const evidence = {[CILIUM_KEYS.cniExclusive]: raw, ciliumVersion: version ?? null, istioCni: installed}
      const remediation = {text: 'Set cni.exclusive=false on the Cilium release.', command: ciliumHelmSet(ctx.config.namespace, ['cni.exclusive=false'])}
      if (behaviour === undefined) {
        return [
          {
            severity: 'pass',
            subject: ctx.subject,
            message: `${CILIUM_KEYS.cniExclusive}: "true", but Cilium ${version} predates CNI exclusivity (1.10), so it leaves other CNI configurations alone`,
            evidence,
          },
        ]
      }
      const on = version ? `Cilium ${version}` : 'Cilium (version not visible, judged as 1.14 or later)'
      return [
        {
          severity: behaviour.severity,
          subject: ctx.subject,
          message: `${CILIUM_KEYS.cniExclusive}: "true" in ${ctx.config.namespace}/${ctx.config.name} and ${why}: on ${on} ${behaviour.effect}`,
          remediation,
          evidence: {...evidence, source: behaviour.source},
        },
      ]
    })
  },
})
