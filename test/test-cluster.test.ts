// The test API server, checked the way it is used: the real kubectl (and @kubernetes/client-node)
// against it, compared with the scenario files. kubectl runs asynchronously: the server lives in
// this process, so a synchronous child would deadlock it.
import {execFile, spawn} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import * as k8s from '@kubernetes/client-node'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {loadScenario, startApiServer, type KubeObject, type Scenario, type TestApiServer} from '../test-cluster/index.js'
import {repoRoot} from '../test-cluster/util.js'

interface Run {
  code: number
  stdout: string
  stderr: string
}

function kubectl(server: TestApiServer, args: string[], kubeconfig = server.kubeconfigPath): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      'kubectl',
      ['--kubeconfig', kubeconfig, '--cache-dir', server.cacheDir, ...args],
      {timeout: 30_000, maxBuffer: 256 * 1024 * 1024, env: {...process.env, KUBECONFIG: ''}},
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0
        resolve({code, stdout, stderr})
      },
    )
  })
}

/** A happy-path kubectl run: exit 0 and nothing at all on stderr (no warnings). */
async function ok(server: TestApiServer, args: string[]): Promise<string> {
  const r = await kubectl(server, args)
  expect(r.stderr, `stderr of kubectl ${args.join(' ')}`).toBe('')
  expect(r.code, `exit code of kubectl ${args.join(' ')}`).toBe(0)
  return r.stdout
}

async function fails(server: TestApiServer, args: string[], kubeconfig?: string): Promise<string> {
  const r = await kubectl(server, args, kubeconfig)
  expect(r.code, `exit code of kubectl ${args.join(' ')}`).toBe(1)
  expect(r.stdout).toBe('')
  return r.stderr
}

const work = mkdtempSync(join(tmpdir(), 'apiserver-test-'))
afterAll(() => rmSync(work, {recursive: true, force: true}))

