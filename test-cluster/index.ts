// The test Kubernetes API server: start one per test file (or per demo/bench run) from a scenario.
// Real kubectl and @kubernetes/client-node talk to it over HTTPS with a bearer token.
import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {createServer as createHttpServer, type Server} from 'node:http'
import {createServer as createHttpsServer} from 'node:https'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {stringify} from 'yaml'
import {FaultSet} from './faults.js'
import {generate, type NodeSlot} from './generate.js'
import type {RequestRecord} from './http.js'
import {DaemonSetController} from './daemonsets.js'
import {Kubelet} from './kubelet.js'
import {Authorizer} from './rbac.js'
import {Registry, resourceKey} from './registry.js'
import {DEFAULT_USER, loadScenario, resolveExtends, validateScenario, versionInfo, type Fault, type Scenario} from './scenario.js'
import {Router} from './server.js'
import type {ServerState} from './state.js'
import {Store} from './store.js'
import type {KubeObject, Node} from './types.js'
import {randomHex, repoRoot, timestamp} from './util.js'

export type {Fault, Scenario} from './scenario.js'
export type {RbacConfig, RbacRule, KubeletConfig, AdmissionConfig, GenerateConfig, GeneratedNodeGroup, WorkloadConfig, ServerVersion} from './scenario.js'
export type {KubeObject} from './types.js'
export type {RequestRecord} from './http.js'
export {Store} from './store.js'
export {loadScenario} from './scenario.js'

export interface StartOptions {
  /** A scenario name (test/scenarios/<name>.yaml), a path to a scenario file, or a scenario object. */
  scenario: string | Scenario
  /** Default 0: an ephemeral port. */
  port?: number
  /** Default true. With false the server speaks plain HTTP. */
  tls?: boolean
}

export interface KubeconfigOptions {
  token?: string
  /** valid: the test CA; wrong: an unrelated CA (TLS verification fails); none: no CA data (system roots, fails too). */
  caData?: 'valid' | 'wrong' | 'none'
  contextName?: string
  server?: string
  namespace?: string
}

export interface TestApiServer {
  /** https://127.0.0.1:PORT */
  url: string
  /** A kubeconfig for this server: test CA, bearer token, context named after the scenario (current). */
  kubeconfigPath: string
  token: string
  store: Store
  /** Every answered request, in order (watches are recorded when they start). */
  requests: RequestRecord[]
  scenario: Scenario
  /**
   * A kubectl discovery cache dir private to this server (pass `--cache-dir`): kubectl caches
   * discovery per host:port for hours, and ports get reused by later servers with other resources.
   */
  cacheDir: string
  addFault(f: Fault): void
  clearFaults(): void
  /** Writes another kubeconfig (e.g. with a wrong token or CA) and returns its path. */
  writeKubeconfig(o?: KubeconfigOptions): string
  /** Stops serving, ends watches and kills the fake kubelet's processes. */
  stop(): Promise<void>
}

const SYSTEM_NAMESPACES = ['default', 'kube-node-lease', 'kube-public', 'kube-system']

/** Work dirs of servers not stopped yet: removed when the process exits anyway (one listener for all). */
const liveWorkDirs = new Set<string>()
let exitHookInstalled = false

function trackWorkDir(dir: string): void {
  liveWorkDirs.add(dir)
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.once('exit', () => {
    for (const d of liveWorkDirs) rmSync(d, {recursive: true, force: true})
  })
}

function tlsFile(name: string): string {
  return readFileSync(join(repoRoot(), 'test', 'fixtures', 'tls', name), 'utf8')
}

function groupOf(apiVersion: string | undefined): string {
  return apiVersion?.includes('/') ? apiVersion.split('/')[0]! : ''
}

/** Puts a scenario's objects and generated objects into the store (CRDs first, so their kinds resolve). */
function loadObjects(scenario: Scenario, store: Store, registry: Registry): void {
  const objects = scenario.objects ?? []
  const isCrd = (o: KubeObject): boolean => o.kind === 'CustomResourceDefinition'
  const created = timestamp()
  for (const o of [...objects.filter(isCrd), ...objects.filter((o) => !isCrd(o))]) {
    const def = registry.byKind(groupOf(o.apiVersion), o.kind ?? '')
    if (!def) throw new Error(`scenario ${scenario.name}: no served resource for ${o.apiVersion} ${o.kind} (${o.metadata.name})`)
    const metadata = {creationTimestamp: created, ...o.metadata}
    if (def.namespaced) metadata.namespace ??= 'default'
    else delete metadata.namespace
    const stored = store.put(resourceKey(def), {...o, metadata}, {silent: true, adopt: true})
    if (isCrd(o)) registry.addCrd(stored)
  }
  for (const name of SYSTEM_NAMESPACES) {
    if (!store.get('namespaces', name)) {
      const ns = {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: {name, creationTimestamp: created, labels: {'kubernetes.io/metadata.name': name}},
        spec: {finalizers: ['kubernetes']},
        status: {phase: 'Active'},
      }
      store.put('namespaces', ns, {silent: true, adopt: true})
    }
  }
  if (scenario.generate) {
    const existing: NodeSlot[] = (store.list('nodes') as Node[]).map((n) => ({
      name: n.metadata.name ?? '',
      hostIP: n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address ?? '172.18.0.2',
      ...(n.spec?.podCIDR ? {podCIDR: n.spec.podCIDR} : {}),
    }))
    generate(scenario.generate, existing, (resource, obj) => store.put(resource, obj, {silent: true, adopt: true}))
  }
  for (const key of store.resources()) {
    if (!registry.byKey(key)?.namespaced) continue
    for (const o of store.list(key)) {
      const ns = o.metadata.namespace ?? ''
      if (!store.get('namespaces', ns))
        throw new Error(`scenario ${scenario.name}: ${key} ${ns}/${o.metadata.name} is in namespace "${ns}", which the scenario does not define`)
    }
  }
}

