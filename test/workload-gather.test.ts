import {describe, expect, it} from 'vitest'
import {collapseQuiet, workloadsArea} from '../src/pipeline/workloads.js'
import type {Finding} from '../src/model/finding.js'
import type {KubeClient, ListOptions, ListPage} from '../src/gather/kube/client.js'
import {ApiError, describeRequest} from '../src/gather/kube/errors.js'
import {gatherLegacyAdmission, gatherMeshInstall, gatherWorkloads} from '../src/gather/workloads.js'
import {container, deploymentPods} from './workload-fixtures.js'

const forbidden = (path: string) => new ApiError(403, 'Forbidden', describeRequest('GET', path), 'forbidden')
const notFound = (path: string) => new ApiError(404, 'NotFound', describeRequest('GET', path), 'not found')

/** A KubeClient double: lists are served in pages of `pageSize` from `items[path]`; `errors[path]` is thrown instead. */
function fakeClient(items: Record<string, unknown[]>, errors: Record<string, ApiError> = {}, options: {pageSize?: number; expireOnce?: string} = {}) {
  const pageSize = options.pageSize ?? 2
  const seen: string[] = []
  let expired = false
  const client = {
    async *listPages<T>(path: string, list: ListOptions = {}): AsyncGenerator<ListPage<T>> {
      seen.push(path)
      if (errors[path]) throw errors[path]
      const name = /^metadata\.name=(.+)$/.exec(list.fieldSelector ?? '')?.[1]
      const all = ((items[path] ?? []) as Array<T & {metadata?: {name?: string}}>).filter((o) => name === undefined || o.metadata?.name === name)
      for (let i = 0; i < all.length; i += pageSize) {
        if (path === options.expireOnce && i > 0 && !expired) {
          expired = true
          list.onRestart?.()
          i = -pageSize
          continue
        }
        yield {items: all.slice(i, i + pageSize), metadata: {}}
      }
    },
    async listAll<T>(path: string, list: ListOptions = {}): Promise<T[]> {
      const out: T[] = []
      for await (const page of client.listPages<T>(path, list)) out.push(...page.items)
      return out
    },
    async get<T>(path: string): Promise<T> {
      seen.push(path)
      if (errors[path]) throw errors[path]
      if (items[path]?.[0] === undefined) throw notFound(path)
      return items[path]![0] as T
    },
    // The gathers read through the snapshot-aware methods; this double has no snapshot, so they are the plain ones.
    readPages<T>(path: string, list: ListOptions = {}): AsyncGenerator<ListPage<T>> {
      return client.listPages<T>(path, list)
    },
    readAll<T>(path: string, list: ListOptions = {}): Promise<T[]> {
      return client.listAll<T>(path, list)
    },
    read<T>(path: string): Promise<T> {
      return client.get<T>(path)
    },
  }
  return {client: client as unknown as KubeClient, seen}
}

const ns = (name: string, labels: Record<string, string> = {}) => ({metadata: {name, labels}})
const spec = {containers: [container('web')]}

