import {stringify} from 'yaml'
import type {WorkloadFacts} from '../../gather/workloads.js'
import type {Outcome} from '../types.js'
import {defineCheck} from '../types.js'
import {notInMode, serviceContexts} from './_lib/context.js'
import {describePort, selectProtocol} from './_lib/protocol.js'

export const portProtocol = defineCheck<WorkloadFacts>()({
  id: 'workload.port-protocol',
  title: 'Service ports declare their protocol by name prefix or appProtocol',
  category: 'workload',
  needs: ['inventory', 'mesh', 'settings'],
  source:
    'https://istio.io/latest/docs/ops/configuration/traffic-management/protocol-selection/; https://istio.io/latest/docs/ops/deployment/application-requirements/#pod-requirements ("Named service ports"); https://github.com/istio/istio/blob/master/pkg/config/kube/conversion.go (ConvertProtocol); istioctl analyzer IST0118',
  run: ({inventory, mesh, settings}) =>
    serviceContexts(inventory, mesh, settings).map(({service, subject, mode}): Outcome => {
      const skip = notInMode(subject, mode, ['sidecar', 'ambient'])
      if (skip) return skip
      const selected = service.ports.map((port) => ({port, selected: selectProtocol(port)}))
      const sniffed = selected.filter((p) => p.selected.how === 'sniffed')
      if (sniffed.length === 0) {
        const how = selected.map(({port, selected: s}) => `${port.port}/${s.protocol} (${s.how})`).join(', ')
        return {severity: 'pass', subject, message: service.ports.length === 0 ? 'declares no ports' : `every port's protocol is explicit: ${how}`}
      }
      const example = {ports: sniffed.map(({port}) => ({name: port.name, port: port.port, appProtocol: 'http'}))}
      return {
        severity: 'warn',
        subject,
        message: `${sniffed.map(({port}) => describePort(port)).join(', ')} ${sniffed.length === 1 ? 'has' : 'have'} no recognised protocol, so Istio sniffs ${sniffed.length === 1 ? 'it' : 'them'} (HTTP or HTTP/2 if detected, else plain TCP)`,
        remediation: {
          text: `Declare each port's protocol: name it <protocol>[-<suffix>] or set appProtocol to one of http, http2, https, grpc, grpc-web, tcp, tls, mongo, mysql, redis, udp (the example assumes HTTP; use tcp for anything else).`,
          yaml: stringify(example),
        },
        evidence: {ports: sniffed.map(({port}) => String(port.port))},
      }
    }),
})
