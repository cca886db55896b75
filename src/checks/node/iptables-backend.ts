import {defineCheck} from '../../model/finding.js'
import {cell, GROUP_SUBJECT, PATH_NAMES, scenarioLabel, scenarioOutcome} from '../../derive/kernel/describe.js'
import type {NodeKernelFacts} from '../../derive/kernel/matrix.js'

export const iptablesBackend = defineCheck<NodeKernelFacts>()({
  id: 'node.iptables-backend',
  title: "The kernel supports Istio's iptables rules (iptables-nft or iptables-legacy)",
  category: 'node',
  needs: ['group', 'matrix'],
  source:
    'https://istio.io/latest/docs/ops/deployment/platform-requirements/; https://github.com/istio/istio/tree/master/tools/istio-iptables ; https://github.com/istio/istio/tree/master/tools/istio-iptables/pkg/dependencies (legacy vs nft selection)',
  defaultSubject: GROUP_SUBJECT,
  run: ({group, matrix}) =>
    matrix.columns.flatMap(({base, iptables: judged}) => {
      if (!judged) return []
      const chosen = judged.paths[judged.chosen]
      const otherPath = judged.chosen === 'nft' ? 'legacy' : 'nft'
      const other = judged.paths[otherPath]
      return [
        scenarioOutcome(group.subject, scenarioLabel(base), chosen, {
          message: `via ${PATH_NAMES[judged.chosen]} (${judged.why}${other.readiness === chosen.readiness ? '' : `; ${PATH_NAMES[otherPath]}: ${cell(other)}`})`,
          evidence: {path: PATH_NAMES[judged.chosen], [`${otherPath}Path`]: other.readiness},
        }),
      ]
    }),
})
