/** Errors from talking to the API server, carrying enough to write one clear line or an `unknown` finding. */

export interface RequestDescription {
  verb: string
  /** `pods`, `pods/log`, `deployments.apps`, … as kubectl names them. */
  resource: string
  group: string
  namespace?: string
  name?: string
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    readonly request: RequestDescription,
    message: string,
  ) {
    super(message)
    this.name = 'ApiError'
  }

  /** "list pods in namespace kube-system", "create selfsubjectrulesreviews.authorization.k8s.io". */
  get permission(): string {
    return describePermission(this.request)
  }
}

export function describePermission(r: RequestDescription): string {
  const resource = r.group ? `${r.resource}.${r.group}` : r.resource
  return `${r.verb} ${resource}${r.namespace ? ` in namespace ${r.namespace}` : ' (cluster-wide)'}`
}

export type ConnectionProblem = 'unreachable' | 'tls' | 'timeout' | 'unauthorized' | 'auth-plugin'

/** The server could not be talked to at all: the user has to fix their kubeconfig, network or credentials. */
export class ConnectionError extends Error {
  constructor(
    readonly problem: ConnectionProblem,
    message: string,
  ) {
    super(message)
    this.name = 'ConnectionError'
  }
}

export const isForbidden = (error: unknown): error is ApiError => error instanceof ApiError && error.status === 403
export const isNotFound = (error: unknown): error is ApiError => error instanceof ApiError && error.status === 404
export const isConflict = (error: unknown): error is ApiError => error instanceof ApiError && error.status === 409

/** Parses an API path into what RBAC sees. */
export function describeRequest(method: string, apiPath: string, query: Record<string, unknown> = {}): RequestDescription {
  const parts = apiPath.split('?')[0]!.split('/').filter(Boolean)
  let group = ''
  let rest: string[]
  if (parts[0] === 'api') rest = parts.slice(2)
  else if (parts[0] === 'apis') {
    group = parts[1] ?? ''
    rest = parts.slice(3)
  } else return {verb: method.toLowerCase(), resource: apiPath, group: ''}
  let namespace: string | undefined
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1]
    rest = rest.slice(2)
  }
  const [resource = '', name, subresource] = rest
  const watching = query.watch === true || query.watch === 'true' || query.watch === '1'
  const verbs: Record<string, string> = {
    GET: name ? 'get' : 'list',
    POST: 'create',
    PUT: 'update',
    PATCH: 'patch',
    DELETE: name ? 'delete' : 'deletecollection',
  }
  const verb = watching ? 'watch' : (verbs[method.toUpperCase()] ?? method.toLowerCase())
  return {verb, resource: subresource ? `${resource}/${subresource}` : resource, group, namespace, name}
}
