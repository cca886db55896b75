import type {WorkloadFacts} from '../../derive/workloads/context.js'
import type {Outcome} from '../../model/finding.js'
import {defineCheck} from '../../model/finding.js'
import {containersOf, notInMode} from '../../derive/workloads/context.js'
import {targetPortIn} from '../../derive/workloads/protocol.js'

export const headlessService = defineCheck<WorkloadFacts>()({
  id: 'workload.headless-service',
  title: 'Headless Services declare every port their pods serve',
  category: 'workload',
  needs: ['contexts'],
  source:
    'https://istio.io/latest/docs/ops/configuration/traffic-management/traffic-routing/#headless-services; https://github.com/istio/istio/blob/master/pkg/config/kube/conversion.go',
  run: ({contexts}) =>
    contexts.services
      .filter(({service}) => service.headless)
      .map(({service, subject, mode, workloads}): Outcome => {
        const skip = notInMode(subject, mode, ['sidecar'])
        if (skip) return skip
        const declared = new Set(
          workloads.flatMap(({workload}) => service.ports.map((p) => targetPortIn(p, workload))).concat(service.ports.map((p) => p.port)),
        )
        const served = workloads.flatMap(({workload}) =>
          containersOf(workload).flatMap(({container}) => container.ports.filter((p) => p.protocol === 'TCP').map((p) => p.port)),
        )
        const undeclared = [...new Set(served.filter((port) => !declared.has(port)))].sort((a, b) => a - b)
        if (service.ports.length > 0 && undeclared.length === 0) {
          return {
            severity: 'pass',
            subject,
            mode: 'sidecar',
            message: `headless, and declares every TCP port its pods declare (${service.ports.map((p) => p.port).join(', ')}), so sidecars match traffic to each pod IP on them`,
          }
        }
        const what = service.ports.length === 0 ? 'declares no ports' : `does not declare port ${undeclared.join(', ')} that its pods serve`
        return {
          severity: 'warn',
          subject,
          mode: 'sidecar',
          message: `headless Service ${what}: with Istio, traffic to a pod IP on an undeclared port is not matched and passes through without mTLS or routing`,
          remediation: {text: 'List every port the pods serve in the headless Service (with a protocol name or appProtocol).'},
          evidence: {undeclared: undeclared.map(String)},
        }
      }),
})
