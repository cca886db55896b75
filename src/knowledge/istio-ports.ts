/**
 * Ports Istio's data plane and control plane listen on, so an application using one of them clashes.
 * Sources: https://istio.io/latest/docs/ops/deployment/application-requirements/#ports-used-by-istio (istio/istio.io
 * content/en/docs/ops/deployment/application-requirements/index.md @110ebf69); ztunnel in-pod listeners from
 * https://istio.io/latest/docs/ambient/architecture/traffic-redirection/; the agent's own reserved list
 * (istioReservedPorts in https://github.com/istio/istio/blob/master/pilot/cmd/pilot-agent/status/server.go).
 * 15009 ("HBONE port for secure networks") was listed by older revisions of the docs page only; no current Istio
 * component binds it, so it is not in the table.
 */
import type {MeshMode} from '../model/finding.js'

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

export interface SidecarListenerPort {
  readonly port: number
  /** The mesh or proxy setting that holds the port (its default is `port`). */
  readonly setting: string
  readonly listener: string
  /**
   * false: only when the sidecar listens there (HBONE), and istiod does not skip the colliding Service port, so the
   * outcome is a warning about a condition the plugin cannot see.
   */
  readonly always: boolean
}

/**
 * Listeners every sidecar already has on 0.0.0.0. A Service port whose protocol is HTTP-like (http, http2, grpc,
 * grpc-web, http_proxy) gets an outbound listener on 0.0.0.0:<port> in every sidecar of the mesh, which collides:
 * Envoy rejected the whole listener update on every sidecar (istio/istio#41239) until istiod learnt to skip such
 * ports (istio/istio#45670 for 15021/15090, istio/istio#48551 for 15001/15006); since then the port is silently left
 * out, so sidecars cannot reach the Service on it (istio/istio#49905). TCP and sniffed ports bind the Service's own
 * address instead and do not collide.
 * Source: conflictWithReservedListener in https://github.com/istio/istio/blob/master/pilot/pkg/model/context.go.
 */
export const SIDECAR_LISTENER_PORTS: readonly SidecarListenerPort[] = [
  {port: 15001, setting: 'meshConfig.proxyListenPort', listener: 'virtual outbound listener', always: true},
  {port: 15006, setting: 'meshConfig.proxyInboundListenPort', listener: 'virtual inbound listener', always: true},
  {port: 15021, setting: 'proxy metadata EnvoyStatusPort', listener: 'health-check listener', always: true},
  {port: 15090, setting: 'proxy metadata EnvoyPrometheusPort', listener: 'Prometheus telemetry listener', always: true},
  // Sidecars that listen for HBONE (EnableHBONEListen: ambient interoperability) bind 0.0.0.0:15008; the guard was
  // left without 15008 on purpose ("only needed if we have hbone enabled", istio/istio#48551 review).
  {port: 15008, setting: 'HBONE inbound, when sidecars listen for HBONE', listener: 'HBONE listener', always: false},
]

export const SIDECAR_LISTENER_SOURCE =
  'https://github.com/istio/istio/blob/master/pilot/pkg/model/context.go (conflictWithReservedListener); https://github.com/istio/istio/issues/41239; https://github.com/istio/istio/issues/49905'
