import {copyFileSync, mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {KubeClient} from '../src/gather/kube/client.js'
import {loadKubeTarget} from '../src/gather/kube/config.js'
import type {TestApiServer} from '../test-cluster/index.js'
import {startApiServer} from '../test-cluster/index.js'

type Named = {metadata: {name: string; namespace?: string}}
const key = (p: Named) => `${p.metadata.namespace}/${p.metadata.name}`
let bumps = 0
/** Like an etcd compaction after a write: every continue token issued so far now gets 410 Expired. */
const expireTokens = (server: TestApiServer) => {
  server.store.put('configmaps', {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: `bump-${bumps++}`, namespace: 'default'}})
  server.store.compact()
}

describe('KubeClient pagination against the test API server', () => {
  let server: TestApiServer
  let client: KubeClient
  let all: string[]
  beforeAll(async () => {
    server = await startApiServer({scenario: 'kind-small'})
    client = new KubeClient(loadKubeTarget({kubeconfig: server.kubeconfigPath, env: {}}), 10_000)
    all = server.store
      .list('pods')
      .map((p) => key(p as Named))
      .sort()
  })
  afterAll(async () => {
    client?.close()
    await server?.stop()
  })

  it('pages with limit/continue and sees every item once', async () => {
    const before = server.requests.length
    const items = await client.listAll<Named>('/api/v1/pods', {limit: 2})
    expect(items.map(key).sort()).toEqual(all)
    const lists = server.requests.slice(before).filter((r) => r.path === '/api/v1/pods')
    expect(lists.length).toBe(Math.ceil(all.length / 2))
    expect(lists.slice(1).every((r) => r.query.continue)).toBe(true)
  })

  it('restarts a list whose continue token expired (410) and keeps nothing twice', async () => {
    let compacted = false
    let restarts = 0
    const names = await client.listMapped<Named, string>(
      '/api/v1/pods',
      (item) => {
        if (!compacted) {
          compacted = true
          expireTokens(server) // the token the first page carries is now expired
        }
        return key(item)
      },
      {limit: 2, onRestart: () => restarts++},
    )
    expect(restarts).toBe(1)
    expect(names.sort()).toEqual(all)
  })

  it('a second expiry is an error, not an endless loop', async () => {
    const pages = client.listPages<Named>('/api/v1/pods', {limit: 2})
    await pages.next()
    expireTokens(server)
    await pages.next() // restarted from the beginning
    expireTokens(server)
    await expect(pages.next()).rejects.toMatchObject({status: 410})
  })
})

describe("KubeClient.snapshot: a run-scoped memo of the gathers' reads", () => {
  let server: TestApiServer
  let client: KubeClient
  beforeAll(async () => {
    server = await startApiServer({scenario: 'kind-small'})
    client = new KubeClient(loadKubeTarget({kubeconfig: server.kubeconfigPath, env: {}}), 10_000)
  })
  afterAll(async () => {
    client?.close()
    await server?.stop()
  })
  const made = (from: number, path: string) => server.requests.slice(from).filter((r) => r.path === path)

  it('answers a repeated or concurrent read (per path and query, a list per page) with one request', async () => {
    const snap = client.snapshot()
    const before = server.requests.length
    const [a, b] = await Promise.all([snap.timedRead<{gitVersion: string}>('/version'), snap.timedRead<{gitVersion: string}>('/version')])
    expect(b).toEqual(a) // the one request's answer and time
    await snap.read('/version')
    expect(made(before, '/version')).toHaveLength(1)
    const first = await snap.readAll<Named>('/api/v1/pods', {limit: 2})
    const again = await snap.readAll<Named>('/api/v1/pods', {limit: 2})
    expect(again.map(key)).toEqual(first.map(key))
    const pages = made(before, '/api/v1/pods')
    expect(pages).toHaveLength(Math.ceil(first.length / 2))
    await snap.readAll('/api/v1/pods', {limit: 2, labelSelector: 'app=none'}) // another query is another read
    expect(made(before, '/api/v1/pods')).toHaveLength(pages.length + 1)
    // A 404 is an answer, kept like one.
    await expect(snap.read('/api/v1/namespaces/nope')).rejects.toMatchObject({status: 404})
    await expect(snap.read('/api/v1/namespaces/nope')).rejects.toMatchObject({status: 404})
    expect(made(before, '/api/v1/namespaces/nope')).toHaveLength(1)
  })

  it('never memoizes get, listPages/listAll, share: false lists, nor another snapshot or the plain client', async () => {
    const snap = client.snapshot()
    const before = server.requests.length
    await snap.get('/version')
    await snap.get('/version')
    await snap.listAll('/api/v1/namespaces')
    await snap.listAll('/api/v1/namespaces')
    await snap.readAll('/api/v1/nodes', {share: false})
    await snap.readAll('/api/v1/nodes', {share: false})
    await snap.read('/apis')
    await client.snapshot().read('/apis')
    await client.read('/apis')
    await client.read('/apis')
    expect(made(before, '/version')).toHaveLength(2)
    expect(made(before, '/api/v1/namespaces')).toHaveLength(2)
    expect(made(before, '/api/v1/nodes')).toHaveLength(2)
    expect(made(before, '/apis')).toHaveLength(4)
  })

  it('restarts a kept list whose continue token expired without answering from the expired pages', async () => {
    const snap = client.snapshot()
    const all = server.store
      .list('pods')
      .map((p) => key(p as Named))
      .sort()
    const pages = snap.readPages<Named>('/api/v1/pods', {limit: 2})
    await pages.next()
    expireTokens(server)
    const seen: string[] = []
    let restarts = 0
    for await (const page of snap.readPages<Named>('/api/v1/pods', {limit: 2, onRestart: () => (restarts++, (seen.length = 0))}))
      seen.push(...page.items.map(key))
    expect(restarts).toBe(1)
    expect(seen.sort()).toEqual(all)
  })
})

describe('in-cluster configuration (the plugin run as a pod, e.g. a CI job)', () => {
  let server: TestApiServer
  beforeAll(async () => {
    server = await startApiServer({scenario: 'kind-small'})
  })
  afterAll(() => server?.stop())

  it('uses the mounted service-account token, CA and namespace when there is no kubeconfig', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'in-cluster-'))
    const mount = path.join(root, 'var/run/secrets/kubernetes.io/serviceaccount')
    mkdirSync(mount, {recursive: true})
    writeFileSync(path.join(mount, 'token'), server.token)
    copyFileSync(path.resolve(import.meta.dirname, 'fixtures/tls/ca.crt'), path.join(mount, 'ca.crt'))
    writeFileSync(path.join(mount, 'namespace'), 'ci-jobs\n')
    const {port} = new URL(server.url)
    const saved = {host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT}
    process.env.KUBERNETES_SERVICE_HOST = '127.0.0.1' // client-node reads these from process.env
    process.env.KUBERNETES_SERVICE_PORT = port
    try {
      const env = {HOME: root, KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: port}
      const target = loadKubeTarget({env, inClusterRoot: root})
      expect(target).toMatchObject({source: 'in-cluster service account', namespace: 'ci-jobs', server: server.url})
      const client = new KubeClient(target, 10_000)
      expect(await client.get<{gitVersion: string}>('/version')).toMatchObject({gitVersion: expect.stringMatching(/^v1\.31/)})
      client.close()
    } finally {
      for (const [key, value] of [
        ['KUBERNETES_SERVICE_HOST', saved.host],
        ['KUBERNETES_SERVICE_PORT', saved.port],
      ] as const) {
        if (value === undefined) delete process.env[key]
        else process.env[key] = value
      }
    }
  })
})
