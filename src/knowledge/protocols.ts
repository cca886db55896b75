/**
 * How Istio chooses the protocol of a Service port, and which protocols talk first from the server side.
 * Sources: istio/istio pkg/config/kube/conversion.go (ConvertProtocol, wellKnownPorts,
 * https://github.com/istio/istio/blob/master/pkg/config/kube/conversion.go) and pkg/config/protocol/instance.go (Parse,
 * IsHTTP, https://github.com/istio/istio/blob/master/pkg/config/protocol/instance.go);
 * https://istio.io/latest/docs/ops/configuration/traffic-management/protocol-selection/ and
 * https://istio.io/latest/docs/ops/deployment/application-requirements/#server-first-protocols.
 */

/** Port-name prefixes / appProtocol values Istio recognises (compared case-insensitively; protocol.Parse). */
export const ISTIO_PROTOCOLS: readonly string[] = ['tcp', 'udp', 'grpc', 'grpc-web', 'http', 'http_proxy', 'http2', 'https', 'tls', 'mongo', 'redis', 'mysql']

/** The protocols for which `protocol.Instance.IsHTTP()` is true: a sidecar serves them on a 0.0.0.0:<port> listener. */
export const HTTP_PROTOCOLS: readonly string[] = ['http', 'http2', 'http_proxy', 'grpc', 'grpc-web']

/** Kubernetes-defined appProtocol values Istio maps to its own protocols. */
export const KUBERNETES_APP_PROTOCOLS: Readonly<Record<string, string>> = {
  'kubernetes.io/h2c': 'http2',
  'kubernetes.io/ws': 'http',
  'kubernetes.io/wss': 'https',
}

/** Ports Istio treats as TCP when the name says nothing (wellKnownPorts: SMTP, DNS, MySQL, MongoDB). */
export const WELL_KNOWN_TCP_PORTS: readonly number[] = [25, 53, 3306, 27017]

/**
 * Who sends the first bytes after the TCP handshake. `server`: the client waits for a greeting, so a sniffed port
 * (which waits for the client's bytes) hangs. `both`: the protocol has both sides send at once, but clients that wait
 * for the server's banner hang. `client`: sniffing works; listed because Istio's docs name the port.
 */
export type FirstSpeaker = 'server' | 'both' | 'client'

export interface ServerFirstProtocol {
  readonly protocol: string
  readonly speaks: FirstSpeaker
  /** The protocol's registered / default ports. */
  readonly ports: readonly number[]
  /** Image repository names (last path segment, without tag) that serve it. */
  readonly images: readonly string[]
  /** Other ports those images serve with a client-first protocol (web UIs, monitoring): never matched by image. */
  readonly otherPorts?: readonly number[]
  /** Primary source for who speaks first (and for the port). */
  readonly source: string
}

const ISTIO_DOCS = 'https://istio.io/latest/docs/ops/deployment/application-requirements/#server-first-protocols'

