// Request routing: authentication, fault injection, discovery/OpenAPI/version endpoints, and
// resource paths parsed like the real server's RequestInfo, authorized, then handed to resources.ts.
import type {IncomingMessage, ServerResponse} from 'node:http'
import {
  aggregatedDiscovery,
  AGGREGATED_V2,
  AGGREGATED_V2BETA1,
  apiGroupDoc,
  apiGroupList,
  apiResourceList,
  apiVersions,
  openApiV3Doc,
  openApiV3Root,
} from './discovery.js'
import {ApiError, internalError, methodNotAllowed, pathNotFound, unauthorized, withCode} from './errors.js'
import type {FaultSet} from './faults.js'
import {negotiate, Reply, type RequestRecord} from './http.js'
import {PSP_DEPRECATION_WARNING} from './registry.js'
import {handleResource, requestVerb} from './resources.js'
import type {ServerState} from './state.js'
import {sleep} from './util.js'

/** The parts of a resource path, as k8s.io/apiserver's RequestInfoFactory splits them. */
export interface ResourcePath {
  group: string
  version: string
  namespace?: string
  resource: string
  name?: string
  subresource?: string
  /** Legacy `/api/v1/watch/...` form. */
  watch: boolean
}

const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize'])

export function parseResourcePath(path: string): ResourcePath | undefined {
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent)
  let rest: string[]
  let group = ''
  let version: string
  if (parts[0] === 'api' && parts.length >= 3) {
    version = parts[1]!
    rest = parts.slice(2)
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    group = parts[1]!
    version = parts[2]!
    rest = parts.slice(3)
  } else return undefined
  let watch = false
  if (rest[0] === 'watch') {
    watch = true
    rest = rest.slice(1)
  }
  let namespace: string | undefined
  if (rest[0] === 'namespaces' && rest.length > 1) {
    namespace = rest[1]
    if (rest.length > 2 && !NAMESPACE_SUBRESOURCES.has(rest[2]!)) rest = rest.slice(2)
  }
  if (!rest[0]) return undefined
  return {
    group,
    version,
    ...(namespace !== undefined ? {namespace} : {}),
    resource: rest[0],
    ...(rest[1] ? {name: rest[1]} : {}),
    ...(rest[2] ? {subresource: rest[2]} : {}),
    watch,
  }
}

const HEALTH_PATHS = new Set(['/healthz', '/livez', '/readyz'])

/** The impersonation a client asked for (kubectl --as/--as-group); the test server records it for tests to assert. */
function impersonation(req: IncomingMessage): {user?: string; groups: string[]} | undefined {
  const user = req.headers['impersonate-user']
  const raw = req.headers['impersonate-group']
  const groups = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).flatMap((g) => g.split(',').map((v) => v.trim()))
  if (user === undefined && groups.length === 0) return undefined
  return {...(typeof user === 'string' ? {user} : {}), groups}
}

