/** Istio's protocol selection for a Service port (pkg/config/kube/conversion.go ConvertProtocol), as a pure function. */
import type {ContainerShape, ServicePort, WorkloadSummary} from '../../gather/workloads-shape.js'
import type {ServerFirstProtocol} from '../../knowledge/protocols.js'
import {imageRepositoryName, ISTIO_PROTOCOLS, KUBERNETES_APP_PROTOCOLS, SERVER_FIRST_PROTOCOLS, WELL_KNOWN_TCP_PORTS} from '../../knowledge/protocols.js'

export interface SelectedProtocol {
  /** Istio's protocol in lower case (`http`, `tcp`, `udp`, …), or `auto` when Istio sniffs it. */
  readonly protocol: string
  readonly how: 'udp' | 'appProtocol' | 'name' | 'well-known port' | 'sniffed'
}

export function selectProtocol(port: ServicePort): SelectedProtocol {
  if (port.protocol.toUpperCase() === 'UDP') return {protocol: 'udp', how: 'udp'}
  const declared = port.appProtocol !== undefined ? (KUBERNETES_APP_PROTOCOLS[port.appProtocol] ?? port.appProtocol) : port.name
  const lower = (declared ?? '').toLowerCase()
  const prefix = lower.startsWith('grpc-web') ? 'grpc-web' : lower.split('-')[0]!
  if (ISTIO_PROTOCOLS.includes(prefix)) {
    // A "udp" name on a TCP port is ignored: the port stays TCP (ConvertProtocol).
    return {protocol: prefix === 'udp' ? 'tcp' : prefix, how: port.appProtocol !== undefined ? 'appProtocol' : 'name'}
  }
  if (WELL_KNOWN_TCP_PORTS.includes(port.port)) return {protocol: 'tcp', how: 'well-known port'}
  return {protocol: 'auto', how: 'sniffed'}
}

/** How a port is shown in messages: `port 8080 (unnamed)`, `port 80 "web" → 8080`. */
export function describePort(port: ServicePort): string {
  const name = port.name ? ` "${port.name}"` : ' (unnamed)'
  const target = port.targetPort !== undefined && port.targetPort !== port.port ? ` → ${port.targetPort}` : ''
  return `port ${port.port}${name}${target}`
}

/** The container port a Service port reaches in this workload: a named targetPort is looked up in its containers. */
export function targetPortIn(port: ServicePort, workload: WorkloadSummary | undefined): number | string {
  const target = port.targetPort ?? port.port
  if (typeof target === 'number') return target
  for (const {shape} of workload?.shapes ?? []) {
    for (const c of shape.containers) {
      const found = c.ports.find((p) => p.name === target)
      if (found) return found.port
    }
  }
  return target
}

export interface ServerFirstMatch {
  readonly protocol: ServerFirstProtocol
  /** `MySQL by its port 3306`, `NATS by its image nats:2.10`. */
  readonly why: string
}

/** The containers that serve a target port: those declaring it; when none does, those declaring no port at all. */
function servingContainers(workload: WorkloadSummary, target: number | string): ContainerShape[] {
  const containers = workload.shapes.flatMap(({shape}) => shape.containers.filter((c) => !c.init))
  const declaring = containers.filter((c) => c.ports.some((p) => p.port === target || p.name === target))
  return declaring.length > 0 ? declaring : containers.filter((c) => c.ports.length === 0)
}

/**
 * Whether a Service port reaches a protocol whose server speaks first (or whose clients may wait for the server), by
 * the port it reaches, else by the image serving it. A port in the table decides by itself (a client-first row such as
 * MongoDB or DNS means no match, unless `clientFirstToo` asks for every protocol the table knows); an image matches on
 * any other port except the ones that image serves otherwise.
 */
export function serverFirstMatch(
  port: ServicePort,
  workloads: readonly WorkloadSummary[],
  options: {clientFirstToo?: boolean} = {},
): ServerFirstMatch | undefined {
  const targets =
    workloads.length > 0
      ? workloads.map((w) => ({workload: w as WorkloadSummary | undefined, target: targetPortIn(port, w)}))
      : [{workload: undefined, target: port.targetPort ?? port.port}]
  for (const {target} of targets) {
    if (typeof target !== 'number') continue
    const byPort = SERVER_FIRST_PROTOCOLS.find((p) => p.ports.includes(target))
    if (byPort) return byPort.speaks === 'client' && !options.clientFirstToo ? undefined : {protocol: byPort, why: `${byPort.protocol} by its port ${target}`}
  }
  for (const {workload, target} of targets) {
    if (workload === undefined) continue
    for (const container of servingContainers(workload, target)) {
      const name = imageRepositoryName(container.image)
      const byImage = SERVER_FIRST_PROTOCOLS.find(
        (p) => (p.speaks !== 'client' || options.clientFirstToo) && p.images.includes(name) && !(typeof target === 'number' && p.otherPorts?.includes(target)),
      )
      if (byImage) return {protocol: byImage, why: `${byImage.protocol} by its image ${container.image}`}
    }
  }
  return undefined
}
