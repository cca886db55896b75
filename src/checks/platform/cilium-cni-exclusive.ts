import {CILIUM_KEYS} from '../../knowledge/cni-signals.js'
import type {Outcome} from '../types.js'
import {defineCheck} from '../types.js'
import {ciliumContext, ciliumHelmSet, isTrue} from './_lib/cilium.js'
import type {PlatformFacts} from './_lib/facts.js'
import {forModes, usesIstioCni} from './_lib/modes.js'

export const ciliumCniExclusive = defineCheck<PlatformFacts>()({
  id: 'platform.cilium-cni-exclusive',
  title: 'Cilium leaves other CNI configurations in place (cni-exclusive is false)',
  category: 'platform',
  needs: ['cni', 'ciliumConfigs', 'plans', 'modes'],
  source: 'https://istio.io/latest/docs/ambient/install/platform-prerequisites/#cilium ; cilium-configmap.yaml and agent defaults (platforms.md §4.1–4.2)',
  run: ({cni, ciliumConfigs, plans, modes}): Outcome[] => {
    const ctx = ciliumContext(cni, ciliumConfigs)
    if ('outcome' in ctx) return [ctx.outcome]
    const raw = ctx.config.data[CILIUM_KEYS.cniExclusive]
    return forModes(modes, (mode): Outcome[] => {
      if (!usesIstioCni(plans[mode])) return []
      if (raw === undefined) {
        return [{severity: 'pass', subject: ctx.subject, message: `${ctx.config.name} has no ${CILIUM_KEYS.cniExclusive} key (a chained or custom-conf install), so the agent default false applies`}]
      }
      if (!isTrue(raw)) return [{severity: 'pass', subject: ctx.subject, message: `${CILIUM_KEYS.cniExclusive}: "${raw}" in ${ctx.config.namespace}/${ctx.config.name}`}]
      return [
        {
          severity: 'fail',
          subject: ctx.subject,
          message: `${CILIUM_KEYS.cniExclusive}: "true" in ${ctx.config.namespace}/${ctx.config.name}: Cilium renames other CNI configurations to *.cilium_bak, removing the istio-cni plugin`,
          remediation: {text: 'Set cni.exclusive=false on the Cilium release.', command: ciliumHelmSet(ctx.config.namespace, ['cni.exclusive=false'])},
          evidence: {[CILIUM_KEYS.cniExclusive]: raw},
        },
      ]
    })
  },
})