describe('gatherWorkloads', () => {
  it('reads the cluster-wide list page by page and restarts cleanly when the continue token expires', async () => {
    const pods = [...deploymentPods('a', 'web', spec, {count: 3}), ...deploymentPods('b', 'api', spec, {count: 4})]
    const {client} = fakeClient({'/api/v1/namespaces': [ns('a'), ns('b')], '/api/v1/pods': pods}, {}, {expireOnce: '/api/v1/pods'})
    const fact = await gatherWorkloads(client, {namespaces: undefined, istioNamespace: 'istio-system'})
    expect(fact.state).toBe('known')
    if (fact.state !== 'known') return
    expect(fact.value.pods).toBe(7)
    expect(fact.value.workloads.map((w) => `${w.namespace}/${w.name}=${w.pods}`)).toEqual(['a/web=3', 'b/api=4'])
  })

  it('falls back to one list per namespace when the cluster-wide list is denied, keeping what it may read', async () => {
    const {client, seen} = fakeClient(
      {'/api/v1/namespaces': [ns('a'), ns('secret')], '/api/v1/namespaces/a/pods': deploymentPods('a', 'web', spec)},
      {'/api/v1/pods': forbidden('/api/v1/pods'), '/api/v1/namespaces/secret/pods': forbidden('/api/v1/namespaces/secret/pods')},
    )
    const fact = await gatherWorkloads(client, {namespaces: undefined, istioNamespace: 'istio-system'})
    if (fact.state !== 'known') throw new Error(fact.reason)
    expect(seen).toContain('/api/v1/namespaces/a/pods')
    expect(fact.value.workloads.map((w) => w.name)).toEqual(['web'])
    const secret = fact.value.namespaces.find((n) => n.name === 'secret')!
    expect(secret.pods).toEqual({state: 'unavailable', reason: 'forbidden: you may not list pods in namespace secret'})
    expect(fact.value.namespaces.find((n) => n.name === 'a')!.pods.state).toBe('known')
  })

  it('is unavailable, naming both permissions, when neither pods nor namespaces may be listed cluster-wide', async () => {
    const {client} = fakeClient({}, {'/api/v1/pods': forbidden('/api/v1/pods'), '/api/v1/namespaces': forbidden('/api/v1/namespaces')})
    const fact = await gatherWorkloads(client, {namespaces: undefined, istioNamespace: 'istio-system'})
    expect(fact).toEqual({
      state: 'unavailable',
      reason: 'forbidden: you may not list pods (cluster-wide); forbidden: you may not list namespaces (cluster-wide)',
    })
  })

  it('resolves CronJob pods through the CronJob names of the namespace', async () => {
    const job = {metadata: {name: 'nightly-28934120-x', namespace: 'a', ownerReferences: [{kind: 'Job', name: 'nightly-28934120', controller: true}]}, spec}
    const {client} = fakeClient({
      '/api/v1/namespaces/a': [ns('a')],
      '/api/v1/namespaces/a/pods': [job],
      '/apis/batch/v1/namespaces/a/cronjobs': [{metadata: {name: 'nightly', namespace: 'a'}}],
    })
    const fact = await gatherWorkloads(client, {namespaces: ['a'], istioNamespace: 'istio-system'})
    if (fact.state !== 'known') throw new Error(fact.reason)
    expect(fact.value.workloads.map((w) => `${w.kind}/${w.name}`)).toEqual(['CronJob/nightly'])
  })
})

describe('gatherMeshInstall and gatherLegacyAdmission', () => {
  it('finds istio-cni and ztunnel DaemonSets and the injector values; a missing API is "not served", not unknown', async () => {
    const {client} = fakeClient({
      '/apis/apps/v1/daemonsets': [{metadata: {name: 'istio-cni-node', namespace: 'kube-system'}}],
      '/api/v1/namespaces/istio-system/configmaps/istio-sidecar-injector': [{data: {values: '{"pilot":{"cni":{"enabled":false}}}'}}],
    })
    const mesh = await gatherMeshInstall(client, 'istio-system')
    expect(mesh.cniDaemonSet).toEqual({state: 'known', value: 'DaemonSet kube-system/istio-cni-node'})
    expect(mesh.ztunnelDaemonSet).toEqual({state: 'known', value: null})
    expect(mesh.injectorCni).toEqual({state: 'known', value: false})
    const admission = await gatherLegacyAdmission(
      fakeClient({}, {'/apis/policy/v1beta1/podsecuritypolicies': notFound('/apis/policy/v1beta1/podsecuritypolicies')}).client,
    )
    expect(admission.podSecurityPolicies).toEqual({state: 'known', value: null})
  })

  it('looks in the Istio and kube-system namespaces when DaemonSets may not be listed cluster-wide', async () => {
    const {client} = fakeClient(
      {'/apis/apps/v1/namespaces/kube-system/daemonsets': [{metadata: {name: 'ztunnel', namespace: 'kube-system'}}]},
      {'/apis/apps/v1/daemonsets': forbidden('/apis/apps/v1/daemonsets')},
    )
    const mesh = await gatherMeshInstall(client, 'istio-system')
    expect(mesh.ztunnelDaemonSet).toEqual({state: 'known', value: 'DaemonSet kube-system/ztunnel'})
    expect(mesh.cniDaemonSet).toEqual({state: 'unavailable', reason: 'forbidden: you may not list daemonsets.apps (cluster-wide)'})
    expect(mesh.injectorCni).toEqual({state: 'known', value: null})
  })
})