export class Router {
  constructor(
    private readonly state: ServerState,
    private readonly token: () => string,
    private readonly faults: FaultSet,
    readonly requests: RequestRecord[],
    private readonly serverAddress: () => string,
  ) {}

  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    void this.dispatch(req, res)
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://apiserver.invalid')
    const path = url.pathname
    const method = (req.method ?? 'GET').toUpperCase()
    const impersonate = impersonation(req)
    const reply = new Reply(res, {method, path, query: Object.fromEntries(url.searchParams), ...(impersonate ? {impersonate} : {})}, this.requests)
    let retryAfter: number | undefined
    try {
      if (req.headers.authorization !== `Bearer ${this.token()}`) throw unauthorized()
      const fault = this.faults.take(method, path)
      if (fault?.latencyMs) await sleep(fault.latencyMs)
      if (fault?.status) {
        retryAfter = fault.retryAfterSeconds
        throw withCode(fault.status, fault.message ?? (fault.status >= 500 ? 'Internal error occurred: injected fault' : 'injected fault'))
      }
      if (this.serveNonResource(path, method, req, reply)) return
      const info = parseResourcePath(path)
      const def = info && this.state.registry.find(info.group, info.version, info.resource)
      if (!info || !def) throw pathNotFound()
      const watchParam = info.watch || url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1'
      const verb = requestVerb(method, info.name, info.subresource, watchParam)
      const isNamespaceObject = def.group === '' && def.resource === 'namespaces'
      const namespace = def.namespaced ? info.namespace : isNamespaceObject ? info.name : undefined
      if (!def.virtual) {
        const attrs = {
          verb,
          group: def.group,
          resource: def.resource,
          namespaced: def.namespaced,
          ...(info.subresource ? {subresource: info.subresource} : {}),
          ...(namespace ? {namespace} : {}),
          ...(info.name ? {name: info.name} : {}),
        }
        if (!this.state.authorizer.allows(attrs)) throw this.state.authorizer.forbiddenError(attrs)
      }
      if (def.group === 'policy' && def.resource === 'podsecuritypolicies') reply.headers.Warning = `299 - "${PSP_DEPRECATION_WARNING}"`
      await handleResource(this.state, {
        def,
        verb,
        ...(info.namespace !== undefined && def.namespaced ? {namespace: info.namespace} : {}),
        ...(info.name ? {name: info.name} : {}),
        ...(info.subresource ? {subresource: info.subresource} : {}),
        query: url.searchParams,
        req,
        reply,
        ...(fault ? {fault} : {}),
      })
    } catch (err) {
      if (reply.sent) {
        reply.end()
        return
      }
      const status = err instanceof ApiError ? err.status : internalError(err instanceof Error ? err.message : String(err)).status
      reply.status(status, retryAfter)
    }
  }

  /** Discovery, OpenAPI, version and health endpoints. Returns false for resource paths. */
  private serveNonResource(path: string, method: string, req: IncomingMessage, reply: Reply): boolean {
    const p = path.length > 1 ? path.replace(/\/$/, '') : path
    const parts = p.split('/').filter(Boolean)
    const isDiscovery = p === '/api' || p === '/apis' || (parts[0] === 'api' && parts.length === 2) || (parts[0] === 'apis' && parts.length <= 3)
    const known = isDiscovery || p === '/version' || HEALTH_PATHS.has(p) || parts[0] === 'openapi'
    if (!known) return false
    if (method !== 'GET' && method !== 'HEAD') throw methodNotAllowed()
    const {registry, version} = this.state
    if (p === '/version') reply.json(200, version)
    else if (HEALTH_PATHS.has(p)) reply.text(200, 'ok')
    else if (p === '/api' || p === '/apis') {
      const rep = negotiate(req.headers.accept, ['APIGroupDiscoveryList', 'object'])
      if (rep?.as === 'APIGroupDiscoveryList') {
        reply.headers.Vary = 'Accept'
        reply.json(200, aggregatedDiscovery(registry, p === '/api', rep.version), rep.version === 'v2' ? AGGREGATED_V2 : AGGREGATED_V2BETA1)
      } else reply.json(200, p === '/api' ? apiVersions(this.serverAddress()) : apiGroupList(registry))
    } else if (parts[0] === 'api') {
      const doc = apiResourceList(registry, '', parts[1]!)
      if (!doc) throw pathNotFound()
      reply.json(200, doc)
    } else if (parts[0] === 'apis') {
      const doc = parts.length === 2 ? apiGroupDoc(registry, parts[1]!) : apiResourceList(registry, parts[1]!, parts[2]!)
      if (!doc) throw pathNotFound()
      reply.json(200, doc)
    } else if (p === '/openapi/v3') reply.json(200, openApiV3Root(registry, version.gitVersion))
    else if (parts[0] === 'openapi' && parts[1] === 'v3') {
      const [, , prefix, a, b] = parts
      const doc =
        prefix === 'api' && a && !b
          ? openApiV3Doc(registry, '', a, version.gitVersion)
          : prefix === 'apis' && a && b
            ? openApiV3Doc(registry, a, b, version.gitVersion)
            : undefined
      if (!doc) throw pathNotFound()
      reply.json(200, doc)
    } else throw pathNotFound()
    return true
  }
}
