import type {NetworkPolicySummary} from '../../gather/platform-objects.js'
import type {Outcome} from '../../model/finding.js'
import {CLUSTER_SUBJECT, defineCheck} from '../../model/finding.js'
import type {PlatformFacts} from '../../derive/platform/facts.js'
import {forModes} from '../../derive/platform/modes.js'
import {allowProbesNetworkPolicy, blockingPolicies, ciliumAllowsProbes, snatAddresses} from '../../derive/platform/probe-snat.js'

/** istio-cni never captures pods here (istio-cni chart values `excludeNamespaces`). */
const NEVER_AMBIENT = new Set(['kube-system'])
const AMBIENT_LABEL = 'istio.io/dataplane-mode'

export const networkPolicyProbeSnat = defineCheck<PlatformFacts>()({
  id: 'platform.network-policy-probe-snat',
  title: 'NetworkPolicies admit the ambient kubelet-probe SNAT address',
  category: 'platform',
  needs: ['networkPolicies', 'namespaces', 'nodes', 'ciliumPolicies', 'modes'],
  source:
    'https://istio.io/latest/docs/ambient/usage/networkpolicy/ ; https://github.com/istio/istio/issues/56484 ; https://github.com/istio/istio/issues/58531',
  run: ({networkPolicies, namespaces, nodes, ciliumPolicies, modes}) => {
    const addresses = snatAddresses(nodes)
    const cover = ciliumPolicies?.clusterwide.find((p) => ciliumAllowsProbes(p, addresses) && p.ingressDefaultDeny === false)
    const enrolled = new Set(namespaces.filter((n) => n.labels[AMBIENT_LABEL] === 'ambient').map((n) => n.name))
    const byNamespace = new Map<string, NetworkPolicySummary[]>()
    for (const p of networkPolicies.items) {
      const list = byNamespace.get(p.namespace) ?? []
      list.push(p)
      byNamespace.set(p.namespace, list)
    }
    return forModes(modes, (mode): Outcome[] => {
      if (mode === 'sidecar') return []
      const outcomes: Outcome[] = networkPolicies.unreadable
        .filter((u) => !NEVER_AMBIENT.has(u.namespace))
        .map((u) => ({severity: 'unknown', subject: {kind: 'Namespace', name: u.namespace}, message: `could not read NetworkPolicies: ${u.reason}`}))
      if (cover)
        return [
          ...outcomes,
          {
            severity: 'pass',
            subject: CLUSTER_SUBJECT,
            message: `CiliumClusterwideNetworkPolicy ${cover.name} admits ${addresses.join(' and ')} into every pod, whatever the NetworkPolicies say`,
          },
        ]
      const later: Array<{namespace: string; blocking: NetworkPolicySummary[]}> = []
      for (const [namespace, policies] of [...byNamespace].sort(([a], [b]) => a.localeCompare(b))) {
        if (NEVER_AMBIENT.has(namespace) && !enrolled.has(namespace)) continue
        const blocking = blockingPolicies(policies, addresses)
        if (blocking.length === 0) continue
        if (!enrolled.has(namespace)) {
          later.push({namespace, blocking})
          continue
        }
        const names = blocking.map((p) => p.name).join(', ')
        outcomes.push({
          severity: 'fail',
          subject: {kind: 'Namespace', name: namespace},
          message: `NetworkPolic${blocking.length === 1 ? 'y' : 'ies'} ${names} restrict${blocking.length === 1 ? 's' : ''} ingress without admitting ${addresses.join(' or ')}: kubelet probes of this ambient namespace will fail`,
          remediation: {
            text: 'Admit the probe SNAT address into the namespace (NetworkPolicies are additive).',
            yaml: allowProbesNetworkPolicy(namespace, addresses),
          },
          evidence: {policies: blocking.map((p) => p.name)},
        })
      }
      if (later.length > 0) {
        const shown = later
          .slice(0, 5)
          .map((l) => `${l.namespace} (${l.blocking.map((p) => p.name).join(', ')})`)
          .join(', ')
        outcomes.push({
          severity: 'warn',
          subject: CLUSTER_SUBJECT,
          message: `${later.length} namespace${later.length === 1 ? '' : 's'} not in ambient yet ha${later.length === 1 ? 's' : 've'} NetworkPolicies that drop ${addresses.join(' and ')}: ${shown}${later.length > 5 ? `, and ${later.length - 5} more` : ''}; their kubelet probes fail once enrolled`,
          remediation: {
            text: `Before enrolling a namespace, admit the probe SNAT address into it (NetworkPolicies are additive); for ${later[0]!.namespace}:`,
            yaml: allowProbesNetworkPolicy(later[0]!.namespace, addresses),
          },
          evidence: {namespaces: later.slice(0, 50).map((l) => l.namespace)},
        })
      }
      if (outcomes.every((o) => o.severity === 'unknown')) {
        const scope = outcomes.length > 0 ? 'in the namespaces that could be read' : 'anywhere'
        outcomes.push({
          severity: 'pass',
          subject: CLUSTER_SUBJECT,
          message: `no NetworkPolicy ${scope} would block ${addresses.join(' or ')} (${networkPolicies.items.length} policies)`,
        })
      }
      return outcomes
    })
  },
})
