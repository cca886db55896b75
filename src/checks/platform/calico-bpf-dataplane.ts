import {calicoBpfProblems} from '../../knowledge/cni-signals.js'
import type {Outcome} from '../../model/finding.js'
import {CLUSTER_SUBJECT, defineCheck} from '../../model/finding.js'
import type {PlatformFacts} from '../../derive/platform/facts.js'
import {forModes} from '../../derive/platform/modes.js'

const DISABLE_CTLB = `kubectl patch felixconfiguration default --type merge -p '{"spec":{"bpfConnectTimeLoadBalancing":"Disabled"}}'`

export const calicoBpfDataplane = defineCheck<PlatformFacts>()({
  id: 'platform.calico-bpf-dataplane',
  title: 'Calico eBPF is a release that works with ambient, with connect-time load balancing off',
  category: 'platform',
  needs: ['cni', 'calico', 'modes'],
  source:
    'https://github.com/tigera/operator/pull/4632 (Calico BPF + ambient: connect-time load balancing off); https://github.com/istio/istio/issues/52765 , https://github.com/projectcalico/calico/issues/9157 (eBPF drops ambient probes before Calico 3.28.2 / 3.29.0)',
  run: ({cni, calico, modes}): Outcome[] => {
    const component = cni.components.find((c) => c.id === 'calico')
    if (component === undefined) return [{severity: 'skip', subject: CLUSTER_SUBJECT, message: 'Calico is not installed'}]
    const bpf = component.variant?.includes('BPF') === true
    const ctlb = calico?.felixConnectTimeLb
    return forModes(modes, (mode): Outcome[] => {
      if (mode === 'sidecar') return []
      if (!bpf) return [{severity: 'pass', subject: CLUSTER_SUBJECT, message: `Calico (${component.variant}) does not use the eBPF dataplane`}]
      const bad = calicoBpfProblems(component.version)
      if (bad !== undefined && bad.length > 0) {
        return bad.map((row) => ({
          severity: 'fail',
          subject: CLUSTER_SUBJECT,
          message: `Calico ${component.version} with the eBPF dataplane: ${row.problem} (fixed in ${[...Object.values(row.fixedIn), `${row.fixedFromMinor}.0`].join(' and ')})`,
          remediation: {
            text: `Upgrade Calico to ${Object.values(row.fixedIn).join(' or ')} or ${row.fixedFromMinor}.0 and later before enrolling namespaces in ambient (or use the iptables dataplane).`,
          },
          evidence: {calicoVersion: component.version ?? null, variant: component.variant ?? null, source: row.source},
        }))
      }
      if (ctlb === 'Disabled') return [{severity: 'pass', subject: CLUSTER_SUBJECT, message: 'Calico eBPF with connect-time load balancing disabled'}]
      return [
        {
          severity: 'warn',
          subject: CLUSTER_SUBJECT,
          message: `Calico runs the eBPF dataplane with connect-time load balancing ${ctlb ?? 'at its default (on)'}: it rewrites Service addresses before ztunnel sees them, so disable it for ambient`,
          remediation: {text: 'Disable connect-time load balancing in the default FelixConfiguration.', command: DISABLE_CTLB},
          evidence: {variant: component.variant ?? null, bpfConnectTimeLoadBalancing: ctlb ?? null},
        },
      ]
    })
  },
})
