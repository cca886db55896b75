import type {WorkloadFacts} from '../../derive/workloads/context.js'
import {stringify} from 'yaml'
import type {ServicePort, ServiceSummary} from '../../gather/workloads-shape.js'
import type {Outcome} from '../../model/finding.js'
import {defineCheck} from '../../model/finding.js'
import type {WorkloadContext} from '../../derive/workloads/context.js'
import {notInMode, serviceByName, servicesOf} from '../../derive/workloads/context.js'
import {describePort, selectProtocol, serverFirstMatch, targetPortIn} from '../../derive/workloads/protocol.js'

interface Suggestion {
  readonly protocol: string
  /** Why this protocol, for the remediation text; undefined for the HTTP guess. */
  readonly because?: string
}

/**
 * The appProtocol to suggest for a sniffed port, so the fix never contradicts another finding: the protocol another
 * Service already declares for the same target port of the same pods (workload.protocol-conflict), else tcp for a
 * protocol the server-first table recognises (workload.server-first; MongoDB or DNS are not HTTP either), else http as
 * a labelled guess.
 */
function suggest(service: ServiceSummary, port: ServicePort, workloads: readonly WorkloadContext[], lookup: ReturnType<typeof serviceByName>): Suggestion {
  for (const {workload} of workloads) {
    const target = targetPortIn(port, workload)
    for (const name of servicesOf(workload)) {
      if (name === service.name) continue
      for (const other of lookup(workload.namespace, name)?.ports ?? []) {
        const selected = selectProtocol(other)
        if (selected.protocol === 'auto' || other.protocol.toUpperCase() !== port.protocol.toUpperCase() || targetPortIn(other, workload) !== target) continue
        return {protocol: selected.protocol, because: `Service ${name} already declares target port ${target} ${selected.protocol}`}
      }
    }
  }
  const known = serverFirstMatch(
    port,
    workloads.map((c) => c.workload),
    {clientFirstToo: true},
  )
  const kind = {client: ', not HTTP', server: ', a server-first protocol', both: ', whose clients may wait for the server to speak first'}[
    known?.protocol.speaks ?? 'client'
  ]
  if (known) return {protocol: 'tcp', because: `it looks like ${known.why}${kind}`}
  return {protocol: 'http'}
}

export const portProtocol = defineCheck<WorkloadFacts>()({
  id: 'workload.port-protocol',
  title: 'Service ports declare their protocol by name prefix or appProtocol',
  category: 'workload',
  needs: ['contexts', 'inventory'],
  source:
    'https://istio.io/latest/docs/ops/configuration/traffic-management/protocol-selection/; https://istio.io/latest/docs/ops/deployment/application-requirements/#pod-requirements ("Named service ports"); https://github.com/istio/istio/blob/master/pkg/config/kube/conversion.go (ConvertProtocol); https://istio.io/latest/docs/reference/config/analysis/ist0118/',
  run: ({contexts, inventory}) => {
    const lookup = serviceByName(inventory)
    return contexts.services.map(({service, subject, mode, workloads}): Outcome => {
      const skip = notInMode(subject, mode, ['sidecar', 'ambient'])
      if (skip) return skip
      const selected = service.ports.map((port) => ({port, selected: selectProtocol(port)}))
      const sniffed = selected.filter((p) => p.selected.how === 'sniffed')
      if (sniffed.length === 0) {
        const how = selected.map(({port, selected: s}) => `${port.port}/${s.protocol} (${s.how})`).join(', ')
        return {severity: 'pass', subject, message: service.ports.length === 0 ? 'declares no ports' : `no port is sniffed: ${how}`}
      }
      const suggestions = sniffed.map(({port}) => ({port, suggestion: suggest(service, port, workloads, lookup)}))
      const example = {ports: suggestions.map(({port, suggestion}) => ({name: port.name, port: port.port, appProtocol: suggestion.protocol}))}
      const reasons = suggestions.flatMap(({port, suggestion}) =>
        suggestion.because ? [`${suggestion.protocol} for port ${port.port}: ${suggestion.because}`] : [],
      )
      const guessed = suggestions.some(({suggestion}) => suggestion.because === undefined)
      const basis = [...reasons, ...(guessed ? ['http where nothing else is known: use tcp for anything that is not HTTP'] : [])].join('; ')
      return {
        severity: 'warn',
        subject,
        message: `${sniffed.map(({port}) => describePort(port)).join(', ')} ${sniffed.length === 1 ? 'has' : 'have'} no recognised protocol, so Istio sniffs ${sniffed.length === 1 ? 'it' : 'them'} (HTTP or HTTP/2 if detected, else plain TCP)`,
        remediation: {
          text: `Declare each port's protocol: name it <protocol>[-<suffix>] or set appProtocol to one of http, http2, https, grpc, grpc-web, tcp, tls, mongo, mysql, redis, udp. The example uses ${basis}.`,
          yaml: stringify(example),
        },
        evidence: {ports: sniffed.map(({port}) => String(port.port))},
      }
    })
  },
})
