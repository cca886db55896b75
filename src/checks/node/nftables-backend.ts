import {defineCheck} from '../../model/finding.js'
import {GROUP_SUBJECT, scenarioLabel, scenarioOutcome} from '../../derive/kernel/describe.js'
import type {NodeKernelFacts} from '../../derive/kernel/matrix.js'

export const nftablesBackend = defineCheck<NodeKernelFacts>()({
  id: 'node.nftables-backend',
  title: "The kernel supports Istio's native nftables backend (values.global.nativeNftables)",
  category: 'node',
  needs: ['group', 'matrix'],
  source:
    'https://istio.io/latest/docs/ops/deployment/platform-requirements/ (nftables: Linux ≥ 5.13, nft ≥ 1.0.1); https://github.com/istio/istio/tree/master/tools/istio-nftables',
  defaultSubject: GROUP_SUBJECT,
  run: ({group, matrix}) =>
    matrix.columns.filter((c) => c.backend === 'nftables').map((c) => scenarioOutcome(group.subject, scenarioLabel(c.scenario), c.judgement)),
})
