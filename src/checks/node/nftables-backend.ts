import type {NodeGroupFacts} from '../../gather/nodes.js'
import {defineCheck} from '../../model/finding.js'
import {GROUP_SUBJECT, scenarioFor, scenarioLabel, scenarioOutcome} from '../../derive/kernel/describe.js'
import {judgeScenario} from '../../derive/kernel/scenarios.js'

export const nftablesBackend = defineCheck<NodeGroupFacts>()({
  id: 'node.nftables-backend',
  title: "The kernel supports Istio's native nftables backend (values.global.nativeNftables)",
  category: 'node',
  needs: ['group', 'kernel', 'setup'],
  source: 'https://istio.io/latest/docs/ops/deployment/platform-requirements/ (nftables: Linux ≥ 5.13, nft ≥ 1.0.1); https://github.com/istio/istio/tree/master/tools/istio-nftables',
  defaultSubject: GROUP_SUBJECT,
  run: ({group, kernel, setup}) => {
    if (!setup.backends.includes('nftables')) return []
    return setup.modes.map((mode) => {
      const scenario = scenarioFor(setup, mode, 'nftables')
      return scenarioOutcome(group.subject, scenarioLabel(scenario), judgeScenario(kernel, scenario))
    })
  },
})
