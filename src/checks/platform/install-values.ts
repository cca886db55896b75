import {NO_PLATFORM_VALUE_REASON} from '../../knowledge/istio-platform.js'
import type {PlatformFacts} from './_lib/facts.js'
import type {InstallPlan} from './_lib/install-plan.js'
import {flatten} from './_lib/install-plan.js'
import {forModes, nodeAgentNamespace} from './_lib/modes.js'
import {CLUSTER_SUBJECT, defineCheck} from '../types.js'

const settings = (plan: InstallPlan) => flatten(plan.values).filter(([k]) => k !== 'profile').map(([k, v]) => `${k}=${v}`)

export const installValues = defineCheck<PlatformFacts>()({
  id: 'platform.install-values',
  title: 'The install uses the platform value and paths this platform needs',
  category: 'platform',
  needs: ['plans', 'detection', 'modes'],
  source: 'istio/istio manifests/helm-profiles platform-*.yaml (platforms.md §1.2); https://istio.io/latest/docs/ambient/install/platform-prerequisites/',
  run: ({plans, detection, modes}) =>
    forModes(modes, (mode) => {
      const plan = plans[mode]
      if (plan === undefined) return []
      const set = settings(plan)
      const agents = nodeAgentNamespace(plan)
      const where = agents && agents !== plan.releases[0]?.namespace ? `; istio-cni${mode === 'ambient' ? ' and ztunnel' : ''} go to ${agents}` : ''
      const what =
        set.length > 0
          ? `set ${set.join(', ')} (Helm: ${set.map((s) => `--set ${s}`).join(' ')}; istioctl: ${plan.istioctl.join(' ')})`
          : `no global.platform value needed: ${NO_PLATFORM_VALUE_REASON[detection.platform] ?? 'no platform-specific settings are known for it'}`
      const custom = detection.platform === 'k3s' && plan.platformValue === undefined && plan.notes.length > 0
      return [
        {
          severity: custom ? 'warn' : 'pass',
          subject: CLUSTER_SUBJECT,
          message: `${detection.name}: ${what}${where}${plan.notes.length > 0 ? `. ${plan.notes.join('. ')}` : ''}`,
          remediation: {text: 'Print the complete values file (or istioctl flags) for this platform and mode.', command: `kubectl mesh-ready platform --mode ${mode} --values > values.yaml`},
          evidence: {platformValue: plan.platformValue ?? null, settings: set},
        },
      ]
    }),
})
