import type {NodeGroupFacts, NodesSetup} from '../../gather/nodes.js'
import type {KernelEvidence} from '../../gather/probe/parse-probe.js'
import type {Scenario} from '../../knowledge/kernel-modules.js'
import type {Outcome} from '../types.js'
import {defineCheck} from '../types.js'
import {GROUP_SUBJECT, scenarioFor} from './_lib/describe.js'
import {functionalTests, judgeIptables} from './_lib/scenarios.js'

/** Every functional test the judged set-ups rely on (for iptables, on the path Istio would take). */
function neededTests(kernel: KernelEvidence, setup: NodesSetup): Set<string> {
  const tests = new Set<string>()
  for (const mode of setup.modes) {
    for (const backend of setup.backends) {
      let scenario: Scenario = scenarioFor(setup, mode, backend)
      if (backend === 'iptables') scenario = {...scenario, path: judgeIptables(kernel, scenario).chosen}
      for (const t of functionalTests(scenario)) tests.add(t)
    }
  }
  return tests
}

export const functionalRules = defineCheck<NodeGroupFacts>()({
  id: 'node.functional-rules',
  title: "Istio-shaped rules apply on the node with each userspace (--functional)",
  category: 'node',
  needs: ['group', 'kernel', 'setup'],
  source: 'istio-iptables dependencies (iptables -t nat … -p 255 probe), nft --json probe, ipset hash:ip comment, ip rule fwmark: https://github.com/istio/istio/tree/master/tools/istio-iptables/pkg/dependencies ; https://github.com/istio/istio/tree/master/cni/pkg/iptables ; https://ipset.netfilter.org/ipset.man.html ; https://man7.org/linux/man-pages/man8/ip-rule.8.html',
  defaultSubject: GROUP_SUBJECT,
  run: ({group, kernel, setup}) => {
    if (!setup.functional) return []
    const subject = group.subject
    const results = kernel.functional?.results
    if (!results) return [{severity: 'unknown', subject, message: 'the probe ran no functional tests (it reported none)'}]
    const needed = neededTests(kernel, setup)
    const outcomes: Outcome[] = []
    const passed = results.filter((r) => r.status === 'ok').map((r) => r.test)
    if (passed.length > 0) outcomes.push({severity: 'pass', subject, message: `applied: ${passed.join(', ')}`, evidence: {passed}})
    for (const r of results.filter((x) => x.status === 'fail')) {
      const relied = needed.has(r.test) || r.test === 'netns'
      outcomes.push({
        severity: relied ? 'fail' : 'skip',
        subject,
        message: `${r.test} failed: ${r.error}${relied ? '' : ' (not on the path Istio takes in the judged set-ups)'}`,
        ...(relied ? {remediation: {text: 'This is the error Istio will hit writing the same rules; see the kernel findings for the missing module, SELinux, or a userspace/kernel mismatch.'}} : {}),
        evidence: {test: r.test, error: r.error ?? ''},
      })
    }
    const absent = results.filter((r) => r.status === 'absent').map((r) => r.test)
    if (absent.length > 0) {
      outcomes.push({
        severity: 'skip',
        subject,
        message: `not in the probe image ${setup.image ?? ''}: ${absent.join(', ')}; those tests did not run`,
        remediation: {text: 'Use an image with iptables (legacy and nft), nftables, ipset and iproute2 via --image.'},
      })
    }
    const versions = Object.entries(kernel.functional?.versions ?? {}).map(([tool, v]) => `${tool}: ${v}`)
    if (versions.length > 0 && outcomes[0]) outcomes[0] = {...outcomes[0], evidence: {...outcomes[0].evidence, versions}}
    return outcomes
  },
})
