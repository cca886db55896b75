import {describe, expect, it} from 'vitest'
import {selectProtocol} from '../src/derive/workloads/protocol.js'
import type {ServicePort} from '../src/gather/workloads-shape.js'
import {matchesTarget, parseWorkloadTarget, podShape, ServiceIndex, serviceSummary, WorkloadAccumulator, workloadOf} from '../src/gather/workloads-shape.js'
import {imageRepositoryName} from '../src/knowledge/protocols.js'
import {container, deploymentPods, service} from './workload-fixtures.js'

const owner = (kind: string, name: string, controller = true) => [{apiVersion: 'v1', kind, name, uid: 'u', controller}]
const cronJobs = (ns: string) => (ns === 'batch' ? new Set(['nightly']) : undefined)

describe('workloadOf: pod → workload from ownerReferences alone', () => {
  it.each([
    [
      'ReplicaSet with the pod-template-hash suffix → Deployment',
      'shop',
      {'pod-template-hash': '7d9f8'},
      owner('ReplicaSet', 'web-7d9f8'),
      {kind: 'Deployment', name: 'web'},
    ],
    [
      'ReplicaSet without the hash → the ReplicaSet itself',
      'shop',
      {'pod-template-hash': '7d9f8'},
      owner('ReplicaSet', 'standalone'),
      {kind: 'ReplicaSet', name: 'standalone'},
    ],
    ['ReplicaSet, no hash label → the ReplicaSet', 'shop', {}, owner('ReplicaSet', 'web-7d9f8'), {kind: 'ReplicaSet', name: 'web-7d9f8'}],
    ['Job of a known CronJob → CronJob', 'batch', {}, owner('Job', 'nightly-28934120'), {kind: 'CronJob', name: 'nightly'}],
    ['Job with a number suffix but no such CronJob → Job', 'batch', {}, owner('Job', 'migrate-20240101'), {kind: 'Job', name: 'migrate-20240101'}],
    ['Job where CronJobs are unknown → Job', 'shop', {}, owner('Job', 'nightly-28934120'), {kind: 'Job', name: 'nightly-28934120'}],
    ['StatefulSet', 'shop', {}, owner('StatefulSet', 'db'), {kind: 'StatefulSet', name: 'db'}],
    ['DaemonSet', 'shop', {}, owner('DaemonSet', 'agent'), {kind: 'DaemonSet', name: 'agent'}],
    ['no owner → bare pod', 'shop', {}, undefined, {kind: 'Pod', name: 'pod-1'}],
    ['owner without controller flag still counts', 'shop', {}, owner('StatefulSet', 'db', false), {kind: 'StatefulSet', name: 'db'}],
    ['garbage ownerReferences → bare pod', 'shop', {}, 'nonsense', {kind: 'Pod', name: 'pod-1'}],
  ])('%s', (_name, namespace, labels, ownerReferences, expected) => {
    expect(workloadOf(namespace, 'pod-1', labels, ownerReferences, cronJobs)).toEqual(expected)
  })
})

describe('parseWorkloadTarget and matchesTarget', () => {
  it.each([
    ['deployment/web', {kind: 'Deployment', name: 'web'}],
    ['deploy/web', {kind: 'Deployment', name: 'web'}],
    ['deployments.apps/web', {kind: 'Deployment', name: 'web'}],
    ['sts/db', {kind: 'StatefulSet', name: 'db'}],
    ['cj/nightly', {kind: 'CronJob', name: 'nightly'}],
    ['pod/web-abc12-0', {kind: 'Pod', name: 'web-abc12-0'}],
    ['web', {name: 'web'}],
  ])('%s', (input, expected) => {
    expect(parseWorkloadTarget(input)).toEqual(expected)
  })

  it.each([['widget/web'], ['a/b/c'], ['Web_App'], ['']])('rejects %j with a message naming the input', (input) => {
    const result = parseWorkloadTarget(input)
    expect(typeof result).toBe('string')
    expect(result).toContain(input.split('/')[0])
  })

  it.each([
    [{name: 'web'}, {kind: 'Deployment', name: 'web'}, 'web-abc-1', true],
    [{name: 'web-abc-1'}, {kind: 'Deployment', name: 'web'}, 'web-abc-1', true],
    [{name: 'api'}, {kind: 'Deployment', name: 'web'}, 'web-abc-1', false],
    [{kind: 'StatefulSet', name: 'web'}, {kind: 'Deployment', name: 'web'}, 'web-abc-1', false],
    [{kind: 'Pod', name: 'web-abc-1'}, {kind: 'Deployment', name: 'web'}, 'web-abc-1', true],
    [{kind: 'Pod', name: 'web'}, {kind: 'Deployment', name: 'web'}, 'web-abc-1', false],
  ])('target %j matches %j / pod %s: %s', (target, workload, pod, expected) => {
    expect(matchesTarget(target, workload, pod)).toBe(expected)
  })
})

