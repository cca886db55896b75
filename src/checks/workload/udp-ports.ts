import type {WorkloadFacts} from '../../derive/workloads/context.js'
import type {Outcome} from '../../model/finding.js'
import {defineCheck} from '../../model/finding.js'
import {containersOf, notInMode, podCount, serviceByName, servicesOf} from '../../derive/workloads/context.js'

export const udpPorts = defineCheck<WorkloadFacts>()({
  id: 'workload.udp-ports',
  title: 'Workloads serve TCP only, which the mesh proxies',
  category: 'workload',
  needs: ['contexts', 'inventory'],
  source: 'https://istio.io/latest/docs/ops/configuration/traffic-management/protocol-selection/ ("Non-TCP based protocols, such as UDP, are not proxied")',
  run: ({contexts, inventory}) => {
    const lookup = serviceByName(inventory)
    return contexts.workloads.map(({workload, subject, mode}): Outcome => {
      const skip = notInMode(subject, mode, ['sidecar', 'ambient'])
      if (skip) return skip
      const ports = new Set<string>()
      for (const {container} of containersOf(workload)) for (const p of container.ports) if (p.protocol !== 'TCP') ports.add(`${p.port}/${p.protocol}`)
      for (const name of servicesOf(workload))
        for (const p of lookup(workload.namespace, name)?.ports ?? []) if (p.protocol !== 'TCP') ports.add(`${p.port}/${p.protocol} (Service ${name})`)
      if (ports.size === 0)
        return {
          severity: 'pass',
          subject,
          message: `its containers and Services declare TCP ports only; ports the process opens without declaring them are not visible (${podCount(workload.pods)})`,
          evidence: {pods: workload.pods},
        }
      return {
        severity: 'warn',
        subject,
        message: `declares ${[...ports].join(', ')}, which Istio does not proxy: that traffic gets no mTLS, policy or telemetry (${podCount(workload.pods)})`,
        remediation: {text: 'Accept it (UDP keeps working, outside the mesh) or protect it another way, e.g. a NetworkPolicy or application-level encryption.'},
        evidence: {pods: workload.pods, ports: [...ports]},
      }
    })
  },
})
