import type {Outcome} from '../types.js'
import {CLUSTER_SUBJECT, defineCheck} from '../types.js'
import type {PlatformFacts} from './_lib/facts.js'
import {forModes} from './_lib/modes.js'

const DISABLE_CTLB = `kubectl patch felixconfiguration default --type merge -p '{"spec":{"bpfConnectTimeLoadBalancing":"Disabled"}}'`

export const calicoBpfDataplane = defineCheck<PlatformFacts>()({
  id: 'platform.calico-bpf-dataplane',
  title: 'Calico eBPF connect-time load balancing is off for ambient',
  category: 'platform',
  needs: ['cni', 'calico', 'modes'],
  source: 'tigera/operator PR #4632 (Calico BPF + ambient: CTLB must be disabled); platforms.md §2.4, §6.1',
  run: ({cni, calico, modes}): Outcome[] => {
    const component = cni.components.find((c) => c.id === 'calico')
    if (component === undefined) return [{severity: 'skip', subject: CLUSTER_SUBJECT, message: 'Calico is not installed'}]
    const bpf = component.variant?.includes('BPF') === true
    const ctlb = calico?.felixConnectTimeLb
    return forModes(modes, (mode): Outcome[] => {
      if (mode === 'sidecar') return []
      if (!bpf) return [{severity: 'pass', subject: CLUSTER_SUBJECT, message: `Calico (${component.variant}) does not use the eBPF dataplane`}]
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