function manifest(name: string, text: string): string {
  const file = join(work, name)
  writeFileSync(file, text)
  return file
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = probe()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

function scenarioObjects(s: Scenario, kind: string): KubeObject[] {
  return (s.objects ?? []).filter((o) => o.kind === kind)
}

/** Resolves once no process has this pid (signal 0 only tests for existence). */
function processGone(pid: number): Promise<unknown> {
  return until('the process to die', () => {
    try {
      process.kill(pid, 0)
      return undefined
    } catch {
      return true
    }
  })
}

describe('kind-small through the real kubectl', () => {
  const scenario = loadScenario('kind-small')
  let server: TestApiServer
  beforeAll(async () => {
    server = await startApiServer({scenario: {name: 'kind-small', extends: 'kind-small', namespaceDeletionDelayMs: 1500}})
  })
  afterAll(() => server.stop())

  it('writes a kubeconfig with the CA, a bearer token and a current context named after the scenario', async () => {
    const text = readFileSync(server.kubeconfigPath, 'utf8')
    expect(text).toContain('certificate-authority-data:')
    expect(text).toContain(`token: ${server.token}`)
    expect(text).toContain('current-context: kind-small')
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
    expect((await ok(server, ['config', 'current-context'])).trim()).toBe('kind-small')
    const other = server.writeKubeconfig({contextName: 'elsewhere', namespace: 'kube-system'})
    expect(other).not.toBe(server.kubeconfigPath)
    const r = await kubectl(server, ['get', 'pods', '-o', 'name', '-l', 'k8s-app=kube-dns'], other)
    expect(r).toEqual({code: 0, stdout: 'pod/coredns-7c65d6cfc9-5hx2p\npod/coredns-7c65d6cfc9-vzk7f\n', stderr: ''})
    expect((await kubectl(server, ['config', 'current-context'], other)).stdout).toBe('elsewhere\n')
  })

  it('serves /version from the scenario', async () => {
    const v = JSON.parse(await ok(server, ['get', '--raw', '/version'])) as Record<string, string>
    expect(v).toMatchObject({major: '1', minor: '31', gitVersion: 'v1.31.4'})
  })

  it('lists nodes with the nodeInfo of the scenario file', async () => {
    const list = JSON.parse(await ok(server, ['get', 'nodes', '-o', 'json'])) as {items: KubeObject[]}
    const expected = scenarioObjects(scenario, 'Node')
    expect(list.items.map((n) => n.metadata.name)).toEqual(expected.map((n) => n.metadata.name))
    for (const [i, node] of list.items.entries()) {
      expect(node.status?.nodeInfo).toEqual(expected[i]?.status?.nodeInfo)
      expect(node.status?.nodeInfo).toMatchObject({
        kernelVersion: '6.18.0',
        osImage: 'Debian GNU/Linux 12 (bookworm)',
        containerRuntimeVersion: 'containerd://1.7.18',
        architecture: 'amd64',
      })
    }
    const table = await ok(server, ['get', 'nodes'])
    expect(table.split('\n')[0]).toMatch(/^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION$/)
    expect(table).toMatch(/kind-control-plane\s+Ready\s+control-plane\s+\S+\s+v1\.31\.4/)
    expect(table).toMatch(/kind-worker2\s+Ready\s+<none>/)
  })

  it('prints all pods in chunks of 2 with a NAMESPACE column, following continue tokens', async () => {
    const before = server.requests.length
    const out = await ok(server, ['get', 'pods', '-A', '--chunk-size=2'])
    const lines = out.trim().split('\n')
    expect(lines[0]).toMatch(/^NAMESPACE\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/)
    const pods = scenarioObjects(scenario, 'Pod')
    expect(lines).toHaveLength(pods.length + 1)
    for (const p of pods) expect(out).toMatch(new RegExp(`${p.metadata.namespace}\\s+${p.metadata.name}\\s+1/1\\s+Running\\s+0`))
    const lists = server.requests.slice(before).filter((r) => r.method === 'GET' && r.path === '/api/v1/pods')
    expect(lists.length).toBe(Math.ceil(pods.length / 2))
    expect(lists.every((r) => r.query.limit === '2' && r.status === 200)).toBe(true)
    expect(lists.filter((r) => r.query.continue).length).toBe(lists.length - 1)
  })

  it('reports remainingItemCount and answers a garbage or compacted continue token with 410 Expired', async () => {
    const page = JSON.parse(await ok(server, ['get', '--raw', '/api/v1/pods?limit=5'])) as {
      metadata: {continue: string; remainingItemCount: number; resourceVersion: string}
    }
    expect(page.metadata.remainingItemCount).toBe(scenarioObjects(scenario, 'Pod').length - 5)
    expect(Number(page.metadata.resourceVersion)).toBeGreaterThan(0)
    const garbage = await fails(server, ['get', '--raw', '/api/v1/pods?limit=2&continue=garbage'])
    expect(garbage).toBe(
      'Error from server (Expired): The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.\n',
    )
    await ok(server, ['create', 'configmap', 'bump-rv'])
    server.store.compact()
    const stale = await fails(server, ['get', '--raw', `/api/v1/pods?limit=2&continue=${encodeURIComponent(page.metadata.continue)}`])
    expect(stale).toMatch(
      /^Error from server \(Expired\): The provided continue parameter is too old to display a consistent list result\. You can start a new list without the continue parameter, or use the continue token/,
    )
    await ok(server, ['delete', 'configmap', 'bump-rv'])
  })

  it('creates, refuses a duplicate, patches, deletes and then reports NotFound like the real server', async () => {
    const file = manifest('cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: mesh-test\n  labels: {team: mesh}\ndata:\n  mode: permissive\n')
    expect(await ok(server, ['create', '-f', file])).toBe('configmap/mesh-test created\n')
    const got = JSON.parse(await ok(server, ['get', 'configmap', 'mesh-test', '-o', 'json'])) as KubeObject & {data: Record<string, string>}
    expect(got.data).toEqual({mode: 'permissive'})
    expect(got.metadata.uid).toMatch(/^[0-9a-f-]{36}$/)
    expect(Number(got.metadata.resourceVersion)).toBeGreaterThan(0)
    expect(got.metadata.creationTimestamp).toMatch(/Z$/)

    expect(await fails(server, ['create', '-f', file])).toBe(
      `Error from server (AlreadyExists): error when creating "${file}": configmaps "mesh-test" already exists\n`,
    )

    expect(await ok(server, ['patch', 'configmap', 'mesh-test', '--type', 'merge', '-p', '{"data":{"mode":"strict"}}'])).toBe('configmap/mesh-test patched\n')
    expect((server.store.get('configmaps', 'default', 'mesh-test') as {data?: unknown}).data).toEqual({mode: 'strict'})
    await ok(server, ['patch', 'configmap', 'mesh-test', '--type', 'json', '-p', '[{"op":"add","path":"/data/extra","value":"1"}]'])
    await ok(server, ['label', 'configmap', 'mesh-test', 'tier=gold'])
    expect(server.store.get('configmaps', 'default', 'mesh-test')?.metadata.labels).toEqual({team: 'mesh', tier: 'gold'})

    const replaced = manifest('cm-replace.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: mesh-test\ndata:\n  mode: replaced\n')
    expect(await ok(server, ['replace', '-f', replaced])).toBe('configmap/mesh-test replaced\n')
    expect(server.store.get('configmaps', 'default', 'mesh-test')).toMatchObject({data: {mode: 'replaced'}, metadata: {uid: got.metadata.uid}})

    expect(await ok(server, ['delete', 'configmap', 'mesh-test'])).toBe('configmap "mesh-test" deleted\n')
    expect(await fails(server, ['get', 'configmap', 'mesh-test'])).toBe('Error from server (NotFound): configmaps "mesh-test" not found\n')
    expect(await fails(server, ['delete', 'pod', 'nope'])).toBe('Error from server (NotFound): pods "nope" not found\n')
  })

  it('rejects a manifest with mistyped fields like the real decoder', async () => {
    const file = manifest('typo.yaml', 'apiVersion: v1\nkind: Pod\nmetadata: {name: typo}\nspec:\n  containers: [{name: c, image: busybox, command: [true]}]\n')
    expect(await fails(server, ['create', '-f', file])).toBe(
      `Error from server (BadRequest): error when creating "${file}": Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal bool into Go struct field Container.spec.containers.command of type string\n`,
    )
  })

  it('validates but does not persist a server-side dry run', async () => {
    const file = manifest('dry.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dry-only\n')
    expect(await ok(server, ['create', '--dry-run=server', '-f', file])).toBe('configmap/dry-only created (server dry run)\n')
    expect(server.store.get('configmaps', 'default', 'dry-only')).toBeUndefined()
    expect(await fails(server, ['get', 'configmap', 'dry-only'])).toBe('Error from server (NotFound): configmaps "dry-only" not found\n')
    const bad = manifest('bad.yaml', 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: Bad_Name\nspec:\n  containers: []\n')
    expect(await fails(server, ['create', '--dry-run=server', '-f', bad])).toMatch(
      /^The Pod "Bad_Name" is invalid: \n\* metadata\.name: Invalid value: "Bad_Name"/,
    )
  })

  it('filters with label selectors and field selectors', async () => {
    // Lists come back in key order (namespace, then name), as from etcd.
    const names = async (args: string[]): Promise<string[]> => (await ok(server, ['get', 'pods', '-o', 'name', ...args])).trim().split('\n').filter(Boolean)
    const byKey = (a: KubeObject, b: KubeObject): number =>
      `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`)
    const pods = scenarioObjects(scenario, 'Pod').sort(byKey)
    const labelled = (pred: (l: Record<string, string>) => boolean): string[] =>
      pods.filter((p) => pred(p.metadata.labels ?? {})).map((p) => `pod/${p.metadata.name}`)
    expect(await names(['-A', '-l', 'app=web'])).toEqual(labelled((l) => l.app === 'web'))
    expect(await names(['-A', '-l', 'k8s-app in (kube-dns,kube-proxy)'])).toEqual(labelled((l) => l['k8s-app'] === 'kube-dns' || l['k8s-app'] === 'kube-proxy'))
    expect(await names(['-A', '-l', 'tier=control-plane,component!=etcd'])).toEqual(labelled((l) => l.tier === 'control-plane' && l.component !== 'etcd'))
    expect(await names(['-A', '-l', '!app,k8s-app notin (kube-proxy)'])).toEqual(labelled((l) => !('app' in l) && l['k8s-app'] !== 'kube-proxy'))
    expect(await names(['-A', '-l', 'pod-template-hash'])).toEqual(labelled((l) => 'pod-template-hash' in l))
    expect(await names(['-A', '--field-selector', 'spec.nodeName=kind-worker'])).toEqual(
      pods.filter((p) => p.spec?.nodeName === 'kind-worker').map((p) => `pod/${p.metadata.name}`),
    )
    expect(await names(['-n', 'kube-system', '--field-selector', 'spec.nodeName!=kind-control-plane,status.phase==Running'])).toEqual(
      pods.filter((p) => p.metadata.namespace === 'kube-system' && p.spec?.nodeName !== 'kind-control-plane').map((p) => `pod/${p.metadata.name}`),
    )
    expect(await fails(server, ['get', 'pods', '--field-selector', 'spec.bogus=1'])).toContain('field label not supported: spec.bogus')
  })

  it('terminates a namespace: Terminating first, new content forbidden, then everything is gone', async () => {
    await ok(server, ['create', 'namespace', 'doomed'])
    await ok(server, ['create', 'configmap', 'c1', '-n', 'doomed'])
    const deleted = Date.now()
    expect(await ok(server, ['delete', 'namespace', 'doomed', '--wait=false'])).toBe('namespace "doomed" deleted\n')
    expect(await ok(server, ['get', 'namespace', 'doomed', '--no-headers'])).toMatch(/^doomed\s+Terminating\s+/)
    expect(server.store.get('namespaces', 'doomed')?.metadata.deletionTimestamp).toBeDefined()
    expect(await fails(server, ['create', 'configmap', 'c2', '-n', 'doomed'])).toBe(
      'error: failed to create configmap: configmaps "c2" is forbidden: unable to create new content in namespace doomed because it is being terminated\n',
    )
    await ok(server, ['wait', '--for=delete', 'namespace/doomed', '--timeout=10s'])
    expect(Date.now() - deleted).toBeGreaterThanOrEqual(1000)
    expect(await fails(server, ['get', 'namespace', 'doomed'])).toBe('Error from server (NotFound): namespaces "doomed" not found\n')
    expect(server.store.list('configmaps', 'doomed')).toEqual([])
    expect(await fails(server, ['delete', 'namespace', 'kube-system'])).toBe(
      'Error from server (Forbidden): namespaces "kube-system" is forbidden: this namespace may not be deleted\n',
    )
  })

  it('rejects a wrong token with Unauthorized and an unrelated CA with a TLS error', async () => {
    const badToken = server.writeKubeconfig({token: 'not-the-token'})
    // The wording depends on whether kubectl's discovery cache is warm (as against a real server).
    expect(await fails(server, ['get', 'nodes'], badToken)).toMatch(
      /^error: You must be logged in to the server \((Unauthorized|the server has asked for the client to provide credentials)\)$/m,
    )
    expect(server.requests.some((r) => r.status === 401)).toBe(true)
    const wrongCa = server.writeKubeconfig({caData: 'wrong'})
    expect(await fails(server, ['get', 'nodes'], wrongCa)).toContain('x509: certificate signed by unknown authority')
  })

  it('injects faults kubectl sees, for as many times as asked', async () => {
    server.addFault({path: '/api/v1/nodes', status: 500, times: 1})
    expect(await fails(server, ['get', 'nodes'])).toBe('Error from server (InternalError): Internal error occurred: injected fault\n')
    await ok(server, ['get', 'nodes'])
    server.addFault({path: '/api/v1/namespaces/*', method: 'GET', status: 503, message: 'etcd is down'})
    expect(await fails(server, ['get', 'configmaps'])).toBe('Error from server (ServiceUnavailable): etcd is down\n')
    server.clearFaults()
    await ok(server, ['get', 'configmaps'])
    server.addFault({path: '/api/v1/nodes', latencyMs: 300, times: 1})
    const started = Date.now()
    await ok(server, ['get', 'nodes'])
    expect(Date.now() - started).toBeGreaterThanOrEqual(300)
  })

  it('serves a CRD created from a file, with its printer columns', async () => {
    const file = manifest(
      'crd.yaml',
      `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: meshpolicies.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: meshpolicies, singular: meshpolicy, kind: MeshPolicy, shortNames: [mpol]}
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
    additionalPrinterColumns: [{name: Mode, type: string, jsonPath: .spec.mode}]
`,
    )
    await ok(server, ['create', '-f', file])
    expect(await kubectl(server, ['get', 'meshpolicies'])).toEqual({code: 0, stdout: '', stderr: 'No resources found in default namespace.\n'})
    const cr = manifest('cr.yaml', 'apiVersion: example.com/v1\nkind: MeshPolicy\nmetadata: {name: strict}\nspec: {mode: STRICT}\n')
    expect(await ok(server, ['create', '-f', cr])).toBe('meshpolicy.example.com/strict created\n')
    expect(await ok(server, ['get', 'mpol'])).toMatch(/^NAME\s+MODE\nstrict\s+STRICT\n$/)
    expect(await ok(server, ['api-resources', '--api-group=example.com', '--no-headers'])).toMatch(
      /^meshpolicies\s+mpol\s+example\.com\/v1\s+true\s+MeshPolicy\n$/,
    )
    expect(server.store.get('example.com/meshpolicies', 'default', 'strict')).toBeDefined()
    await ok(server, ['delete', 'crd', 'meshpolicies.example.com'])
    expect(await ok(server, ['api-resources', '--api-group=example.com', '--no-headers'])).toBe('')
    // With discovery still cached kubectl tries the old path, as against a real server.
    expect((await kubectl(server, ['get', 'meshpolicies'])).stderr).toMatch(
      /the server doesn't have a resource type "meshpolicies"|the server could not find the requested resource/,
    )
    expect(server.store.get('example.com/meshpolicies', 'default', 'strict')).toBeUndefined()
  })

  it('streams watch events to kubectl get -w', async () => {
    const child = spawn(
      'kubectl',
      ['--kubeconfig', server.kubeconfigPath, '--cache-dir', server.cacheDir, 'get', 'configmaps', '-w', '--output-watch-events'],
      {stdio: ['ignore', 'pipe', 'pipe']},
    )
    let out = ''
    let err = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (err += d.toString()))
    try {
      await until('the initial list', () => (out.includes('kube-root-ca.crt') ? true : undefined))
      await ok(server, ['create', 'configmap', 'watched'])
      await ok(server, ['label', 'configmap', 'watched', 'x=y'])
      await ok(server, ['delete', 'configmap', 'watched'])
      await until('the DELETED event', () => (out.includes('DELETED') ? true : undefined))
    } finally {
      child.kill()
    }
    const lines = out.trim().split('\n')
    expect(lines[0]).toMatch(/^EVENT\s+NAME\s+DATA\s+AGE$/)
    expect(lines[1]).toMatch(/^ADDED\s+kube-root-ca\.crt\s+1\s+/)
    expect(lines.slice(-3).map((l) => l.split(/\s+/).slice(0, 3).join(' '))).toEqual(['ADDED watched 0', 'MODIFIED watched 0', 'DELETED watched 0'])
    expect(err).toBe('')
  })

  it('cuts watches for dropWatchAfterMs faults', async () => {
    server.addFault({path: '/api/v1/namespaces/default/configmaps', dropWatchAfterMs: 200, times: 1})
    const kc = new k8s.KubeConfig()
    kc.loadFromFile(server.kubeconfigPath)
    const started = Date.now()
    const events: string[] = []
    const ended = await new Promise<unknown>((resolve) => {
      void new k8s.Watch(kc).watch(
        '/api/v1/namespaces/default/configmaps',
        {},
        (type: string, obj: KubeObject) => events.push(`${type} ${obj.metadata.name}`),
        resolve,
      )
    })
    expect(Date.now() - started).toBeGreaterThanOrEqual(200)
    expect(ended).toBeDefined()
    expect(events).toContain('ADDED kube-root-ca.crt')
  })

  it('ends watches after timeoutSeconds and replays from a resourceVersion', async () => {
    const list = JSON.parse(await ok(server, ['get', '--raw', '/api/v1/namespaces/default/configmaps'])) as {metadata: {resourceVersion: string}}
    await ok(server, ['create', 'configmap', 'replayed'])
    await ok(server, ['delete', 'configmap', 'replayed'])
    const out = await ok(server, [
      'get',
      '--raw',
      `/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=1&resourceVersion=${list.metadata.resourceVersion}`,
    ])
    const events = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as {type: string; object: KubeObject})
    expect(events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED replayed', 'DELETED replayed'])
    expect(Number(events[1]?.object.metadata.resourceVersion)).toBeGreaterThan(Number(events[0]?.object.metadata.resourceVersion))
  })

  it('serves aggregated discovery, so kubectl needs just /api and /apis', async () => {
    const before = server.requests.length
    const fresh = mkdtempSync(join(work, 'cache-'))
    const r = await new Promise<string>((resolve) =>
      execFile('kubectl', ['--kubeconfig', server.kubeconfigPath, '--cache-dir', fresh, 'get', 'deployments', '-A', '-o', 'name'], (_e, stdout) =>
        resolve(stdout),
      ),
    )
    expect(r).toContain('deployment.apps/coredns')
    const paths = server.requests.slice(before).map((q) => q.path)
    expect(paths).toEqual(expect.arrayContaining(['/api', '/apis', '/apis/apps/v1/deployments']))
    expect(paths.filter((p) => /^\/apis?\/[^/]+(\/[^/]+)?$/.test(p))).toEqual([]) // no per-group discovery round trips
    const groups = JSON.parse(await ok(server, ['get', '--raw', '/apis/apps/v1'])) as {
      resources: Array<{name: string; shortNames?: string[]; categories?: string[]}>
    }
    expect(groups.resources.find((x) => x.name === 'deployments')).toMatchObject({shortNames: ['deploy'], categories: ['all']})
    expect(groups.resources.map((x) => x.name)).toContain('deployments/scale')
  })

  it('works for @kubernetes/client-node: paging, errors, SSAR', async () => {
    const kc = new k8s.KubeConfig()
    kc.loadFromFile(server.kubeconfigPath)
    const core = kc.makeApiClient(k8s.CoreV1Api)
    const first = await core.listPodForAllNamespaces({limit: 10})
    expect(first.items).toHaveLength(10)
    const rest = await core.listPodForAllNamespaces({limit: 10, _continue: first.metadata?._continue})
    expect(first.items.length + rest.items.length).toBe(scenarioObjects(scenario, 'Pod').length)
    expect(rest.metadata?._continue).toBeUndefined()
    await expect(core.readNamespacedPod({name: 'nope', namespace: 'default'})).rejects.toMatchObject({code: 404})
    const authz = kc.makeApiClient(k8s.AuthorizationV1Api)
    const review = await authz.createSelfSubjectAccessReview({body: {spec: {resourceAttributes: {verb: 'list', resource: 'pods', namespace: 'kube-system'}}}})
    expect(review.status?.allowed).toBe(true)
  })
})

