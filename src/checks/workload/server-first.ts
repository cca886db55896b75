import type {WorkloadFacts} from '../../derive/workloads/context.js'
import {SERVER_FIRST_PROTOCOLS} from '../../knowledge/protocols.js'
import type {Outcome} from '../../model/finding.js'
import {defineCheck} from '../../model/finding.js'
import {notInMode} from '../../derive/workloads/context.js'
import {describePort, selectProtocol, serverFirstMatch} from '../../derive/workloads/protocol.js'
import {serviceJsonPatch} from '../../derive/workloads/patch.js'

const KNOWN = [...new Set(SERVER_FIRST_PROTOCOLS.filter((p) => p.speaks !== 'client').map((p) => p.protocol.split(' ')[0]!))].join(', ')

export const serverFirst = defineCheck<WorkloadFacts>()({
  id: 'workload.server-first',
  title: 'Ports that carry server-first protocols are declared TCP rather than sniffed',
  category: 'workload',
  needs: ['contexts'],
  source:
    'https://istio.io/latest/docs/ops/deployment/application-requirements/#server-first-protocols; https://istio.io/latest/docs/ops/configuration/traffic-management/protocol-selection/; https://github.com/istio/istio/blob/master/pkg/config/kube/conversion.go (wellKnownPorts 25, 53, 3306, 27017 are never sniffed); each protocol row cites its RFC or vendor protocol docs (src/knowledge/protocols.ts)',
  run: ({contexts}) => {
    return contexts.services.map(({service, subject, mode, workloads}): Outcome => {
      const skip = notInMode(subject, mode, ['sidecar'])
      if (skip) return skip
      const selected = workloads.map(({workload}) => workload)
      const sniffed = service.ports.map((port, index) => ({port, index})).filter(({port}) => selectProtocol(port).how === 'sniffed')
      const found = sniffed.flatMap(({port, index}) => {
        const match = serverFirstMatch(port, selected)
        return match ? [{port, index, match}] : []
      })
      if (found.length === 0) {
        const message =
          sniffed.length === 0
            ? 'no port is sniffed: each has a declared protocol or is one Istio treats as TCP'
            : `its sniffed ${sniffed.length === 1 ? 'port' : 'ports'} ${sniffed.map(({port}) => port.port).join(', ')} ${sniffed.length === 1 ? 'reaches' : 'reach'} no port or image of a server-first protocol the plugin knows (${KNOWN}); a server-first server in another image on another port is not recognised`
        return {severity: 'pass', subject, mode: 'sidecar', message}
      }
      const hangs = found.filter((f) => f.match.protocol.speaks === 'server')
      const describe = (list: typeof found) => list.map((f) => `${describePort(f.port)} looks like ${f.match.why}`).join('; ')
      const parts = [
        hangs.length > 0 ? `${describe(hangs)}: the server speaks first, but a sniffed port waits for the client's bytes, so connections hang` : undefined,
        found.length > hangs.length
          ? `${describe(found.filter((f) => f.match.protocol.speaks !== 'server'))}: both sides send at once, but a client that waits for the server's banner hangs on a sniffed port`
          : undefined,
      ].filter((p): p is string => p !== undefined)
      return {
        severity: hangs.length > 0 ? 'fail' : 'warn',
        subject,
        mode: 'sidecar',
        message: parts.join('; '),
        remediation: {
          text: 'Declare the port TCP (appProtocol: tcp, or a name starting tcp-), as the command below does. Otherwise make sure everything sniffed is TLS, one of: PeerAuthentication mTLS STRICT for the server; mTLS DISABLE for the server (turns off TLS sniffing); every client sending TLS (DestinationRule or auto mTLS); the application sending TLS itself.',
          command: serviceJsonPatch(
            service.namespace,
            service.name,
            found.map((f) => ({op: 'add', path: `/spec/ports/${f.index}/appProtocol`, value: 'tcp'})),
          ),
        },
        evidence: {ports: found.map((f) => String(f.port.port)), protocols: [...new Set(found.map((f) => f.match.protocol.protocol))]},
      }
    })
  },
})
