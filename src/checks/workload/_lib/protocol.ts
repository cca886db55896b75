/** Istio's protocol selection for a Service port (pkg/config/kube/conversion.go ConvertProtocol), as a pure function. */
import type {ServicePort, WorkloadSummary} from '../../../gather/workloads-shape.js'
import {ISTIO_PROTOCOLS, KUBERNETES_APP_PROTOCOLS, WELL_KNOWN_TCP_PORTS} from '../../../knowledge/protocols.js'

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