describe('RBAC from the scenario', () => {
  let denied: TestApiServer
  let allowed: TestApiServer
  beforeAll(async () => {
    denied = await startApiServer({
      scenario: {
        name: 'rbac-denied',
        extends: 'kind-small',
        rbac: {
          denied: [
            {verbs: ['list', 'watch'], resources: ['pods'], apiGroups: [''], namespaces: ['kube-system']},
            {verbs: ['delete'], resources: ['nodes']},
          ],
        },
      },
    })
    allowed = await startApiServer({
      scenario: {
        name: 'rbac-allowed',
        extends: 'kind-small',
        rbac: {
          allowed: [
            {verbs: ['get', 'list'], apiGroups: [''], resources: ['nodes']},
            {verbs: ['*'], apiGroups: [''], resources: ['pods', 'pods/log'], namespaces: ['default']},
          ],
        },
      },
    })
  })
  afterAll(async () => {
    await denied.stop()
    await allowed.stop()
  })

  it('answers kubectl auth can-i from the denied rules', async () => {
    const no = await kubectl(denied, ['auth', 'can-i', 'list', 'pods', '-n', 'kube-system'])
    expect([no.code, no.stdout, no.stderr]).toEqual([1, 'no\n', ''])
    expect(await ok(denied, ['auth', 'can-i', 'list', 'pods', '-n', 'default'])).toBe('yes\n')
    expect(await ok(denied, ['auth', 'can-i', 'get', 'pods', '-n', 'kube-system'])).toBe('yes\n')
    expect((await kubectl(denied, ['auth', 'can-i', 'delete', 'nodes'])).stdout).toBe('no\n')
  })

  it('makes the real calls fail with the real Forbidden messages', async () => {
    expect(await fails(denied, ['get', 'pods', '-n', 'kube-system'])).toBe(
      'Error from server (Forbidden): pods is forbidden: User "mesh-ready-test" cannot list resource "pods" in API group "" in the namespace "kube-system"\n',
    )
    expect(await fails(denied, ['get', 'pods', '-A'])).toBe(
      'Error from server (Forbidden): pods is forbidden: User "mesh-ready-test" cannot list resource "pods" in API group "" at the cluster scope\n',
    )
    expect(await fails(denied, ['delete', 'node', 'kind-worker'])).toBe(
      'Error from server (Forbidden): nodes "kind-worker" is forbidden: User "mesh-ready-test" cannot delete resource "nodes" in API group "" at the cluster scope\n',
    )
    await ok(denied, ['get', 'pods', '-n', 'default'])
    await ok(denied, ['get', 'pod', 'etcd-kind-control-plane', '-n', 'kube-system'])
  })

  it('enumerates the remaining rules in SelfSubjectRulesReview', async () => {
    const out = await ok(denied, ['auth', 'can-i', '--list', '-n', 'kube-system'])
    const row = (resource: string): string | undefined => out.split('\n').find((l) => l.startsWith(`${resource} `))
    expect(row('pods')).toMatch(/\[create delete deletecollection get patch update\]$/)
    expect(row('nodes')).toMatch(/\[create deletecollection get list patch update watch\]$/)
    expect(row('configmaps')).toMatch(/\[\*\]$/)
    const inDefault = await ok(denied, ['auth', 'can-i', '--list', '-n', 'default'])
    expect(inDefault.split('\n').find((l) => l.startsWith('pods '))).toMatch(/\[\*\]$/)
  })

  it('allows only the allowed rules (namespace-limited ones never cluster-wide)', async () => {
    await ok(allowed, ['get', 'nodes'])
    await ok(allowed, ['get', 'pods', '-n', 'default'])
    expect(await fails(allowed, ['get', 'pods', '-A'])).toContain('cannot list resource "pods" in API group "" at the cluster scope')
    expect(await fails(allowed, ['get', 'services', '-n', 'default'])).toBe(
      'Error from server (Forbidden): services is forbidden: User "mesh-ready-test" cannot list resource "services" in API group "" in the namespace "default"\n',
    )
    expect(await fails(allowed, ['get', 'deployments', '-n', 'default'])).toContain(
      'deployments.apps is forbidden: User "mesh-ready-test" cannot list resource "deployments" in API group "apps"',
    )
    const list = await ok(allowed, ['auth', 'can-i', '--list', '-n', 'default'])
    expect(list).toMatch(/^nodes\s+\[\]\s+\[\]\s+\[get list\]$/m)
    expect(list).toMatch(/^pods\/log\s+\[\]\s+\[\]\s+\[\*\]$/m)
  })
})

