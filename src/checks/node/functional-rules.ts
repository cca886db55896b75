import type {Outcome} from '../../model/finding.js'
import {defineCheck} from '../../model/finding.js'
import {GROUP_SUBJECT, PATH_NAMES, scenarioLabel} from '../../derive/kernel/describe.js'
import type {NodeKernelFacts} from '../../derive/kernel/matrix.js'

export const functionalRules = defineCheck<NodeKernelFacts>()({
  id: 'node.functional-rules',
  title: 'Istio-shaped rules apply on the node with each userspace (--functional)',
  category: 'node',
  needs: ['group', 'kernel', 'matrix', 'setup'],
  source:
    'https://github.com/istio/istio/blob/master/tools/istio-iptables/pkg/dependencies/implementation_linux.go (the -p 255 test rule); https://github.com/istio/istio/blob/master/cni/pkg/nodeagent/detect_nft_json_linux.go; https://github.com/istio/istio/blob/master/cni/pkg/ipset/nldeps_linux.go (hash:ip comment); https://github.com/istio/istio/blob/master/cni/pkg/iptables/iptables_linux.go (ip rule fwmark)',
  defaultSubject: GROUP_SUBJECT,
  run: ({group, kernel, matrix, setup}) => {
    if (!setup.functional) return []
    const subject = group.subject
    const results = kernel.functional?.results
    if (!results) return [{severity: 'unknown', subject, message: 'the probe ran no functional tests (it reported none)'}]
    const refused = results.find((r) => r.test === 'netns' && r.status === 'fail')
    if (refused) {
      // The probe would not touch the host network namespace: nothing was tested, so nothing is known from it.
      return [
        {
          severity: 'unknown',
          subject,
          message: `the functional tests did not run: ${refused.error ?? 'the probe shares the host network namespace'}; the kernel findings are judged from files only`,
          remediation: {text: 'Run the probe in its own network namespace: in a pod (the default), or with --local as root (it runs under unshare --net).'},
          evidence: {test: 'netns', error: refused.error ?? ''},
        },
      ]
    }
    const versions = Object.entries(kernel.functional?.versions ?? {}).map(([tool, v]) => `${tool}: ${v}`)
    const outcomes: Outcome[] = []
    const relied = new Set<string>()
    // Each judged mode × backend as Istio runs it (for iptables, on the path it would take).
    for (const {scenario, functionalTests: tests} of matrix.columns) {
      for (const t of tests) relied.add(t)
      const ran = tests.map((t) => results.find((r) => r.test === t)).filter((r) => r !== undefined && r.status !== 'absent')
      const failed = ran.filter((r) => r!.status === 'fail')
      const notRun = tests.filter((t) => !ran.some((r) => r!.test === t))
      const about = {mode: scenario.mode, backend: scenario.backend}
      const label = `${scenarioLabel(scenario)}${scenario.path ? ` via ${PATH_NAMES[scenario.path]}` : ''}`
      const missing = notRun.length ? `; not run: ${notRun.join(', ')}` : ''
      if (failed.length > 0) {
        outcomes.push({
          severity: 'fail',
          subject,
          ...about,
          message: `${label}: ${failed.map((r) => `${r!.test} failed: ${r!.error}`).join('; ')}`,
          remediation: {
            text: 'This is the error Istio will hit writing the same rules; see the kernel findings for the missing module, SELinux, or a userspace/kernel mismatch.',
          },
          evidence: {failed: failed.map((r) => r!.test), passed: ran.filter((r) => r!.status === 'ok').map((r) => r!.test), versions},
        })
      } else if (ran.length > 0) {
        outcomes.push({
          severity: 'pass',
          subject,
          ...about,
          message: `${label}: applied ${ran.map((r) => r!.test).join(', ')}${missing}`,
          evidence: {passed: ran.map((r) => r!.test), versions},
        })
      } else {
        outcomes.push({severity: 'skip', subject, ...about, message: `${label}: none of its tests ran (${notRun.join(', ')})`})
      }
    }
    for (const r of results.filter((x) => x.status === 'fail' && !relied.has(x.test))) {
      outcomes.push({
        severity: 'skip',
        subject,
        message: `${r.test} failed: ${r.error} (not on the path Istio takes in the judged set-ups)`,
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
    return outcomes
  },
})
