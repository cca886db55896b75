/**
 * How Istio chooses the protocol of a Service port, and which protocols talk first from the server side.
 * Sources: ../shared/reference/kernel-and-interception.md §4.2 and §4.4; istio/istio pkg/config/kube/conversion.go
 * (ConvertProtocol, wellKnownPorts) and pkg/config/protocol/instance.go (Parse);
 * https://istio.io/latest/docs/ops/configuration/traffic-management/protocol-selection/ and
 * https://istio.io/latest/docs/ops/deployment/application-requirements/#server-first-protocols.
 */

/** Port-name prefixes / appProtocol values Istio recognises (compared case-insensitively). */
export const ISTIO_PROTOCOLS: readonly string[] = ['tcp', 'udp', 'grpc', 'grpc-web', 'http', 'http_proxy', 'http2', 'https', 'tls', 'mongo', 'redis', 'mysql']

/** Kubernetes-defined appProtocol values Istio maps to its own protocols. */
export const KUBERNETES_APP_PROTOCOLS: Readonly<Record<string, string>> = {
  'kubernetes.io/h2c': 'http2',
  'kubernetes.io/ws': 'http',
  'kubernetes.io/wss': 'https',
}

/** Ports Istio treats as TCP when the name says nothing: they commonly carry server-first protocols. */
export const WELL_KNOWN_TCP_PORTS: readonly number[] = [25, 53, 3306, 27017]

export interface ServerFirstProtocol {
  readonly protocol: string
  readonly ports: readonly number[]
  /** Image repository names (last path segment, without tag) that serve it. */
  readonly images: readonly string[]
  readonly source: string
}

const DOCS = 'istio.io application-requirements "Server First Protocols"'

/** Protocols where the server sends the first bytes, which sniffing (and PERMISSIVE mTLS detection) waits for in vain. */
export const SERVER_FIRST_PROTOCOLS: readonly ServerFirstProtocol[] = [
  {protocol: 'SMTP', ports: [25, 465, 587], images: ['postfix', 'exim', 'exim4', 'mailhog', 'mailpit', 'smtp'], source: DOCS},
  {protocol: 'DNS', ports: [53], images: ['coredns', 'bind9', 'bind', 'dnsmasq', 'powerdns', 'unbound'], source: DOCS},
  {protocol: 'MySQL', ports: [3306, 33060], images: ['mysql', 'mariadb', 'percona', 'percona-server', 'mysql-server'], source: DOCS},
  {protocol: 'MongoDB', ports: [27017, 27018, 27019], images: ['mongo', 'mongodb', 'mongodb-community-server'], source: DOCS},
  {protocol: 'FTP', ports: [21], images: ['vsftpd', 'proftpd', 'pure-ftpd'], source: 'RFC 959 §5.4 (the server greets first)'},
  {protocol: 'SSH', ports: [22], images: ['openssh-server', 'gitea', 'gitlab-ce'], source: 'RFC 4253 §4.2 (the server sends its identification string)'},
  {protocol: 'NATS', ports: [4222], images: ['nats'], source: 'NATS client protocol (the server sends INFO on connect)'},
]

/** `docker.io/library/mysql:8.0` → `mysql`. */
export function imageRepositoryName(image: string): string {
  const withoutDigest = image.split('@')[0] ?? image
  const last = withoutDigest.split('/').at(-1) ?? withoutDigest
  return last.split(':')[0]!.toLowerCase()
}