describe('fake kubelet', () => {
  let server: TestApiServer
  beforeAll(async () => {
    server = await startApiServer({
      scenario: {
        name: 'kubelet',
        extends: 'kind-small',
        kubelet: {nodes: {'kind-*': {hostRoot: '/'}}, imagePullFailures: ['registry.invalid/*']},
        admission: {
          rejectPods: [
            {
              namespace: 'kube-public',
              message: 'violates PodSecurity "baseline:latest": privileged (container "probe" must not set securityContext.privileged=true)',
            },
          ],
        },
      },
    })
    // Only kind-control-plane and the workers have a kubelet: a node added now has none.
    await ok(server, ['create', '-f', manifest('node.yaml', 'apiVersion: v1\nkind: Node\nmetadata: {name: other-node}\n')])
  })
  afterAll(() => server.stop())

  const podYaml = (name: string, spec: string): string =>
    manifest(`${name}.yaml`, `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}}\nspec:\n  restartPolicy: Never\n${spec}`)
  const phase = (name: string): string | undefined => server.store.get('pods', 'default', name)?.status?.phase as string | undefined
  const waitFor = (name: string, want: (pod: KubeObject) => boolean): Promise<KubeObject> =>
    until(`pod ${name}`, () => {
      const p = server.store.get('pods', 'default', name)
      return p && want(p) ? p : undefined
    })

  it('runs the first container with HOST_ROOT and TERMINATION_MESSAGE_PATH, then reports Succeeded', async () => {
    const file = podYaml(
      'probe',
      `  nodeName: kind-worker
  containers:
  - name: probe
    image: busybox:1.36
    env: [{name: GREETING, value: hello}]
    command: [sh, -c]
    args: ['echo "$GREETING"; printf done > "$TERMINATION_MESSAGE_PATH"; ls "$HOST_ROOT" >/dev/null']
`,
    )
    await ok(server, ['create', '-f', file])
    await ok(server, ['wait', '--for=jsonpath={.status.phase}=Succeeded', 'pod/probe', '--timeout=10s'])
    const pod = server.store.get('pods', 'default', 'probe')
    const state = (pod?.status?.containerStatuses as Array<{state: {terminated?: Record<string, unknown>}}> | undefined)?.[0]?.state
    expect(state?.terminated).toMatchObject({exitCode: 0, reason: 'Completed', message: 'done'})
    expect(await ok(server, ['logs', 'probe'])).toBe('hello\n')
    expect(await ok(server, ['get', 'pod', 'probe', '--no-headers'])).toMatch(/^probe\s+0\/1\s+Completed\s+0\s+/)
    const events = await ok(server, ['get', 'events', '--field-selector', 'involvedObject.name=probe', '-o', 'jsonpath={.items[*].reason}'])
    expect(events).toBe('Pulled Created Started')
  })

  it('reports a failing command as Failed with FallbackToLogsOnError', async () => {
    const file = podYaml(
      'crash',
      `  nodeName: kind-worker2
  containers:
  - name: probe
    image: busybox
    terminationMessagePolicy: FallbackToLogsOnError
    command: [sh, -c, 'echo first; echo "it broke" >&2; exit 3']
`,
    )
    await ok(server, ['create', '-f', file])
    const pod = await waitFor('crash', (p) => p.status?.phase === 'Failed')
    expect((pod.status?.containerStatuses as Array<{state: {terminated?: unknown}}> | undefined)?.[0]?.state.terminated).toMatchObject({
      exitCode: 3,
      reason: 'Error',
      message: 'first\nit broke',
    })
    expect(await ok(server, ['logs', 'crash', '--tail=1'])).toBe('it broke\n')
  })

  it('shows image pull failures as ErrImagePull, then ImagePullBackOff', async () => {
    await ok(server, [
      'create',
      '-f',
      podYaml('pullfail', `  nodeName: kind-worker\n  containers: [{name: probe, image: registry.invalid/probe:1.0, command: ['true']}]\n`),
    ])
    const seen = new Set<string>()
    await until('ImagePullBackOff', () => {
      const cs = server.store.get('pods', 'default', 'pullfail')?.status?.containerStatuses as Array<{state: {waiting?: {reason: string}}}> | undefined
      const reason = cs?.[0]?.state.waiting?.reason
      if (reason) seen.add(reason)
      return reason === 'ImagePullBackOff' ? true : undefined
    })
    expect(seen.has('ErrImagePull') || seen.has('ContainerCreating')).toBe(true)
    expect(phase('pullfail')).toBe('Pending')
    const pod = server.store.get('pods', 'default', 'pullfail')
    expect((pod?.status?.containerStatuses as Array<{state: {waiting: {message: string}}}> | undefined)?.[0]?.state.waiting.message).toBe(
      'Back-off pulling image "registry.invalid/probe:1.0"',
    )
    expect(await ok(server, ['get', 'pod', 'pullfail', '--no-headers'])).toMatch(/^pullfail\s+0\/1\s+ImagePullBackOff\s+/)
    expect(await fails(server, ['logs', 'pullfail'])).toBe(
      'Error from server (BadRequest): container "probe" in pod "pullfail" is waiting to start: trying and failing to pull image\n',
    )
    const messages = await ok(server, ['get', 'events', '--field-selector', 'involvedObject.name=pullfail,reason=Failed', '-o', 'jsonpath={.items[0].message}'])
    expect(messages).toMatch(/^Failed to pull image "registry\.invalid\/probe:1\.0": /)
  })

  it('kills a pod past activeDeadlineSeconds: Failed, DeadlineExceeded', async () => {
    const pidFile = join(work, 'deadline.pid')
    await ok(server, [
      'create',
      '-f',
      podYaml(
        'slow',
        `  nodeName: kind-worker2\n  activeDeadlineSeconds: 1\n  containers: [{name: probe, image: busybox, env: [{name: PIDFILE, value: "${pidFile}"}], command: [sh, -c, 'echo $$ > "$PIDFILE"; exec sleep 60']}]\n`,
      ),
    ])
    const pid = Number(await until('the pid file', () => (existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim()) || undefined))
    const pod = await waitFor('slow', (p) => p.status?.phase === 'Failed')
    expect(pod.status).toMatchObject({reason: 'DeadlineExceeded', message: 'Pod was active on the node longer than the specified deadline'})
    await processGone(pid)
  })

  it('leaves pods on nodes without a kubelet (or without a node) Pending, and kills processes of deleted pods', async () => {
    await ok(server, ['create', '-f', podYaml('nowhere', `  nodeName: other-node\n  containers: [{name: probe, image: busybox, command: ['true']}]\n`)])
    await ok(server, ['create', '-f', podYaml('unscheduled', `  containers: [{name: probe, image: busybox, command: ['true']}]\n`)])
    await ok(server, ['create', '-f', podYaml('server', `  nodeName: kind-control-plane\n  containers: [{name: web, image: nginx}]\n`)])
    await waitFor('server', (p) => p.status?.phase === 'Running')
    await new Promise((r) => setTimeout(r, 200))
    expect(phase('nowhere')).toBe('Pending')
    expect(phase('unscheduled')).toBe('Pending')
    expect(phase('server')).toBe('Running')
    const pidFile = join(work, 'victim.pid')
    await ok(server, [
      'create',
      '-f',
      podYaml(
        'victim',
        `  nodeName: kind-worker\n  containers: [{name: probe, image: busybox, env: [{name: PIDFILE, value: "${pidFile}"}], command: [sh, -c, 'echo $$ > "$PIDFILE"; exec sleep 60']}]\n`,
      ),
    ])
    const pid = Number(await until('the pid file', () => (existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim()) || undefined))
    expect(await ok(server, ['delete', 'pod', 'victim'])).toBe('pod "victim" deleted\n')
    await processGone(pid)
  })

  it('starts a pod once it is bound to a node through the binding subresource', async () => {
    await ok(server, [
      'create',
      '-f',
      podYaml(
        'bindme',
        `  containers: [{name: c, image: busybox, command: [sh, -c, 'echo bound to $NODE'], env: [{name: NODE, valueFrom: {fieldRef: {fieldPath: spec.nodeName}}}]}]\n`,
      ),
    ])
    await new Promise((r) => setTimeout(r, 100))
    expect(phase('bindme')).toBe('Pending')
    const binding = manifest(
      'binding.json',
      JSON.stringify({apiVersion: 'v1', kind: 'Binding', metadata: {name: 'bindme'}, target: {apiVersion: 'v1', kind: 'Node', name: 'kind-worker2'}}),
    )
    await ok(server, ['create', '--raw', '/api/v1/namespaces/default/pods/bindme/binding', '-f', binding])
    await waitFor('bindme', (p) => p.status?.phase === 'Succeeded')
    expect(await ok(server, ['logs', 'bindme'])).toBe('bound to kind-worker2\n')
  })

  it('rejects pods per the scenario admission rules with the Forbidden message', async () => {
    const file = manifest(
      'priv.yaml',
      'apiVersion: v1\nkind: Pod\nmetadata: {name: priv, namespace: kube-public}\nspec:\n  containers: [{name: probe, image: busybox, securityContext: {privileged: true}}]\n',
    )
    expect(await fails(server, ['create', '-f', file])).toBe(
      `Error from server (Forbidden): error when creating "${file}": pods "priv" is forbidden: violates PodSecurity "baseline:latest": privileged (container "probe" must not set securityContext.privileged=true)\n`,
    )
    expect(server.store.get('pods', 'kube-public', 'priv')).toBeUndefined()
  })
})