describe('collapseQuiet', () => {
  const finding = (severity: Finding['severity'], name: string, namespace: string, message = 'ok', pods = 2): Finding => ({
    checkId: 'workload.uid-1337',
    title: 't',
    category: 'workload',
    docsUrl: 'u',
    mode: null,
    backend: null,
    planned: true,
    severity,
    subject: {kind: 'Workload', name, namespace},
    message,
    evidence: {pods},
  })

  it('folds passes per check and namespace, keeps problems and lone results as they are', () => {
    const out = collapseQuiet(
      [
        finding('pass', 'deployment/a', 'shop'),
        finding('pass', 'deployment/b', 'shop'),
        finding('pass', 'deployment/c', 'shop'),
        finding('fail', 'deployment/d', 'shop', 'bad'),
        finding('pass', 'deployment/e', 'other'),
        finding('skip', 'deployment/f', 'shop', 'ambient'),
        finding('skip', 'deployment/g', 'shop', 'ambient'),
        finding('skip', 'deployment/h', 'shop', 'not in the mesh'),
      ],
      2,
    )
    expect(out.map((f) => [f.severity, f.subject.kind, f.subject.name, f.message])).toEqual([
      ['fail', 'Workload', 'deployment/d', 'bad'],
      ['pass', 'Namespace', 'shop', '3 workloads (6 pods) pass: deployment/a, deployment/b and 1 more'],
      ['pass', 'Workload', 'deployment/e', 'ok'],
      ['skip', 'Namespace', 'shop', '2 workloads (4 pods) skipped (deployment/f, deployment/g): ambient'],
      ['skip', 'Workload', 'deployment/h', 'not in the mesh'],
    ])
    expect(out[1]!.evidence).toEqual({workloads: ['deployment/a', 'deployment/b', 'deployment/c'], pods: 6})
  })
})

describe('workloadsArea coverage: a run that judged no workload is incomplete, and says why', () => {
  const run = (items: Record<string, unknown[]>, errors: Record<string, ApiError> = {}, namespaces?: string[]) =>
    workloadsArea(fakeClient(items, errors).client, {namespaces, istioNamespace: 'istio-system'})

  it('counts the application workloads judged', async () => {
    const result = await run({'/api/v1/namespaces': [ns('a')], '/api/v1/pods': [...deploymentPods('a', 'web', spec), ...deploymentPods('a', 'api', spec)]})
    expect(result.coverage).toEqual({area: 'pods', judged: 2, unit: 'workloads'})
  })

  it.each([
    ['no pods at all', {'/api/v1/namespaces': [ns('a')]}, {}, 'no pods in any namespace'],
    [
      "only system pods and Istio's own",
      {
        '/api/v1/namespaces': [ns('kube-system'), ns('istio-system')],
        '/api/v1/pods': [...deploymentPods('kube-system', 'coredns', spec), ...deploymentPods('istio-system', 'istiod', spec, {labels: {app: 'istiod'}})],
      },
      {},
      "the 2 workloads found are Istio's own or in namespaces Istio never injects",
    ],
    [
      'every namespace denied one by one',
      {'/api/v1/namespaces': [ns('a')]},
      {'/api/v1/pods': forbidden('/api/v1/pods'), '/api/v1/namespaces/a/pods': forbidden('/api/v1/namespaces/a/pods')},
      'forbidden: you may not list pods in namespace a',
    ],
    [
      'the whole area forbidden',
      {},
      {'/api/v1/pods': forbidden('/api/v1/pods'), '/api/v1/namespaces': forbidden('/api/v1/namespaces')},
      'forbidden: you may not list pods (cluster-wide); forbidden: you may not list namespaces (cluster-wide)',
    ],
  ])('%s → judged 0: %s', async (_name, items, errors, reason) => {
    const result = await run(items, errors)
    expect(result.coverage).toEqual({area: 'pods', judged: 0, unit: 'workloads', reason})
  })

  it('names the denied namespaces even when others were judged', async () => {
    const result = await run(
      {'/api/v1/namespaces': [ns('a'), ns('secret')], '/api/v1/namespaces/a/pods': deploymentPods('a', 'web', spec)},
      {'/api/v1/pods': forbidden('/api/v1/pods'), '/api/v1/namespaces/secret/pods': forbidden('/api/v1/namespaces/secret/pods')},
    )
    expect(result.coverage).toEqual({area: 'pods', judged: 1, unit: 'workloads', reason: 'forbidden: you may not list pods in namespace secret'})
  })
})