describe('podShape', () => {
  it("leaves out Istio's containers and applies the pod's securityContext to containers that set none", () => {
    const shape = podShape(
      {
        securityContext: {runAsUser: 1000, runAsGroup: 3000},
        initContainers: [
          {name: 'istio-init', securityContext: {runAsUser: 0}},
          {name: 'migrate', image: 'm:1'},
        ],
        containers: [
          {
            name: 'app',
            image: 'a:1',
            ports: [
              {containerPort: 8080, name: 'http'},
              {containerPort: 5353, protocol: 'UDP'},
            ],
            securityContext: {runAsUser: 1337},
          },
          {name: 'istio-proxy', securityContext: {runAsUser: 1337}},
        ],
        serviceAccountName: 'web',
      },
      {'app.kubernetes.io/name': 'web', version: 'v2'},
      ['web'],
    )
    expect(shape.containers.map((c) => [c.name, c.init, c.runAsUser, c.runAsGroup])).toEqual([
      ['migrate', true, 1000, 3000],
      ['app', false, 1337, 3000],
    ])
    expect(shape.containers[1]!.ports).toEqual([
      {port: 8080, name: 'http', protocol: 'TCP'},
      {port: 5353, name: undefined, protocol: 'UDP'},
    ])
    expect(shape).toMatchObject({serviceAccount: 'web', appLabel: 'app.kubernetes.io/name', versionLabel: 'version', hostNetwork: false, services: ['web']})
  })

  it('prefers the canonical-name label over app and treats a missing spec as empty', () => {
    const shape = podShape(undefined, {app: 'x', 'service.istio.io/canonical-name': 'y'}, [])
    expect(shape).toMatchObject({appLabel: 'service.istio.io/canonical-name', versionLabel: undefined, containers: [], serviceAccount: 'default'})
  })
})

describe('ServiceIndex', () => {
  const index = new ServiceIndex()
  for (const s of [
    service('shop', 'web', {app: 'web'}, [{port: 80}]),
    service('shop', 'web-canary', {app: 'web', track: 'canary'}, [{port: 80}]),
    service('shop', 'manual', {}, [{port: 80}]),
    service('other', 'web', {app: 'web'}, [{port: 80}]),
  ])
    index.add(serviceSummary(s)!)

  it.each([
    ['shop', {app: 'web'}, ['web']],
    ['shop', {app: 'web', track: 'canary'}, ['web', 'web-canary']],
    ['shop', {track: 'canary'}, []],
    ['other', {app: 'web', track: 'canary'}, ['web']],
    ['none', {app: 'web'}, []],
  ])('in %s, pods labelled %j are selected by %j (selector-less Services never)', (ns, labels, expected) => {
    expect(index.selecting(ns, labels)).toEqual(expected)
  })
})