describe('kubelet modes and PodSecurityPolicy serving', () => {
  let server: TestApiServer
  beforeAll(async () => {
    server = await startApiServer({
      scenario: {
        name: 'modes',
        extends: 'kind-small',
        serverVersion: {gitVersion: 'v1.24.17'},
        servePodSecurityPolicy: true,
        kubelet: {
          nodes: {'kind-worker': {hostRoot: 'test/fixtures/kernels/debian-12-6.1.0-56-amd64'}, 'kind-worker2': {hostRoot: '/'}},
          networkNamespace: true,
          runDelayMs: 300,
        },
      },
    })
  })
  afterAll(() => server.stop())

  it('resolves host roots relative to the repo root and adds simulated run time', async () => {
    const file = manifest(
      'hostroot.yaml',
      `apiVersion: v1\nkind: Pod\nmetadata: {name: hostroot}\nspec:\n  nodeName: kind-worker\n  restartPolicy: Never\n  containers: [{name: c, image: busybox, command: [sh, -c, 'echo "$HOST_ROOT"; ls "$HOST_ROOT/boot"']}]\n`,
    )
    const started = Date.now()
    await ok(server, ['create', '-f', file])
    await ok(server, ['wait', '--for=jsonpath={.status.phase}=Succeeded', 'pod/hostroot', '--timeout=10s'])
    expect(Date.now() - started).toBeGreaterThanOrEqual(300)
    expect(await ok(server, ['logs', 'hostroot'])).toBe(`${join(repoRoot(), 'test/fixtures/kernels/debian-12-6.1.0-56-amd64')}\nconfig-6.1.0-56-amd64\n`)
  })

  it.skipIf(process.getuid?.() !== 0)('runs pods in their own network namespace when asked', async () => {
    const file = manifest(
      'netns.yaml',
      `apiVersion: v1\nkind: Pod\nmetadata: {name: netns}\nspec:\n  nodeName: kind-worker2\n  restartPolicy: Never\n  containers: [{name: c, image: busybox, command: [sh, -c, 'tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "']}]\n`,
    )
    await ok(server, ['create', '-f', file])
    await ok(server, ['wait', '--for=jsonpath={.status.phase}=Succeeded', 'pod/netns', '--timeout=10s'])
    expect(await ok(server, ['logs', 'netns'])).toBe('lo\n')
  })

  it('streams a running container log with kubectl logs -f', async () => {
    const file = manifest(
      'chatty.yaml',
      `apiVersion: v1\nkind: Pod\nmetadata: {name: chatty}\nspec:\n  nodeName: kind-worker2\n  restartPolicy: Never\n  containers: [{name: c, image: busybox, command: [sh, -c, 'for i in 1 2 3; do echo line $i; sleep 0.2; done']}]\n`,
    )
    await ok(server, ['create', '-f', file])
    await ok(server, ['wait', '--for=jsonpath={.status.phase}=Running', 'pod/chatty', '--timeout=10s'])
    expect(await ok(server, ['logs', '-f', 'chatty'])).toBe('line 1\nline 2\nline 3\n')
  })

  it('serves policy/v1beta1 PodSecurityPolicy with the deprecation warning', async () => {
    const file = manifest(
      'psp.yaml',
      'apiVersion: policy/v1beta1\nkind: PodSecurityPolicy\nmetadata: {name: restricted}\nspec: {privileged: false, seLinux: {rule: RunAsAny}, runAsUser: {rule: MustRunAsNonRoot}, supplementalGroups: {rule: RunAsAny}, fsGroup: {rule: RunAsAny}}\n',
    )
    const created = await kubectl(server, ['create', '-f', file])
    expect(created).toEqual({
      code: 0,
      stdout: 'podsecuritypolicy.policy/restricted created\n',
      stderr: 'Warning: policy/v1beta1 PodSecurityPolicy is deprecated in v1.21+, unavailable in v1.25+\n',
    })
    const got = await kubectl(server, ['get', 'psp', '-o', 'name'])
    expect(got.stdout).toBe('podsecuritypolicy.policy/restricted\n')
    expect(JSON.parse(await ok(server, ['get', '--raw', '/version'])).minor).toBe('24')
  })
})

