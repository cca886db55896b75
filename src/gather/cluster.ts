import type {Fact} from '../model/finding.js'
import {known, unavailable} from '../model/finding.js'
import type {ApiRead, PermissionArea} from './reads.js'
import {CHECKED_READS} from './reads.js'
import type {KubeClient} from './kube/client.js'
import {ApiError} from './kube/errors.js'

export interface ApiServerInfo {
  readonly reachable: boolean
  readonly gitVersion?: string
  readonly major?: string
  readonly minor?: string
  readonly platform?: string
  readonly latencyMs: number
  /** Why the server answered but not usefully (5xx, garbage). */
  readonly problem?: string
}

export interface PermissionResult {
  readonly permission: ApiRead
  readonly namespace?: string
  /** undefined = the server could not tell (SSRR incomplete and SSAR denied itself). */
  readonly allowed: boolean | undefined
  readonly via: 'rules-review' | 'access-review'
}

export interface ClusterFacts {
  [key: string]: Fact<unknown>
  apiServer: Fact<ApiServerInfo>
  permissions: Fact<PermissionResult[]>
  istioVersion: Fact<string>
}

export interface PermissionNamespaces {
  probeNamespace: string
  istioNamespace: string
  /** undefined = all namespaces (-A). */
  targetNamespaces: readonly string[] | undefined
}

export async function gatherApiServer(client: KubeClient): Promise<Fact<ApiServerInfo>> {
  const started = performance.now()
  try {
    // In check's snapshot the platform gather has read /version already: its request's time is the latency.
    const {value: version, ms: latencyMs} = await client.timedRead<Record<string, unknown>>('/version')
    if (typeof version !== 'object' || version === null || typeof version.gitVersion !== 'string') {
      return known({reachable: true, latencyMs, problem: 'GET /version did not return a version object'})
    }
    return known({
      reachable: true,
      latencyMs,
      gitVersion: version.gitVersion,
      major: String(version.major ?? ''),
      minor: String(version.minor ?? ''),
      platform: typeof version.platform === 'string' ? version.platform : undefined,
    })
  } catch (error) {
    if (error instanceof ApiError) {
      if (error.status === 403) return unavailable(`cannot read the server version: forbidden (${error.permission})`)
      return known({reachable: true, latencyMs: Math.round(performance.now() - started), problem: `GET /version answered ${error.status}: ${error.message}`})
    }
    throw error
  }
}

interface ResourceRule {
  verbs?: string[]
  apiGroups?: string[]
  resources?: string[]
  resourceNames?: string[]
}

/** True when one of the rules grants the verb on the resource without a resourceNames restriction. */
export function rulesAllow(rules: readonly ResourceRule[], p: Pick<ApiRead, 'verb' | 'group' | 'resource'>): boolean {
  const [base, sub] = p.resource.split('/')
  return rules.some((rule) => {
    if (rule.resourceNames && rule.resourceNames.length > 0) return false
    const verbOk = (rule.verbs ?? []).some((v) => v === '*' || v === p.verb)
    const groupOk = (rule.apiGroups ?? []).some((g) => g === '*' || g === p.group)
    const resourceOk = (rule.resources ?? []).some(
      (r) => r === '*' || r === p.resource || (sub !== undefined && r === `${base}/*`) || (sub !== undefined && r === `*/${sub}`),
    )
    return verbOk && groupOk && resourceOk
  })
}

function namespacesFor(p: ApiRead, ns: PermissionNamespaces): readonly (string | undefined)[] {
  switch (p.scope) {
    case 'cluster':
      return [undefined]
    case 'probe-namespace':
      return [ns.probeNamespace]
    case 'istio-namespace':
      return [ns.istioNamespace]
    case 'kube-system':
      return ['kube-system']
    case 'default':
      return ['default']
    case 'target':
      return ns.targetNamespaces ?? [undefined]
  }
}

async function accessReview(client: KubeClient, p: ApiRead, namespace: string | undefined): Promise<boolean | undefined> {
  const [resource, subresource] = p.resource.split('/')
  try {
    const review = await client.create<{status?: {allowed?: boolean}}>('/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: {resourceAttributes: {verb: p.verb, group: p.group, resource, subresource, namespace}},
    })
    return review.status?.allowed === true
  } catch (error) {
    if (error instanceof ApiError) return undefined
    throw error
  }
}

/**
 * One SelfSubjectRulesReview per namespace for the namespaced rows; cluster-wide rows (and rows an incomplete
 * rules review could not prove) are asked with a SelfSubjectAccessReview each.
 */
export async function gatherPermissions(client: KubeClient, areas: readonly PermissionArea[], ns: PermissionNamespaces): Promise<Fact<PermissionResult[]>> {
  const wanted = CHECKED_READS.filter((p) => p.areas.some((a) => areas.includes(a)))
  const rows = wanted.flatMap((permission) => namespacesFor(permission, ns).map((namespace) => ({permission, namespace})))
  const namespaces = [...new Set(rows.map((r) => r.namespace).filter((n): n is string => n !== undefined))]
  const reviews = new Map<string, {rules: ResourceRule[]; incomplete: boolean}>()
  await Promise.all(
    namespaces.map(async (namespace) => {
      try {
        const review = await client.create<{status?: {resourceRules?: ResourceRule[]; incomplete?: boolean}}>(
          '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews',
          {
            apiVersion: 'authorization.k8s.io/v1',
            kind: 'SelfSubjectRulesReview',
            spec: {namespace},
          },
        )
        reviews.set(namespace, {rules: review.status?.resourceRules ?? [], incomplete: review.status?.incomplete === true})
      } catch (error) {
        if (!(error instanceof ApiError)) throw error
      }
    }),
  )
  const results = await Promise.all(
    rows.map(async ({permission, namespace}): Promise<PermissionResult> => {
      const review = namespace === undefined ? undefined : reviews.get(namespace)
      if (review !== undefined) {
        const allowed = rulesAllow(review.rules, permission)
        if (allowed || !review.incomplete) return {permission, namespace, allowed, via: 'rules-review'}
      }
      return {permission, namespace, allowed: await accessReview(client, permission, namespace), via: 'access-review'}
    }),
  )
  return known(results)
}