describe('WorkloadAccumulator', () => {
  const spec = {containers: [container('web')]}
  it('keeps one entry per workload and per distinct pod shape, counting pods', () => {
    const acc = new WorkloadAccumulator(new ServiceIndex(), () => undefined)
    for (const pod of [...deploymentPods('shop', 'web', spec, {count: 5}), ...deploymentPods('shop', 'db', {...spec, hostNetwork: true}, {count: 2})])
      acc.add(pod)
    acc.add({metadata: {name: 'debug', namespace: 'shop'}, spec})
    acc.add({metadata: {name: 'no-namespace'}, spec})
    const summaries = acc.summaries()
    expect(summaries.map((w) => [w.kind, w.name, w.pods, w.shapes.length])).toEqual([
      ['Deployment', 'db', 2, 1],
      ['Deployment', 'web', 5, 1],
      ['Pod', 'debug', 1, 1],
    ])
    expect(acc.pods).toBe(8)
  })

  it("never judges the plugin's own probe pods (check lists workloads while they run)", () => {
    const acc = new WorkloadAccumulator(new ServiceIndex(), () => undefined)
    acc.add({metadata: {name: 'mesh-ready-probe-abc-p1', namespace: 'mesh-ready-probe', labels: {'app.kubernetes.io/managed-by': 'kubectl-mesh-ready'}}, spec})
    acc.add({metadata: {name: 'debug', namespace: 'shop', labels: {'app.kubernetes.io/managed-by': 'helm'}}, spec})
    expect(acc.summaries().map((w) => w.name)).toEqual(['debug'])
  })

  it('forgets a namespace (or everything) when a list starts again', () => {
    const acc = new WorkloadAccumulator(new ServiceIndex(), () => undefined)
    for (const pod of [...deploymentPods('a', 'web', spec), ...deploymentPods('b', 'web', spec, {count: 3})]) acc.add(pod)
    acc.clear('a')
    expect(acc.summaries().map((w) => w.namespace)).toEqual(['b'])
    expect(acc.pods).toBe(3)
    acc.clear()
    expect(acc.summaries()).toEqual([])
    expect(acc.pods).toBe(0)
  })

  it('keeps only pods of the target workload', () => {
    const acc = new WorkloadAccumulator(new ServiceIndex(), () => undefined, {kind: 'Deployment', name: 'db'})
    for (const pod of [...deploymentPods('shop', 'web', spec), ...deploymentPods('shop', 'db', spec)]) acc.add(pod)
    expect(acc.summaries().map((w) => w.name)).toEqual(['db'])
  })

  it('notes Istio components', () => {
    const acc = new WorkloadAccumulator(new ServiceIndex(), () => undefined)
    for (const pod of deploymentPods('istio-system', 'istiod', spec, {labels: {app: 'istiod', istio: 'pilot'}})) acc.add(pod)
    expect(acc.summaries()[0]!.istioComponent).toBe(true)
  })
})

describe("selectProtocol: Istio's ConvertProtocol", () => {
  const port = (p: Partial<ServicePort>): ServicePort => ({port: 8080, protocol: 'TCP', ...p})
  it.each([
    [{name: 'http'}, 'http', 'name'],
    [{name: 'http-web'}, 'http', 'name'],
    [{name: 'HTTP2-x'}, 'http2', 'name'],
    [{name: 'grpc-web-ui'}, 'grpc-web', 'name'],
    [{name: 'grpc-api'}, 'grpc', 'name'],
    [{name: 'tcp-db'}, 'tcp', 'name'],
    [{name: 'mysql'}, 'mysql', 'name'],
    [{name: 'udp-x'}, 'tcp', 'name'],
    [{name: 'web'}, 'auto', 'sniffed'],
    [{}, 'auto', 'sniffed'],
    [{name: 'web', appProtocol: 'http'}, 'http', 'appProtocol'],
    [{name: 'http', appProtocol: 'custom.io/thing'}, 'auto', 'sniffed'],
    [{appProtocol: 'kubernetes.io/h2c'}, 'http2', 'appProtocol'],
    [{appProtocol: 'kubernetes.io/wss'}, 'https', 'appProtocol'],
    [{protocol: 'UDP', name: 'http'}, 'udp', 'udp'],
    [{port: 3306}, 'tcp', 'well-known port'],
    [{port: 27017, name: 'db'}, 'tcp', 'well-known port'],
    [{port: 25, name: 'http'}, 'http', 'name'],
  ])('%j → %s (%s)', (p, protocol, how) => {
    expect(selectProtocol(port(p))).toEqual({protocol, how})
  })
})

describe('imageRepositoryName', () => {
  it.each([
    ['mysql', 'mysql'],
    ['docker.io/library/mysql:8.0', 'mysql'],
    ['registry:5000/team/MariaDB:11@sha256:abc', 'mariadb'],
    ['ghcr.io/nats-io/nats', 'nats'],
  ])('%s → %s', (image, name) => {
    expect(imageRepositoryName(image)).toBe(name)
  })
})