describe('simulated kubelet', () => {
  it('exits 0 after runDelayMs without executing anything', async () => {
    const server = await startApiServer({scenario: {name: 'sim', extends: 'kind-small', kubelet: {simulateOnly: true, runDelayMs: 200}}})
    try {
      const file = manifest(
        'sim.yaml',
        `apiVersion: v1\nkind: Pod\nmetadata: {name: sim}\nspec:\n  nodeName: kind-worker\n  restartPolicy: Never\n  containers: [{name: c, image: busybox, command: [sh, -c, 'exit 7']}]\n`,
      )
      const started = Date.now()
      await ok(server, ['create', '-f', file])
      const pod = await until('Succeeded', () => {
        const p = server.store.get('pods', 'default', 'sim')
        return p?.status?.phase === 'Succeeded' ? p : undefined
      })
      expect(Date.now() - started).toBeGreaterThanOrEqual(200)
      expect((pod.status?.containerStatuses as Array<{state: {terminated?: unknown}}> | undefined)?.[0]?.state.terminated).toMatchObject({
        exitCode: 0,
        reason: 'Completed',
      })
      expect(server.store.list('events', 'default')).toEqual([])
      expect(await ok(server, ['logs', 'sim'])).toBe('')
    } finally {
      await server.stop()
    }
  })

  it('leaves simulatedMessage as the termination message and log of every simulated container', async () => {
    const message = 'rel 6.1.0\nend\n'
    const server = await startApiServer({
      scenario: {name: 'sim', extends: 'kind-small', kubelet: {simulateOnly: true, runDelayMs: 0, simulatedMessage: message}},
    })
    try {
      const file = manifest(
        'sim-message.yaml',
        `apiVersion: v1\nkind: Pod\nmetadata: {name: sim}\nspec:\n  nodeName: kind-worker\n  restartPolicy: Always\n  initContainers: [{name: probe, image: busybox, command: [sh, -c, 'exit 7']}]\n  containers: [{name: idle, image: busybox, command: [sleep, '1']}]\n`,
      )
      await ok(server, ['create', '-f', file])
      const pod = await until('Running', () => {
        const p = server.store.get('pods', 'default', 'sim')
        return p?.status?.phase === 'Running' ? p : undefined
      })
      const init = (pod.status?.initContainerStatuses as Array<{state: {terminated?: {exitCode: number; message?: string}}}> | undefined)?.[0]
      expect(init?.state.terminated).toMatchObject({exitCode: 0, message})
      expect(await ok(server, ['logs', 'sim', '-c', 'probe'])).toBe(message)
      // A restartPolicy Always container is a server: still running, with nothing logged.
      expect((pod.status?.containerStatuses as Array<{state: {running?: unknown}}> | undefined)?.[0]?.state.running).toBeDefined()
    } finally {
      await server.stop()
    }
  })
})

