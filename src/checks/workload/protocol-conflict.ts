import type {WorkloadFacts} from '../../derive/workloads/context.js'
import {pushTo} from '../../gather/workloads-shape.js'
import type {Outcome} from '../../model/finding.js'
import {defineCheck} from '../../model/finding.js'
import {notInMode, plural, podCount, serviceByName, servicesOf} from '../../derive/workloads/context.js'
import {describePort, selectProtocol, targetPortIn} from '../../derive/workloads/protocol.js'

interface Use {
  readonly service: string
  readonly port: string
  readonly protocol: string
}

export const protocolConflict = defineCheck<WorkloadFacts>()({
  id: 'workload.protocol-conflict',
  title: 'Services selecting the same pods agree on the protocol of each port',
  category: 'workload',
  needs: ['contexts', 'inventory'],
  source:
    'https://istio.io/latest/docs/ops/deployment/application-requirements/#pod-requirements ("the services cannot use the same port number for different protocols"); https://github.com/istio/istio/blob/master/pkg/config/kube/conversion.go',
  run: ({contexts, inventory}) => {
    const lookup = serviceByName(inventory)
    return contexts.workloads.map(({workload, subject, mode}): Outcome => {
      const skip = notInMode(subject, mode, ['sidecar', 'ambient'])
      if (skip) return skip
      const names = servicesOf(workload)
      const byTarget = new Map<string, Use[]>()
      for (const name of names) {
        for (const port of lookup(workload.namespace, name)?.ports ?? []) {
          pushTo(byTarget, `${targetPortIn(port, workload)}/${port.protocol.toUpperCase()}`, {
            service: name,
            port: describePort(port),
            protocol: selectProtocol(port).protocol,
          })
        }
      }
      const conflicts = [...byTarget].filter(([, uses]) => new Set(uses.map((u) => u.protocol)).size > 1 && new Set(uses.map((u) => u.service)).size > 1)
      if (conflicts.length === 0) {
        return {
          severity: 'pass',
          subject,
          message: `${names.length === 0 ? 'no Service selects its pods' : `the ${plural(names.length, 'Service')} selecting its pods give each target port one protocol`} (${podCount(workload.pods)})`,
          evidence: {pods: workload.pods, services: names},
        }
      }
      const described = conflicts.map(
        ([target, uses]) => `target port ${target}: ${uses.map((u) => `Service ${u.service} ${u.port} as ${u.protocol}`).join(' vs ')}`,
      )
      return {
        severity: 'fail',
        subject,
        message: `Services disagree on the protocol of the same port of its pods: ${described.join('; ')} (${podCount(workload.pods)})`,
        summary: `${conflicts.map(([target]) => target).join(', ')}: ${[...new Set(conflicts[0]![1].map((u) => u.protocol))].join(' vs ')}`,
        remediation: {
          text: 'Give the port the same protocol (name prefix or appProtocol) in every Service that selects these pods, or point the Services at different ports.',
        },
        evidence: {
          pods: workload.pods,
          ports: conflicts.map(([target]) => target),
          services: [...new Set(conflicts.flatMap(([, uses]) => uses.map((u) => u.service)))],
        },
      }
    })
  },
})
