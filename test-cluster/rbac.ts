// Authorization from a scenario's `rbac` section, with the real RBAC authorizer's Forbidden texts.
// The same rules answer SelfSubjectAccessReviews, SelfSubjectRulesReviews and real requests.
import {forbidden, type ApiError} from './errors.js'
import type {Registry, ResourceDef} from './registry.js'
import type {RbacConfig, RbacRule} from './scenario.js'

export interface RequestAttributes {
  verb: string
  group: string
  resource: string
  subresource?: string
  /** "" or undefined for cluster-scope requests (including all-namespaces lists). */
  namespace?: string
  name?: string
  /** Whether the resource itself is namespaced (a namespaced deny also denies cluster-wide requests for it). */
  namespaced?: boolean
}

export interface ResourceRule {
  verbs: string[]
  apiGroups: string[]
  resources: string[]
  resourceNames?: string[]
}

export interface NonResourceRule {
  verbs: string[]
  nonResourceURLs: string[]
}

export interface RulesReviewStatus {
  resourceRules: ResourceRule[]
  nonResourceRules: NonResourceRule[]
  incomplete: boolean
}

/** What every authenticated user may do (system:basic-user, system:discovery). */
const BASIC_USER_RULES: ResourceRule[] = [
  {verbs: ['create'], apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews']},
  {verbs: ['create'], apiGroups: ['authentication.k8s.io'], resources: ['selfsubjectreviews']},
]
const DISCOVERY_URLS: NonResourceRule = {
  verbs: ['get'],
  nonResourceURLs: ['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/openapi', '/openapi/*', '/readyz', '/version', '/version/'],
}

function ruleResources(rule: RbacRule): string[] {
  if (!rule.subresources?.length) return rule.resources
  return rule.resources.flatMap((r) => rule.subresources!.map((s) => `${r}/${s}`))
}

function resourceMatches(ruleResource: string, a: RequestAttributes): boolean {
  if (ruleResource === '*') return true
  if (!a.subresource) return ruleResource === a.resource
  return ruleResource === `${a.resource}/${a.subresource}` || ruleResource === `${a.resource}/*` || ruleResource === `*/${a.subresource}`
}

/**
 * Whether a rule covers a request. `mode` decides how a namespace-limited rule treats cluster-wide
 * requests: an allow limited to namespaces never grants them (like a RoleBinding), while a deny
 * limited to namespaces also denies them (the user cannot hold a cluster-wide grant it excludes).
 */
export function ruleMatches(rule: RbacRule, a: RequestAttributes, mode: 'allow' | 'deny'): boolean {
  if (!rule.verbs.includes('*') && !rule.verbs.includes(a.verb)) return false
  if (rule.apiGroups && !rule.apiGroups.includes('*') && !rule.apiGroups.includes(a.group)) return false
  if (!ruleResources(rule).some((r) => resourceMatches(r, a))) return false
  if (rule.resourceNames?.length && (!a.name || !rule.resourceNames.includes(a.name))) return false
  if (rule.namespaces) {
    if (a.namespace) return rule.namespaces.includes(a.namespace)
    return mode === 'deny' && a.namespaced === true
  }
  return true
}

export class Authorizer {
  constructor(
    private readonly config: RbacConfig | undefined,
    readonly user: string,
  ) {}

  allows(a: RequestAttributes): boolean {
    if (this.config?.allowed) return this.config.allowed.some((r) => ruleMatches(r, a, 'allow'))
    if (this.config?.denied) return !this.config.denied.some((r) => ruleMatches(r, a, 'deny'))
    return true
  }

  /** The 403 the real server sends when RBAC says no. */
  forbiddenError(a: RequestAttributes): ApiError {
    const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource
    const where = a.namespace ? `in the namespace "${a.namespace}"` : 'at the cluster scope'
    const why = `User "${this.user}" cannot ${a.verb} resource "${resource}" in API group "${a.group}" ${where}`
    return forbidden({group: a.group, resource: a.resource}, a.name, why)
  }

  /** A SelfSubjectRulesReview status for one namespace. */
  rulesReview(namespace: string, registry: Registry): RulesReviewStatus {
    if (this.config?.allowed) {
      const rules = this.config.allowed
        .filter((r) => !r.namespaces || r.namespaces.includes(namespace))
        .map((r) => ({
          verbs: r.verbs,
          apiGroups: r.apiGroups ?? ['*'],
          resources: ruleResources(r),
          ...(r.resourceNames?.length ? {resourceNames: r.resourceNames} : {}),
        }))
      return {resourceRules: [...BASIC_USER_RULES, ...rules], nonResourceRules: [DISCOVERY_URLS], incomplete: false}
    }
    if (!this.config?.denied) {
      return {
        resourceRules: [...BASIC_USER_RULES, {verbs: ['*'], apiGroups: ['*'], resources: ['*']}],
        nonResourceRules: [DISCOVERY_URLS, {verbs: ['*'], nonResourceURLs: ['*']}],
        incomplete: false,
      }
    }
    return {
      resourceRules: this.enumerateAllowed(namespace, registry),
      nonResourceRules: [DISCOVERY_URLS, {verbs: ['*'], nonResourceURLs: ['*']}],
      incomplete: false,
    }
  }

  /**
   * With `denied` rules there is no wildcard to report, so list every served resource and
   * subresource with the verbs left to it (`*` where nothing is denied). A deny limited by
   * resourceNames counts as denying the verb (conservative).
   */
  private enumerateAllowed(namespace: string, registry: Registry): ResourceRule[] {
    const denied = this.config?.denied ?? []
    const seen = new Set<string>()
    const grouped = new Map<string, ResourceRule>()
    const add = (def: ResourceDef, sub: string | undefined, verbs: readonly string[]): void => {
      const id = `${def.group}/${def.resource}/${sub ?? ''}`
      if (seen.has(id)) return
      seen.add(id)
      const base: RequestAttributes = {
        verb: '',
        group: def.group,
        resource: def.resource,
        ...(sub ? {subresource: sub} : {}),
        ...(def.namespaced ? {namespace} : {}),
        namespaced: def.namespaced,
      }
      const deniedVerbs = verbs.filter((verb) => denied.some((r) => ruleMatches({...r, resourceNames: []}, {...base, verb}, 'deny')))
      const allowed = deniedVerbs.length === 0 ? ['*'] : verbs.filter((v) => !deniedVerbs.includes(v))
      if (allowed.length === 0) return
      const key = `${def.group}\u0000${allowed.join(',')}`
      const resource = sub ? `${def.resource}/${sub}` : def.resource
      const rule = grouped.get(key)
      if (rule) rule.resources.push(resource)
      else grouped.set(key, {verbs: [...allowed], apiGroups: [def.group], resources: [resource]})
    }
    for (const def of registry.all()) {
      add(def, undefined, def.verbs)
      for (const s of def.subresources ?? []) add(def, s.name, s.verbs)
    }
    return [...BASIC_USER_RULES, ...grouped.values()]
  }
}