describe('generated scale scenario', () => {
  it('generates nodes and 20k pods quickly, with owner chains, and kubectl pages through them', async () => {
    const started = Date.now()
    const server = await startApiServer({
      scenario: {
        name: 'scale',
        generate: {
          nodeGroups: [
            {namePrefix: 'pool-a', count: 50, kernelVersion: '6.1.0-56-amd64', osImage: 'Debian GNU/Linux 12 (bookworm)'},
            {
              namePrefix: 'pool-b',
              count: 50,
              kernelVersion: '4.18.0-147.5.1.el8_1.x86_64',
              osImage: 'Red Hat Enterprise Linux 8.0 (Ootpa)',
              architecture: 'arm64',
            },
          ],
          workloads: {namespaces: 20, deployments: 50, podsPerDeployment: 20, services: true},
        },
      },
    })
    try {
      expect(Date.now() - started).toBeLessThan(5000)
      expect(server.store.count('nodes')).toBe(100)
      expect(server.store.count('pods')).toBe(20_000)
      expect(server.store.count('apps/deployments')).toBe(1000)
      const pod = server.store.list('pods', 'app-3')[0]!
      const rs = server.store.get('apps/replicasets', 'app-3', pod.metadata.ownerReferences?.[0]?.name ?? '')
      const deploy = server.store.get('apps/deployments', 'app-3', rs?.metadata.ownerReferences?.[0]?.name ?? '')
      expect(rs?.metadata.uid).toBe(pod.metadata.ownerReferences?.[0]?.uid)
      expect(deploy?.metadata.uid).toBe(rs?.metadata.ownerReferences?.[0]?.uid)
      const node = server.store.get('nodes', 'pool-b-7') as KubeObject
      expect(node.status?.nodeInfo).toMatchObject({
        architecture: 'arm64',
        kernelVersion: '4.18.0-147.5.1.el8_1.x86_64',
        osImage: 'Red Hat Enterprise Linux 8.0 (Ootpa)',
      })
      // kubectl throttles itself to 5 requests/s after a burst of 10, so page sizes stay large here.
      const out = await ok(server, ['get', 'pods', '-n', 'app-7', '--chunk-size=250', '--no-headers'])
      expect(out.trim().split('\n')).toHaveLength(1000)
      const all = await ok(server, ['get', 'pods', '-A', '--chunk-size=5000', '--no-headers'])
      expect(all.trim().split('\n')).toHaveLength(20_000)
      expect(all).toMatch(/^app-0\s+api-\w+-\w+\s+1\/1\s+Running\s+0\s+24h$/m)
    } finally {
      await server.stop()
    }
  }, 60_000)
})

