/**
 * Ports Istio's data plane and control plane listen on, so an application using one of them clashes.
 * Sources: istio.io content/en/docs/ops/deployment/application-requirements/index.md @110ebf69 ("Ports used by Istio";
 * https://istio.io/latest/docs/ops/deployment/application-requirements/#ports-used-by-istio);
 * ../shared/reference/kernel-and-interception.md §4.1; ztunnel in-pod listeners from
 * https://istio.io/latest/docs/ambient/architecture/traffic-redirection/.
 */
import type {MeshMode} from './mesh-labels.js'

export interface ReservedPort {
  readonly port: number
  /** Which Istio component listens there. */
  readonly owner: 'sidecar' | 'ztunnel' | 'istiod'
  readonly purpose: string
  /** The data-plane modes in which the port is bound inside the application pod (empty for istiod). */
  readonly modes: readonly MeshMode[]
}

export const POD_RESERVED_PORTS: readonly ReservedPort[] = [
  {port: 15000, owner: 'sidecar', purpose: 'Envoy admin', modes: ['sidecar']},
  {port: 15001, owner: 'sidecar', purpose: 'outbound capture (Envoy; ztunnel in-pod outbound)', modes: ['sidecar', 'ambient']},
  {port: 15002, owner: 'sidecar', purpose: 'failure-detection port of the istio-cni validation', modes: ['sidecar']},
  {port: 15004, owner: 'sidecar', purpose: 'istio-agent debug', modes: ['sidecar']},
  {port: 15006, owner: 'sidecar', purpose: 'inbound capture (Envoy; ztunnel in-pod inbound)', modes: ['sidecar', 'ambient']},
  {port: 15008, owner: 'sidecar', purpose: 'HBONE mTLS tunnel', modes: ['sidecar', 'ambient']},
  {port: 15020, owner: 'sidecar', purpose: 'merged Prometheus telemetry', modes: ['sidecar']},
  {port: 15021, owner: 'sidecar', purpose: 'health checks', modes: ['sidecar']},
  {port: 15053, owner: 'sidecar', purpose: 'DNS proxy (sidecar DNS capture; ztunnel in-pod DNS)', modes: ['sidecar', 'ambient']},
  {port: 15090, owner: 'sidecar', purpose: 'Envoy Prometheus telemetry', modes: ['sidecar']},
]

/** istiod's ports (application-requirements "Ports used by Istio", istiod table). */
export const ISTIOD_PORTS: readonly ReservedPort[] = [
  {port: 15010, owner: 'istiod', purpose: 'istiod XDS and CA (plaintext)', modes: []},
  {port: 15012, owner: 'istiod', purpose: 'istiod XDS and CA (TLS/mTLS)', modes: []},
  {port: 15014, owner: 'istiod', purpose: 'istiod control-plane monitoring', modes: []},
  {port: 15017, owner: 'istiod', purpose: 'istiod webhook container port', modes: []},
]