/** Protocols matched by the target port or by the serving container's image. */
export const SERVER_FIRST_PROTOCOLS: readonly ServerFirstProtocol[] = [
  {
    protocol: 'SMTP',
    speaks: 'server',
    ports: [25],
    images: ['postfix', 'exim', 'exim4', 'docker-mailserver', 'mailhog', 'mailpit', 'smtp'],
    otherPorts: [8025],
    source: 'https://www.rfc-editor.org/rfc/rfc5321#section-3.1 (the server sends a 220 greeting first); ' + ISTIO_DOCS,
  },
  {protocol: 'SMTP submission', speaks: 'server', ports: [587], images: [], source: 'https://www.rfc-editor.org/rfc/rfc6409#section-3.1 (SMTP on port 587)'},
  {
    protocol: 'MySQL',
    speaks: 'server',
    ports: [3306],
    images: ['mysql', 'mariadb', 'percona', 'percona-server', 'mysql-server'],
    otherPorts: [33060],
    source:
      'https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_connection_phase.html (the server sends the Initial Handshake Packet); ' + ISTIO_DOCS,
  },
  {
    protocol: 'ProxySQL (MySQL protocol)',
    speaks: 'server',
    ports: [6033, 6032],
    images: ['proxysql'],
    otherPorts: [6070, 6080],
    source:
      'https://proxysql.com/documentation/global-variables/mysql-variables/#mysql-interfaces (clients on 6033, admin on 6032; both speak the MySQL protocol)',
  },
  {
    protocol: 'FTP',
    speaks: 'server',
    ports: [21],
    images: ['vsftpd', 'proftpd', 'pure-ftpd'],
    source: 'https://www.rfc-editor.org/rfc/rfc959#section-5.4 (on connection the server replies 220 first)',
  },
  {
    protocol: 'POP3',
    speaks: 'server',
    ports: [110],
    images: [],
    source: 'https://www.rfc-editor.org/rfc/rfc1939#section-4 (the POP3 server issues a one line greeting)',
  },
  {
    protocol: 'IMAP',
    speaks: 'server',
    ports: [143],
    images: ['dovecot', 'cyrus-imapd'],
    source: 'https://www.rfc-editor.org/rfc/rfc9051#section-3 (the connection starts with the server greeting)',
  },
  {
    protocol: 'NATS',
    speaks: 'server',
    ports: [4222, 6222],
    images: ['nats'],
    otherPorts: [8222],
    source: 'https://docs.nats.io/reference/reference-protocols/nats-protocol#info (the server sends INFO when the connection is established)',
  },
  {
    protocol: 'VNC (RFB)',
    speaks: 'server',
    ports: [5900],
    images: [],
    source: 'https://www.rfc-editor.org/rfc/rfc6143#section-7.1.1 (the server sends ProtocolVersion first)',
  },
  {
    protocol: 'SSH',
    speaks: 'both',
    ports: [22],
    images: ['openssh-server', 'gitea', 'forgejo'],
    otherPorts: [3000],
    source: "https://www.rfc-editor.org/rfc/rfc4253#section-4.2 (both sides send an identification string; clients that wait for the server's hang)",
  },
  // Client-first: Istio's docs list some of these ports, but the client sends first, so a sniffed port still works.
  {
    protocol: 'implicit TLS (SMTPS, IMAPS, POP3S)',
    speaks: 'client',
    ports: [465, 993, 995],
    images: [],
    source: 'https://www.rfc-editor.org/rfc/rfc8314#section-3 (TLS starts at once: the client sends its ClientHello)',
  },
  {
    protocol: 'MySQL X Protocol',
    speaks: 'client',
    ports: [33060],
    images: [],
    source: 'https://dev.mysql.com/worklog/task/?id=12240 ("in X, client initiates the conversation")',
  },
  {
    protocol: 'MongoDB',
    speaks: 'client',
    ports: [27017, 27018, 27019],
    images: ['mongo', 'mongodb', 'mongodb-community-server'],
    source: 'https://github.com/mongodb/specifications/blob/master/source/mongodb-handshake/handshake.md (the client sends hello first); ' + ISTIO_DOCS,
  },
  {
    protocol: 'DNS over TCP',
    speaks: 'client',
    ports: [53],
    images: ['coredns', 'bind9', 'dnsmasq', 'powerdns', 'unbound'],
    source: 'https://www.rfc-editor.org/rfc/rfc7766 (DNS over TCP: the client sends a length-prefixed query, the server answers); ' + ISTIO_DOCS,
  },
]

/** `docker.io/library/mysql:8.0` → `mysql`; `registry:5000/team/nats@sha256:…` → `nats`. */
export function imageRepositoryName(image: string): string {
  const withoutDigest = image.split('@')[0] ?? image
  const last = withoutDigest.split('/').at(-1) ?? withoutDigest
  return last.split(':')[0]!.toLowerCase()
}