export async function startApiServer(opts: StartOptions): Promise<TestApiServer> {
  const scenario =
    typeof opts.scenario === 'string' ? loadScenario(opts.scenario) : resolveExtends(validateScenario(opts.scenario, opts.scenario.name || 'custom'))
  const workDir = mkdtempSync(join(tmpdir(), 'mesh-ready-apiserver-'))
  trackWorkDir(workDir)
  const cacheDir = join(workDir, 'kube-cache')
  mkdirSync(cacheDir)
  const store = new Store()
  const registry = new Registry({servePodSecurityPolicy: scenario.servePodSecurityPolicy === true})
  try {
    loadObjects(scenario, store, registry)
  } catch (err) {
    rmSync(workDir, {recursive: true, force: true})
    liveWorkDirs.delete(workDir)
    throw err
  }
  const user = scenario.user ?? DEFAULT_USER
  const state: ServerState = {
    scenario,
    version: versionInfo(scenario.serverVersion),
    store,
    registry,
    authorizer: new Authorizer(scenario.rbac, user),
    kubelet: new Kubelet(store, scenario.kubelet ?? {}, workDir),
    user,
    groups: scenario.groups ?? [],
    namespaceDeletionDelayMs: scenario.namespaceDeletionDelayMs ?? 100,
    timers: new Set(),
    closers: new Set(),
    nextClusterIP: (10 << 24) | (96 << 16) | (200 << 8),
    nextNodePort: 30000,
  }
  state.kubelet.start()
  const daemonSets = new DaemonSetController(state)
  daemonSets.start()
  const token = randomHex(24)
  const faults = new FaultSet(scenario.faults ?? [])
  const requests: RequestRecord[] = []
  const tls = opts.tls !== false
  let address = ''
  const router = new Router(
    state,
    () => token,
    faults,
    requests,
    () => address,
  )
  const server: Server = tls ? createHttpsServer({key: tlsFile('server.key'), cert: tlsFile('server.crt')}, router.handle) : createHttpServer(router.handle)
  server.keepAliveTimeout = 30_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve())
  })
  const port = (server.address() as AddressInfo).port
  address = `127.0.0.1:${port}`
  const url = `${tls ? 'https' : 'http'}://${address}`

  let kubeconfigCount = 0
  const writeKubeconfig = (o: KubeconfigOptions = {}): string => {
    const context = o.contextName ?? scenario.name
    const ca = o.caData ?? 'valid'
    const cluster: Record<string, string> = {server: o.server ?? url}
    if (tls && ca !== 'none') cluster['certificate-authority-data'] = Buffer.from(tlsFile(ca === 'wrong' ? 'wrong-ca.crt' : 'ca.crt')).toString('base64')
    const doc = {
      apiVersion: 'v1',
      kind: 'Config',
      preferences: {},
      clusters: [{name: scenario.name, cluster}],
      users: [{name: user, user: {token: o.token ?? token}}],
      contexts: [{name: context, context: {cluster: scenario.name, user, ...(o.namespace ? {namespace: o.namespace} : {})}}],
      'current-context': context,
    }
    const file = join(workDir, `kubeconfig-${kubeconfigCount++}.yaml`)
    writeFileSync(file, stringify(doc), {mode: 0o600})
    return file
  }
  const kubeconfigPath = writeKubeconfig()

  let stopped: Promise<void> | undefined
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      for (const close of [...state.closers]) close()
      daemonSets.stop()
      for (const t of state.timers) clearTimeout(t)
      state.timers.clear()
      await state.kubelet.stop()
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
      rmSync(workDir, {recursive: true, force: true})
      liveWorkDirs.delete(workDir)
    })())

  return {
    url,
    kubeconfigPath,
    token,
    store,
    requests,
    scenario,
    cacheDir,
    addFault: (f) => faults.add(f),
    clearFaults: () => faults.clear(),
    writeKubeconfig,
    stop,
  }
}