describe('cli', () => {
  const cli = join(repoRoot(), 'dist', 'test-cluster', 'cli.js')
  it.skipIf(!existsSync(cli))('prints one JSON line once listening and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [cli, '--scenario', 'demo', '--port', '0'], {stdio: ['ignore', 'pipe', 'pipe']})
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    const line = await until('the JSON line', () => (out.includes('\n') ? out.split('\n')[0] : undefined))
    const info = JSON.parse(line!) as {url: string; kubeconfig: string}
    expect(info.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
    expect(existsSync(info.kubeconfig)).toBe(true)
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)))
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
    expect(existsSync(info.kubeconfig)).toBe(false)
  })
})

describe('DaemonSet controller and init containers', () => {
  const daemonSet = (name: string, init: string, extra = '') => `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: ${name}, namespace: default}
spec:
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      ${extra}
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms: [{matchFields: [{key: metadata.name, operator: In, values: [kind-worker, kind-worker2, no-such-node]}]}]
      initContainers: [{name: probe, image: busybox:1.37, command: [sh, -c, '${init}']}]
      containers: [{name: idle, image: busybox:1.37, command: [sleep, '3600']}]
`
  const ownedPods = (server: TestApiServer, name: string) =>
    server.store.list('pods', 'default').filter((p) => p.metadata.ownerReferences?.some((r) => r.kind === 'DaemonSet' && r.name === name)) as Array<
      KubeObject & {spec: {nodeName?: string}; status?: Record<string, unknown>}
    >

  it('creates one pod per matching node, runs the init container first, keeps status, and garbage-collects the pods', async () => {
    const server = await startApiServer({scenario: 'kind-small'})
    try {
      await ok(server, ['apply', '-f', manifest('ds.yaml', daemonSet('probe', 'echo from-init; printf report > $TERMINATION_MESSAGE_PATH'))])
      const pods = await until('two running pods', () => {
        const list = ownedPods(server, 'probe')
        return list.length === 2 && list.every((p) => p.status?.phase === 'Running') ? list : undefined
      })
      expect(pods.map((p) => p.spec.nodeName).sort()).toEqual(['kind-worker', 'kind-worker2']) // the named nodes that exist
      for (const pod of pods) {
        const init = (pod.status?.initContainerStatuses as Array<{name: string; state: {terminated?: {exitCode: number; message?: string}}}> | undefined)?.[0]
        expect(init).toMatchObject({name: 'probe', state: {terminated: {exitCode: 0, message: 'report'}}})
        expect(JSON.stringify((pod.spec as Record<string, unknown>).affinity)).toContain(`"values":["${pod.spec.nodeName}"]`) // one node per pod, as the real controller writes
      }
      expect(await ok(server, ['logs', pods[0]!.metadata.name!, '-c', 'probe'])).toBe('from-init\n')
      const status = await until('status', () => {
        const ds = server.store.get('apps/daemonsets', 'default', 'probe')
        return (ds?.status as {numberReady?: number} | undefined)?.numberReady === 2 ? ds!.status : undefined
      })
      expect(status).toMatchObject({desiredNumberScheduled: 2, currentNumberScheduled: 2, numberReady: 2})
      await ok(server, ['delete', 'ds', 'probe', '--wait=false'])
      await until('pods collected', () => (ownedPods(server, 'probe').length === 0 ? true : undefined))
    } finally {
      await server.stop()
    }
  })

  it('restarts a failing init container with a back-off, keeping its last exit in lastState', async () => {
    const server = await startApiServer({scenario: {name: 'ds-crash', extends: 'kind-small', kubelet: {restartBackoffMs: 100}}})
    try {
      await ok(server, ['apply', '-f', manifest('ds-crash.yaml', daemonSet('crash', 'echo broken; exit 3'))])
      const pod = await until('a restarted init container', () =>
        ownedPods(server, 'crash').find((p) => ((p.status?.initContainerStatuses as Array<{restartCount: number}> | undefined)?.[0]?.restartCount ?? 0) >= 1),
      )
      expect(pod.status?.phase).toBe('Pending')
      expect(
        (pod.status?.initContainerStatuses as Array<{lastState: {terminated?: {exitCode: number}}}> | undefined)?.[0]?.lastState.terminated?.exitCode,
      ).toBe(3)
    } finally {
      await server.stop()
    }
  })

  it('reports a pod that admission refuses as a FailedCreate event on the DaemonSet', async () => {
    const server = await startApiServer({
      scenario: {
        name: 'ds-refused',
        extends: 'kind-small',
        admission: {rejectPods: [{namespace: 'default', message: 'pods "x" is forbidden: violates PodSecurity "baseline:latest": privileged'}]},
      },
    })
    try {
      await ok(server, ['apply', '-f', manifest('ds-refused.yaml', daemonSet('refused', 'true'))])
      const event = await until('a FailedCreate event', () =>
        server.store.list('events', 'default').find((e) => (e as {reason?: string}).reason === 'FailedCreate'),
      )
      expect(event).toMatchObject({involvedObject: {kind: 'DaemonSet', name: 'refused'}, type: 'Warning'})
      expect((event as {message?: string}).message).toMatch(/^Error creating: .*violates PodSecurity "baseline:latest"/)
      expect(ownedPods(server, 'refused')).toEqual([])
    } finally {
      await server.stop()
    }
  })
})
