import type {WorkloadFacts} from '../../derive/workloads/context.js'
import type {ServicePort, ServiceSummary} from '../../gather/workloads-shape.js'
import {POD_RESERVED_PORTS, SIDECAR_LISTENER_PORTS, SIDECAR_LISTENER_SOURCE} from '../../knowledge/istio-ports.js'
import {HTTP_PROTOCOLS} from '../../knowledge/protocols.js'
import type {Outcome} from '../../model/finding.js'
import {defineCheck} from '../../model/finding.js'
import {describePort, selectProtocol} from '../../derive/workloads/protocol.js'
import {serviceJsonPatch} from '../../derive/workloads/patch.js'

const taken = new Set([...SIDECAR_LISTENER_PORTS.map((l) => l.port), ...POD_RESERVED_PORTS.map((r) => r.port)])

/** A port to move the Service to: its own numeric targetPort when that is free, so clients keep a familiar number. */
function newPortFor(service: ServiceSummary, port: ServicePort): number | undefined {
  const target = port.targetPort
  if (typeof target !== 'number' || taken.has(target)) return undefined
  return service.ports.some((p) => p !== port && p.port === target) ? undefined : target
}

export const reservedServicePorts = defineCheck<WorkloadFacts>()({
  id: 'workload.reserved-service-ports',
  title: 'No HTTP Service port collides with a listener sidecars already have (15001, 15006, 15021, 15090; 15008 with HBONE)',
  category: 'workload',
  needs: ['contexts', 'settings'],
  source: `${SIDECAR_LISTENER_SOURCE}; https://github.com/istio/istio/pull/45670; https://github.com/istio/istio/pull/48551; https://istio.io/latest/docs/ops/deployment/application-requirements/#ports-used-by-istio`,
  run: ({contexts, settings}) => {
    // Every sidecar in the mesh builds outbound listeners for every Service, so the Service's clients matter, not
    // the mode of the pods behind it: judge when any sidecar is expected.
    const judged = contexts.workloads
    const sidecars =
      settings.mode === 'sidecar' ||
      settings.mode === 'both' ||
      (settings.mode === 'auto' && (judged.length === 0 || judged.some((c) => c.mode.modes.includes('sidecar'))))
    return contexts.services.map(({service, subject}): Outcome => {
      if (!sidecars)
        return {
          severity: 'skip',
          subject,
          mode: 'sidecar',
          message: `applies to sidecar mode only; no workload in scope runs in sidecar mode (--mode ${settings.mode})`,
        }
      const clashes = service.ports.flatMap((port, index) => {
        const listener = SIDECAR_LISTENER_PORTS.find((l) => l.port === port.port)
        const protocol = selectProtocol(port).protocol
        return listener && HTTP_PROTOCOLS.includes(protocol) ? [{port, index, listener, protocol}] : []
      })
      if (clashes.length === 0) {
        return {
          severity: 'pass',
          subject,
          mode: 'sidecar',
          message: `no port is both HTTP-like and one of ${SIDECAR_LISTENER_PORTS.map((l) => l.port).join(', ')}, the ports of the listeners a sidecar has on 0.0.0.0`,
        }
      }
      const sure = clashes.filter((c) => c.listener.always)
      if (sure.length === 0) {
        return {
          severity: 'warn',
          subject,
          mode: 'sidecar',
          message: `${clashes.map((c) => `${describePort(c.port)} (${c.protocol})`).join(', ')} is the port of the sidecar's HBONE listener: where sidecars listen for HBONE (ambient interoperability), every sidecar gets a second listener on 0.0.0.0:15008, the collision istio/istio#41239 shows for 15021, and istiod does not skip this port`,
          remediation: {
            text: "Give the Service another port and point its clients at it, or declare the port tcp (appProtocol: tcp), which Istio binds on the Service's own address.",
          },
          evidence: {ports: clashes.map((c) => String(c.port.port))},
        }
      }
      const moves = sure.map((c) => ({...c, to: newPortFor(service, c.port)}))
      const command = moves.every((m) => m.to !== undefined)
        ? serviceJsonPatch(
            service.namespace,
            service.name,
            moves.flatMap((m) => [{op: 'replace', path: `/spec/ports/${m.index}/port`, value: m.to}]),
          )
        : undefined
      return {
        severity: 'fail',
        subject,
        mode: 'sidecar',
        message: `${sure.map((c) => `${describePort(c.port)} (${c.protocol})`).join(', ')} ${sure.length === 1 ? 'is' : 'are'} on the port of every sidecar's ${sure.map((c) => `${c.listener.listener} (${c.listener.setting})`).join(', ')}: older istiod sends every sidecar a listener Envoy rejects (istio/istio#41239); newer istiod drops the port, so no sidecar can reach the Service on it (istio/istio#49905)`,
        remediation: {
          text: `Give the Service another port and point its clients at it${command ? ' (the command reuses the targetPort number, which keeps the pods as they are)' : ' (keep targetPort pointing at the pods)'}; or declare the port tcp (appProtocol: tcp), which Istio binds on the Service's own address instead, at the cost of HTTP routing and telemetry.`,
          command,
        },
        evidence: {ports: sure.map((c) => String(c.port.port))},
      }
    })
  },
})
