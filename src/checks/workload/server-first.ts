import type {WorkloadFacts} from '../../gather/workloads.js'
import type {ServicePort} from '../../gather/workloads-shape.js'
import {imageRepositoryName, SERVER_FIRST_PROTOCOLS} from '../../knowledge/protocols.js'
import type {Outcome} from '../types.js'
import {defineCheck} from '../types.js'
import type {WorkloadContext} from './_lib/context.js'
import {containersOf, notInMode, serviceContexts} from './_lib/context.js'
import {describePort, selectProtocol, targetPortIn} from './_lib/protocol.js'
import {serviceJsonPatch} from './_lib/patch.js'

/** Why a sniffed port is believed to carry a server-first protocol: the port it reaches, or the image serving it. */
function serverFirstEvidence(port: ServicePort, workloads: readonly WorkloadContext[]): string | undefined {
  const targets = workloads.length > 0 ? workloads.map(({workload}) => targetPortIn(port, workload)) : [port.targetPort ?? port.port]
  for (const target of targets) {
    const byPort = SERVER_FIRST_PROTOCOLS.find((p) => typeof target === 'number' && p.ports.includes(target))
    if (byPort) return `${byPort.protocol} by its port ${target}`
  }
  for (const [i, {workload}] of workloads.entries()) {
    for (const {container} of containersOf(workload)) {
      const serves = container.ports.length === 0 || container.ports.some((p) => p.port === targets[i] || p.name === targets[i])
      const byImage = SERVER_FIRST_PROTOCOLS.find((p) => p.images.includes(imageRepositoryName(container.image)))
      if (serves && byImage) return `${byImage.protocol} by its image ${container.image}`
    }
  }
  return undefined
}

export const serverFirst = defineCheck<WorkloadFacts>()({
  id: 'workload.server-first',
  title: 'Ports that carry server-first protocols are declared TCP rather than sniffed',
  category: 'workload',
  needs: ['inventory', 'mesh', 'settings'],
  source:
    'https://istio.io/latest/docs/ops/deployment/application-requirements/#server-first-protocols; https://github.com/istio/istio/blob/master/pkg/config/kube/conversion.go (wellKnownPorts 25, 53, 3306, 27017); https://istio.io/latest/docs/ops/configuration/traffic-management/protocol-selection/',
  run: ({inventory, mesh, settings}) =>
    serviceContexts(inventory, mesh, settings).map(({service, subject, mode, workloads}): Outcome => {
      const skip = notInMode(subject, mode, ['sidecar'])
      if (skip) return skip
      const found = service.ports.flatMap((port, index) => {
        if (selectProtocol(port).how !== 'sniffed') return []
        const why = serverFirstEvidence(port, workloads)
        return why ? [{port, index, why}] : []
      })
      if (found.length === 0) return {severity: 'pass', subject, message: 'no sniffed port carries a known server-first protocol'}
      return {
        severity: 'fail',
        subject,
        message: `${found.map((f) => `${describePort(f.port)} looks like ${f.why}`).join('; ')}: the server speaks first, but a sniffed port waits for the client's bytes, so connections hang`,
        remediation: {
          text:
            'Declare the port TCP (appProtocol: tcp, or a name starting tcp-), as the command below does. Otherwise make sure everything sniffed is TLS, one of: PeerAuthentication mTLS STRICT for the server; mTLS DISABLE for the server (turns off TLS sniffing); every client sending TLS (DestinationRule or auto mTLS); the application sending TLS itself.',
          command: serviceJsonPatch(service.namespace, service.name, found.map((f) => ({op: 'add', path: `/spec/ports/${f.index}/appProtocol`, value: 'tcp'}))),
        },
        evidence: {ports: found.map((f) => String(f.port.port))},
      }
    }),
})
