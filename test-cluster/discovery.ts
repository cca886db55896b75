// Discovery documents (legacy /api, /apis, per group-version lists and aggregated
// apidiscovery.k8s.io/v2), plus the small OpenAPI v3 documents kubectl reads to learn that the server
// supports server-side field validation.
import {createHash} from 'node:crypto'
import {groupVersion, type Registry, type ResourceDef} from './registry.js'

export const AGGREGATED_V2 = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList'
export const AGGREGATED_V2BETA1 = 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList'

function storageVersionHash(def: ResourceDef): string {
  return createHash('sha256').update(`${def.group}/${def.version}/${def.kind}`).digest().subarray(0, 8).toString('base64')
}

export function apiVersions(serverAddress: string): object {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{clientCIDR: '0.0.0.0/0', serverAddress}],
  }
}

function apiGroup(name: string, versions: string[]): object {
  const list = versions.map((v) => ({groupVersion: `${name}/${v}`, version: v}))
  return {name, versions: list, preferredVersion: list[0]}
}

export function apiGroupList(registry: Registry): object {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: registry
      .groups()
      .filter((g) => g.name !== '')
      .map((g) => apiGroup(g.name, g.versions)),
  }
}

export function apiGroupDoc(registry: Registry, group: string): object | undefined {
  const g = registry.groups().find((x) => x.name === group && group !== '')
  return g ? {kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(g.name, g.versions)} : undefined
}

export function apiResourceList(registry: Registry, group: string, version: string): object | undefined {
  const defs = registry.resourcesIn(group, version)
  if (defs.length === 0) return undefined
  const resources: object[] = []
  for (const d of defs) {
    resources.push({
      name: d.resource,
      singularName: d.singular,
      namespaced: d.namespaced,
      kind: d.kind,
      verbs: d.verbs,
      ...(d.shortNames ? {shortNames: d.shortNames} : {}),
      ...(d.categories ? {categories: d.categories} : {}),
      storageVersionHash: storageVersionHash(d),
    })
    for (const s of d.subresources ?? []) {
      resources.push({
        name: `${d.resource}/${s.name}`,
        singularName: '',
        namespaced: d.namespaced,
        ...(s.group !== undefined ? {group: s.group, version: s.version} : {}),
        kind: s.kind,
        verbs: s.verbs,
      })
    }
  }
  return {kind: 'APIResourceList', apiVersion: 'v1', groupVersion: groupVersion({group, version}), resources}
}

function resourceDiscovery(d: ResourceDef): object {
  return {
    resource: d.resource,
    responseKind: {group: d.group, version: d.version, kind: d.kind},
    scope: d.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: d.singular,
    verbs: d.verbs,
    ...(d.shortNames ? {shortNames: d.shortNames} : {}),
    ...(d.categories ? {categories: d.categories} : {}),
    ...(d.subresources
      ? {
          subresources: d.subresources.map((s) => ({
            subresource: s.name,
            responseKind: {group: s.group ?? d.group, version: s.version ?? d.version, kind: s.kind},
            verbs: s.verbs,
          })),
        }
      : {}),
  }
}

/** Aggregated discovery for `/api` (core only) or `/apis` (everything else). */
export function aggregatedDiscovery(registry: Registry, core: boolean, apiVersion: 'v2' | 'v2beta1'): object {
  const items = registry
    .groups()
    .filter((g) => (g.name === '') === core)
    .map((g) => ({
      metadata: {...(g.name ? {name: g.name} : {}), creationTimestamp: null},
      versions: g.versions.map((v) => ({
        version: v,
        resources: registry.resourcesIn(g.name, v).map(resourceDiscovery),
        freshness: 'Current',
      })),
    }))
  return {kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${apiVersion}`, metadata: {}, items}
}

function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`
}

/**
 * The OpenAPI v3 document of one group-version. It carries only what kubectl reads: each kind's
 * PATCH operation, tagged with its group-version-kind and listing the fieldValidation parameter
 * (so kubectl validates server-side instead of downloading schemas), and the patch media types.
 */
export function openApiV3Doc(registry: Registry, group: string, version: string, gitVersion: string): object | undefined {
  const defs = registry.resourcesIn(group, version)
  if (defs.length === 0) return undefined
  const paths: Record<string, object> = {}
  const param = (name: string): object => ({name, in: 'query', schema: {type: 'string', uniqueItems: true}})
  const body = {schema: {type: 'object'}}
  for (const d of defs) {
    const prefix = `/${gvPath(group, version)}${d.namespaced ? '/namespaces/{namespace}' : ''}/${d.resource}/{name}`
    paths[prefix] = {
      patch: {
        description: `partially update the specified ${d.kind}`,
        operationId: `patch${d.kind}`,
        parameters: [param('dryRun'), param('fieldManager'), param('fieldValidation'), param('force')],
        requestBody: {
          content: {'application/apply-patch+yaml': body, 'application/json-patch+json': body, 'application/merge-patch+json': body},
          required: true,
        },
        responses: {'200': {description: 'OK'}},
        'x-kubernetes-action': 'patch',
        'x-kubernetes-group-version-kind': {group, kind: d.kind, version},
      },
    }
  }
  return {openapi: '3.0.0', info: {title: 'Kubernetes', version: gitVersion}, paths, components: {schemas: {}}}
}

export function openApiV3Hash(doc: object): string {
  return createHash('sha512').update(JSON.stringify(doc)).digest('hex').toUpperCase()
}

/** `/openapi/v3`: where each group-version's document lives (with a content hash, like the real server). */
export function openApiV3Root(registry: Registry, gitVersion: string): object {
  const paths: Record<string, {serverRelativeURL: string}> = {}
  for (const g of registry.groups()) {
    for (const v of g.versions) {
      const doc = openApiV3Doc(registry, g.name, v, gitVersion)
      if (!doc) continue
      const p = gvPath(g.name, v)
      paths[p] = {serverRelativeURL: `/openapi/v3/${p}?hash=${openApiV3Hash(doc)}`}
    }
  }
  return {paths}
}
