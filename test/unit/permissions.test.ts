import {describe, expect, it} from 'vitest'
import {pluginPermissions} from '../../src/checks/cluster/plugin-permissions.js'
import type {PermissionResult} from '../../src/gather/cluster.js'
import {rulesAllow} from '../../src/gather/cluster.js'
import {describeRequest} from '../../src/gather/kube/errors.js'
import {CHECKED_READS} from '../../src/gather/reads.js'

describe('rulesAllow (SelfSubjectRulesReview evaluation)', () => {
  const pods = {verb: 'list', group: '', resource: 'pods'}
  const logs = {verb: 'get', group: '', resource: 'pods/log'}
  it.each([
    ['wildcards', [{verbs: ['*'], apiGroups: ['*'], resources: ['*']}], pods, true],
    ['exact rule', [{verbs: ['get', 'list'], apiGroups: [''], resources: ['pods']}], pods, true],
    ['wrong verb', [{verbs: ['get'], apiGroups: [''], resources: ['pods']}], pods, false],
    ['wrong group', [{verbs: ['list'], apiGroups: ['apps'], resources: ['pods']}], pods, false],
    ['resourceNames restrict to named objects', [{verbs: ['list'], apiGroups: [''], resources: ['pods'], resourceNames: ['a']}], pods, false],
    ['subresource needs its own rule', [{verbs: ['get'], apiGroups: [''], resources: ['pods']}], logs, false],
    ['subresource rule', [{verbs: ['get'], apiGroups: [''], resources: ['pods/log']}], logs, true],
    ['subresource wildcard', [{verbs: ['get'], apiGroups: [''], resources: ['pods/*']}], logs, true],
    ['no rules', [], pods, false],
  ])('%s', (_name, rules, permission, expected) => expect(rulesAllow(rules, permission)).toBe(expected))
})

describe('cluster.plugin-permissions', () => {
  const row = (verb: string, resource: string) => CHECKED_READS.find((p) => p.verb === verb && p.resource === resource && p.scope !== 'istio-namespace')!
  const LIST_NODES = row('list', 'nodes')
  const CREATE_PROBE_PODS = row('create', 'pods')
  const WATCH_PROBE_PODS = row('watch', 'pods')
  const result = (permission: PermissionResult['permission'], allowed: boolean | undefined, namespace?: string): PermissionResult => ({
    permission,
    allowed,
    namespace,
    via: 'rules-review',
  })

  it('passes when everything is granted', () => {
    const outcomes = pluginPermissions.run({permissions: [result(LIST_NODES, true), result(CREATE_PROBE_PODS, true, 'mesh-ready-probe')]})
    expect(outcomes).toHaveLength(1)
    expect(outcomes[0]?.severity).toBe('pass')
  })

  it('names each missing verb and resource, with a ClusterRole that grants exactly those', () => {
    const outcomes = pluginPermissions.run({
      permissions: [result(LIST_NODES, false), result(CREATE_PROBE_PODS, false, 'mesh-ready-probe'), result(WATCH_PROBE_PODS, true, 'mesh-ready-probe')],
    })
    expect(outcomes.map((o) => o.severity)).toEqual(['warn', 'warn'])
    expect(outcomes[0]?.message).toMatch(/^not allowed to list nodes \(cluster-wide\)/)
    expect(outcomes[1]?.message).toMatch(/^not allowed to create pods in namespace mesh-ready-probe/)
    expect(outcomes[1]?.subject).toEqual({kind: 'Namespace', name: 'mesh-ready-probe'})
    const yaml = outcomes[0]?.remediation?.yaml ?? ''
    expect(yaml).toContain('kind: ClusterRole')
    expect(yaml).toMatch(/resources:\n\s+- nodes\n\s+verbs:\n\s+- list/)
    expect(yaml).not.toContain('watch')
  })

  it('reports unknown when the server could not say', () => {
    expect(pluginPermissions.run({permissions: [result(LIST_NODES, undefined)]})[0]?.severity).toBe('unknown')
  })
})

describe('describeRequest (what RBAC sees)', () => {
  it.each([
    ['GET', '/api/v1/nodes', {}, 'list nodes (cluster-wide)'],
    ['GET', '/api/v1/namespaces/kube-system/pods', {}, 'list pods in namespace kube-system'],
    ['GET', '/api/v1/namespaces/kube-system/pods', {watch: 'true'}, 'watch pods in namespace kube-system'],
    ['GET', '/api/v1/namespaces/p/pods/x/log', {}, 'get pods/log in namespace p'],
    ['POST', '/api/v1/namespaces', {}, 'create namespaces (cluster-wide)'],
    ['DELETE', '/api/v1/namespaces/p', {}, 'delete namespaces (cluster-wide)'],
    ['GET', '/apis/apps/v1/namespaces/kube-system/daemonsets', {}, 'list daemonsets.apps in namespace kube-system'],
  ])('%s %s', (method, path, query, expected) => {
    const d = describeRequest(method, path, query)
    expect(`${d.verb} ${d.group ? `${d.resource}.${d.group}` : d.resource}${d.namespace ? ` in namespace ${d.namespace}` : ' (cluster-wide)'}`).toBe(expected)
  })
})
