import type {Outcome} from '../../model/finding.js'
import {CLUSTER_SUBJECT, defineCheck} from '../../model/finding.js'
import type {PlatformFacts} from '../../derive/platform/facts.js'
import {forModes} from '../../derive/platform/modes.js'

const PATCH = `oc patch network.operator.openshift.io cluster --type=merge -p '{"spec":{"defaultNetwork":{"ovnKubernetesConfig":{"gatewayConfig":{"routingViaHost":true}}}}}'`

export const openshiftOvnGatewayMode = defineCheck<PlatformFacts>()({
  id: 'platform.openshift-ovn-gateway-mode',
  title: 'OVN-Kubernetes routes via the host (local gateway mode) for ambient probes',
  category: 'platform',
  needs: ['detection', 'openshiftNetwork', 'modes'],
  source:
    'https://istio.io/latest/docs/ambient/install/platform-prerequisites/#red-hat-openshift ; https://github.com/istio/istio.io/pull/16877 ; https://docs.okd.io/latest/networking/ovn_kubernetes_network_provider/configuring-gateway-mode.html',
  run: ({detection, openshiftNetwork: network, modes}): Outcome[] => {
    if (detection.platform !== 'openshift') return [{severity: 'skip', subject: CLUSTER_SUBJECT, message: 'not OpenShift'}]
    if (network === null) return [{severity: 'unknown', subject: CLUSTER_SUBJECT, message: 'OpenShift detected but networks.config.openshift.io is not served'}]
    return forModes(modes, (mode): Outcome[] => {
      if (mode === 'sidecar') return []
      if (network.networkType !== 'OVNKubernetes')
        return [{severity: 'pass', subject: CLUSTER_SUBJECT, message: `the cluster network is ${network.networkType ?? 'not reported'}, not OVN-Kubernetes`}]
      if (network.routingViaHost === true)
        return [{severity: 'pass', subject: CLUSTER_SUBJECT, message: 'OVN-Kubernetes runs in local gateway mode (routingViaHost: true)'}]
      return [
        {
          severity: 'fail',
          subject: CLUSTER_SUBJECT,
          message: `OVN-Kubernetes runs in shared gateway mode (routingViaHost: ${network.routingViaHost ?? 'not set'}): ambient kubelet probes of pods with liveness/readiness probes fail`,
          remediation: {text: 'Switch OVN-Kubernetes to local gateway mode.', command: PATCH},
          evidence: {networkType: network.networkType, routingViaHost: network.routingViaHost ?? null},
        },
      ]
    })
  },
})
