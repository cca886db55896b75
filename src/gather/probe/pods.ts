import {hostname} from 'node:os'
import pLimit from 'p-limit'
import type {KubeClient} from '../kube/client.js'
import {ApiError, ConnectionError, isConflict, isNotFound} from '../kube/errors.js'
import {MANAGED_BY_LABEL, MANAGED_BY_VALUE, MANAGED_SELECTOR, RUN_ID_LABEL} from './labels.js'
import type {FunctionalFamilies} from './script.js'
import {loadProbeScript, probeArgs} from './script.js'

/** Default probe namespace; created with the Pod Security `privileged` label and deleted afterwards. */
export const PROBE_NAMESPACE = 'mesh-ready-probe'
/** Static mode needs only a POSIX sh with awk, sed, gzip: busybox. */
export const DEFAULT_PROBE_IMAGE = 'docker.io/library/busybox:1.37'
/** Functional mode needs iptables (legacy and nft), nft and ip: Istio's own proxy image for the judged release has them. */
export const functionalProbeImage = (istioMinor: string) => `docker.io/istio/proxyv2:${istioMinor}.0`
export const COMPONENT_LABEL = 'mesh-ready.io/component'
export const GROUP_LABEL = 'mesh-ready.io/node-group'
const CONTAINER = 'probe'
const HOST_ROOT = '/host'
const IMAGE_PULL_REASONS = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull', 'RegistryUnavailable'])
const START_FAILURE_REASONS = new Set(['CreateContainerConfigError', 'CreateContainerError', 'RunContainerError'])

/** Host paths the static probe reads; all mounted read-only. */
const HOST_PATHS: ReadonlyArray<{name: string; path: string; type: string}> = [
  {name: 'host-proc', path: '/proc', type: 'Directory'},
  {name: 'host-sys-fs', path: '/sys/fs', type: 'Directory'},
  {name: 'host-boot', path: '/boot', type: ''},
  {name: 'host-lib-modules', path: '/lib/modules', type: ''},
  {name: 'host-usr-lib-modules', path: '/usr/lib/modules', type: ''},
]

export interface ProbePodSpecInput {
  readonly name: string
  readonly namespace: string
  readonly node: string
  readonly groupId: string
  readonly runId: string
  readonly image: string
  readonly imagePullSecret?: string
  readonly script: string
  readonly functional: FunctionalFamilies
  readonly deadlineSeconds: number
}

/**
 * The probe pod: pinned to its node, tolerating every taint, never restarted, with a deadline, no service-account
 * token, read-only host mounts of only what the probe reads, tiny resources. Functional mode adds NET_ADMIN and
 * NET_RAW (its rules go into the pod's own network namespace) and writable scratch dirs for the xtables lock.
 */
export function probePodManifest(input: ProbePodSpecInput): Record<string, unknown> {
  const functional = input.functional !== ''
  const scratch = functional ? [{name: 'run', mountPath: '/run'}, {name: 'tmp', mountPath: '/tmp'}] : []
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: input.name,
      namespace: input.namespace,
      labels: {[MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [RUN_ID_LABEL]: input.runId, [COMPONENT_LABEL]: 'node-probe', [GROUP_LABEL]: input.groupId},
    },
    spec: {
      nodeName: input.node,
      restartPolicy: 'Never',
      activeDeadlineSeconds: input.deadlineSeconds,
      terminationGracePeriodSeconds: 1,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      tolerations: [{operator: 'Exists'}],
      ...(input.imagePullSecret ? {imagePullSecrets: [{name: input.imagePullSecret}]} : {}),
      securityContext: {runAsUser: 0, runAsGroup: 0, runAsNonRoot: false, seccompProfile: {type: 'RuntimeDefault'}},
      containers: [
        {
          name: CONTAINER,
          image: input.image,
          imagePullPolicy: 'IfNotPresent',
          command: ['sh', '-c', input.script, ...probeArgs(input.functional)],
          env: [{name: 'HOST_ROOT', value: HOST_ROOT}],
          terminationMessagePolicy: 'File',
          resources: {requests: {cpu: '10m', memory: '16Mi'}, limits: {cpu: '200m', memory: '64Mi'}},
          securityContext: {
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: {drop: ['ALL'], ...(functional ? {add: ['NET_ADMIN', 'NET_RAW']} : {})},
          },
          volumeMounts: [...HOST_PATHS.map((h) => ({name: h.name, mountPath: `${HOST_ROOT}${h.path}`, readOnly: true})), ...scratch],
        },
      ],
      volumes: [...HOST_PATHS.map((h) => ({name: h.name, hostPath: {path: h.path, type: h.type}})), ...scratch.map((s) => ({name: s.name, emptyDir: {medium: 'Memory', sizeLimit: '1Mi'}}))],
    },
  }
}

export type ProbeProblem = 'image-pull' | 'admission' | 'forbidden' | 'deadline' | 'timeout' | 'failed'

export type PodProbeResult =
  | {readonly ok: true; readonly pod: string; readonly output: string}
  | {readonly ok: false; readonly pod?: string; readonly problem: ProbeProblem; readonly message: string; readonly image?: string; readonly policy?: string; readonly permission?: string}

export interface ProbeTarget {
  readonly groupId: string
  readonly node: string
}

export interface PodProbeOptions {
  readonly runId: string
  readonly image: string
  readonly imagePullSecret?: string
  /** An existing namespace to use (never created or deleted); default: create PROBE_NAMESPACE. */
  readonly namespace?: string
  readonly functional: FunctionalFamilies
  readonly timeoutMs: number
  readonly concurrency: number
  readonly keepProbes: boolean
  readonly signal: AbortSignal
  /** Registers work that must run before exit (delete the pods and the namespace). */
  readonly onCleanup: (fn: () => Promise<void>) => void
  readonly progress?: (text: string) => void
  /** Where notes for the user go (kept probes, slow namespace deletion). */
  readonly notice?: (text: string) => void
}

export interface PodProbeRun {
  readonly results: ReadonlyMap<string, PodProbeResult>
  readonly namespace: string
  readonly podsCreated: number
}

interface PodObject {
  metadata?: {name?: string; labels?: Record<string, string>; resourceVersion?: string; deletionTimestamp?: string}
  spec?: {containers?: Array<{image?: string}>}
  status?: {
    phase?: string
    reason?: string
    message?: string
    containerStatuses?: Array<{
      name?: string
      state?: {waiting?: {reason?: string; message?: string}; terminated?: {exitCode?: number; reason?: string; message?: string}}
    }>
  }
}

/**
 * A run says it is alive with a coordination.k8s.io Lease (`mesh-ready-run-<run id>`, in the probe namespace) that it
 * renews every LEASE_RENEW_SECONDS while its probes exist. `kubectl mesh-ready cleanup` leaves the pods and namespace
 * of a run alone while its lease was renewed within LEASE_DURATION_SECONDS; after that the run is dead (killed, lost
 * its connection) and its objects are leftovers. A run that may not create leases still probes; cleanup then cannot
 * tell it is alive.
 */
export const LEASE_DURATION_SECONDS = 60
export const LEASE_RENEW_SECONDS = 15
export const leaseName = (runId: string) => `mesh-ready-run-${runId}`
export const leasesPath = (ns: string) => `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(ns)}/leases`
/** metav1.MicroTime: RFC 3339 with six fractional digits. */
export const microTime = (date = new Date()) => date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z')

interface HeldLease {
  release(): Promise<void>
}

/** Creates the run's lease and renews it until released; never fails the run (RBAC may refuse leases). */
async function holdLease(client: KubeClient, namespace: string, runId: string): Promise<HeldLease> {
  const name = leaseName(runId)
  const path = `${leasesPath(namespace)}/${name}`
  const now = microTime()
  const body = {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {name, namespace, labels: {[MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [RUN_ID_LABEL]: runId}},
    spec: {holderIdentity: `kubectl-mesh-ready@${hostname()}/${process.pid}`, leaseDurationSeconds: LEASE_DURATION_SECONDS, acquireTime: now, renewTime: now},
  }
  try {
    await client.create(leasesPath(namespace), body)
  } catch {
    return {release: async () => {}}
  }
  let renewing: Promise<unknown> = Promise.resolve()
  const timer = setInterval(() => {
    renewing = client.mergePatch(path, {spec: {renewTime: microTime()}}).catch(() => undefined)
  }, LEASE_RENEW_SECONDS * 1000)
  timer.unref()
  return {
    release: async () => {
      clearInterval(timer)
      await renewing
      await client.delete(path).catch(() => undefined)
    },
  }
}

const podsPath = (ns: string) => `/api/v1/namespaces/${encodeURIComponent(ns)}/pods`
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms)
    signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), {once: true})
  })

/** A 403 from RBAC names a verb; other 403/400/422 answers to a pod create come from admission. */
export function classifyCreateError(error: ApiError, image: string): PodProbeResult {
  if (error.status === 403 && /cannot (create|get|list|watch|delete|patch|update) resource/.test(error.message)) {
    return {ok: false, problem: 'forbidden', permission: error.permission, message: `forbidden: you may not ${error.permission}`}
  }
  if ([400, 403, 422].includes(error.status)) {
    const policy =
      /violates (PodSecurity "[^"]+")/.exec(error.message)?.[1] ??
      /(admission webhook "[^"]+")/.exec(error.message)?.[1] ??
      /(ValidatingAdmissionPolicy '[^']+')/.exec(error.message)?.[1] ??
      /namespace \S+ because it is being terminated/.exec(error.message)?.[0]
    return {ok: false, problem: 'admission', policy: policy ?? 'an admission policy', message: error.message, image}
  }
  return {ok: false, problem: 'failed', message: `the API server answered ${error.status} to ${error.permission}: ${error.message}`}
}

/** What a pod's status says about the probe: done (with a result) or still running (undefined). */
export function podOutcome(pod: PodObject): {state: 'done'; result: PodProbeResult} | {state: 'output'; text: string; exitCode: number; reason?: string} | undefined {
  const name = pod.metadata?.name ?? ''
  const image = pod.spec?.containers?.[0]?.image
  const status = pod.status ?? {}
  const container = status.containerStatuses?.find((c) => c.name === CONTAINER) ?? status.containerStatuses?.[0]
  const waiting = container?.state?.waiting
  if (waiting?.reason && IMAGE_PULL_REASONS.has(waiting.reason)) {
    return {state: 'done', result: {ok: false, pod: name, problem: 'image-pull', image, message: `${waiting.reason}: ${waiting.message ?? 'the image could not be pulled'}`}}
  }
  if (waiting?.reason && START_FAILURE_REASONS.has(waiting.reason)) {
    return {state: 'done', result: {ok: false, pod: name, problem: 'failed', message: `${waiting.reason}: ${waiting.message ?? ''}`.trim()}}
  }
  if (status.phase !== 'Succeeded' && status.phase !== 'Failed') return undefined
  if (status.reason === 'DeadlineExceeded') {
    return {state: 'done', result: {ok: false, pod: name, problem: 'deadline', message: status.message ?? 'the pod ran past its activeDeadlineSeconds'}}
  }
  const terminated = container?.state?.terminated
  return {state: 'output', text: terminated?.message ?? '', exitCode: terminated?.exitCode ?? -1, reason: terminated?.reason}
}

/** Probes started while nodes are still being listed: `add` a target as soon as its group is seen, then `finish`. */
export interface ProbeSession {
  add(target: ProbeTarget): void
  finish(): Promise<PodProbeRun>
}

/**
 * Starts a probe session: the namespace is created with the first target, each target's pod as soon as it is added
 * (bounded concurrency), so probes run while the rest of the node list is still being read. Everything created is
 * registered for deletion before it is created, so success, failure, timeout and signals all end with no pod (and no
 * namespace we made) left behind. The --timeout clock starts here.
 */
export async function startProbeSession(client: KubeClient, options: PodProbeOptions): Promise<ProbeSession> {
  const results = new Map<string, PodProbeResult>()
  const script = await loadProbeScript()
  const signal = AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs)])
  const targets: ProbeTarget[] = []
  const created = new Map<string, string>() // pod name → group id
  const inflight: Promise<unknown>[] = []
  const tasks: Promise<void>[] = []
  const limit = pLimit(Math.max(1, options.concurrency))
  const deadlineSeconds = Math.max(5, Math.ceil((options.timeoutMs / 1000) * 0.75))
  const namespace = options.namespace ?? PROBE_NAMESPACE
  let ready: Promise<PodProbeResult | undefined> | undefined
  let stop: PodProbeResult | undefined
  let lease: Promise<HeldLease> | undefined

  let closing = false
  options.onCleanup(async () => {
    closing = true // no create starts from here on; wait for those under way, so nothing is created after cleanup
    await Promise.allSettled([ready, ...tasks, ...inflight])
    // The run is over either way (also with --keep-probes: what it kept is now cleanup's to remove).
    const held = await lease?.catch(() => undefined)
    await held?.release()
    if (ready === undefined && created.size === 0) return // nothing was ever created
    if (options.keepProbes) {
      if (created.size > 0) options.notice?.(`kept ${created.size} probe pod(s) in namespace ${namespace} (--keep-probes); remove them with: kubectl mesh-ready cleanup`)
      return
    }
    // A namespace we tried to make may exist even if the create's answer was lost: deleteProbes looks it up.
    await deleteProbes(client, namespace, options.runId, [...created.keys()], ready !== undefined, options.notice)
  })

  /** The namespace, made once; a failure is the result of every target. */
  const namespaceReady = (): Promise<PodProbeResult | undefined> => {
    if (options.namespace !== undefined) return Promise.resolve(undefined)
    ready ??= (async () => {
      options.progress?.(`creating namespace ${namespace}`)
      try {
        const made = await ensureNamespace(client, namespace, options.runId, signal)
        return made.ok ? undefined : made.result
      } catch (error) {
        // --timeout ran out while an earlier run's namespace was still terminating: a timeout, not a crash.
        if (signal.aborted && !options.signal.aborted) return {ok: false, problem: 'timeout', message: `namespace ${namespace} was still terminating when --timeout ${Math.round(options.timeoutMs / 1000)}s ran out; try again or pass --probe-namespace`}
        throw error
      }
    })()
    return ready
  }

  const createPod = async (t: ProbeTarget) => {
    if (closing) return
    const failed = await namespaceReady()
    if (failed) stop = failed
    if (signal.aborted || stop || closing) return
    // Before the first pod: cleanup must see this run as alive as soon as it has anything to clean up.
    await (lease ??= holdLease(client, namespace, options.runId))
    if (signal.aborted || closing) return
    const name = `mesh-ready-probe-${options.runId}-${t.groupId}`
    const manifest = probePodManifest({name, namespace, node: t.node, groupId: t.groupId, runId: options.runId, image: options.image, imagePullSecret: options.imagePullSecret, script, functional: options.functional, deadlineSeconds})
    const request = client.create(podsPath(namespace), manifest)
    inflight.push(request.catch(() => undefined))
    created.set(name, t.groupId) // registered before the answer: an interrupted create is still cleaned up
    try {
      await request
    } catch (error) {
      created.delete(name)
      if (!(error instanceof ApiError)) throw error
      const result: PodProbeResult =
        error.status === 404 && options.namespace !== undefined
          ? {ok: false, problem: 'failed', message: `--probe-namespace ${options.namespace} does not exist; create it or leave the flag out`}
          : classifyCreateError(error, options.image)
      results.set(t.groupId, result)
      if (error.status === 404) stop = result
      if (!result.ok && (result.problem === 'forbidden' || result.problem === 'admission')) stop = result // every other pod would get the same answer
    }
  }

  return {
    add(target) {
      targets.push(target)
      const task = limit(() => createPod(target))
      task.catch(() => undefined) // surfaced by finish()
      tasks.push(task)
    },
    async finish() {
      await Promise.all(tasks)
      if (stop) for (const t of targets) if (!results.has(t.groupId)) results.set(t.groupId, stop)
      if (options.signal.aborted) throw options.signal.reason
      const waiting = new Map([...created].filter(([, group]) => !results.has(group)))
      options.progress?.(`waiting for ${waiting.size} probe pod(s)`)
      await waitForPods(client, namespace, options.runId, waiting, results, signal, options.progress)
      if (options.signal.aborted) throw options.signal.reason
      for (const [pod, group] of waiting) {
        if (!results.has(group)) results.set(group, {ok: false, pod, problem: 'timeout', message: `the probe did not finish within --timeout ${Math.round(options.timeoutMs / 1000)}s`})
      }
      return {results, namespace, podsCreated: created.size}
    },
  }
}

async function ensureNamespace(client: KubeClient, name: string, runId: string, signal: AbortSignal): Promise<{ok: true} | {ok: false; result: PodProbeResult}> {
  const body = {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {name, labels: {[MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [RUN_ID_LABEL]: runId, 'pod-security.kubernetes.io/enforce': 'privileged'}},
  }
  while (!signal.aborted) {
    try {
      await client.create('/api/v1/namespaces', body)
      return {ok: true}
    } catch (error) {
      if (!(error instanceof ApiError)) throw error
      if (!isConflict(error)) {
        const result = classifyCreateError(error, '')
        return {ok: false, result: result.ok ? result : {...result, message: `${result.message}; or pass --probe-namespace with a namespace you may create pods in`}}
      }
    }
    // It exists: reuse it unless it is being deleted (a previous run's), then wait for it to go.
    try {
      const existing = await client.get<NamespaceObject>(`/api/v1/namespaces/${name}`, {signal})
      if (!existing.metadata?.deletionTimestamp) return {ok: true}
    } catch (error) {
      if (!(error instanceof ApiError)) throw error
      if (!isNotFound(error)) return {ok: true}
    }
    await sleep(250, signal)
  }
  throw signal.reason
}

async function waitForPods(
  client: KubeClient,
  namespace: string,
  runId: string,
  waiting: ReadonlyMap<string, string>,
  results: Map<string, PodProbeResult>,
  signal: AbortSignal,
  progress?: (text: string) => void,
): Promise<void> {
  const labelSelector = `${RUN_ID_LABEL}=${runId}`
  const pending = new Set(waiting.keys())
  const reading: Promise<void>[] = []
  const settle = (pod: PodObject) => {
    const name = pod.metadata?.name ?? ''
    const group = waiting.get(name)
    if (group === undefined || !pending.has(name)) return
    const outcome = podOutcome(pod)
    if (!outcome) return
    pending.delete(name)
    if (outcome.state === 'done') results.set(group, outcome.result)
    else reading.push(readOutput(client, namespace, name, outcome).then((r) => void results.set(group, r)))
    progress?.(`${waiting.size - pending.size}/${waiting.size} probes finished`)
  }
  // Watch only (no list permission needed): a watch without a resourceVersion starts with every matching pod as
  // ADDED, so each (re)connect also catches up on pods that finished while it was down.
  while (pending.size > 0 && !signal.aborted) {
    const started = Date.now()
    try {
      await client
        .watch<PodObject>(podsPath(namespace), {labelSelector, timeoutSeconds: 60}, (event) => {
          if (event.type === 'DELETED') gone(event.object.metadata?.name ?? '')
          else settle(event.object)
          return pending.size === 0
        }, signal)
        .catch((error: unknown) => {
          if (!(error instanceof ConnectionError)) throw error // a dropped watch: connect again
        })
    } catch (error) {
      if (signal.aborted) break
      if (!(error instanceof ApiError)) throw error
      const result: PodProbeResult = error.status === 403 ? {ok: false, problem: 'forbidden', permission: error.permission, message: `forbidden: you may not ${error.permission}`} : {ok: false, problem: 'failed', message: `waiting for the probes failed: ${error.message}`}
      for (const name of pending) results.set(waiting.get(name)!, {...result, pod: name})
      pending.clear()
    }
    if (pending.size > 0 && Date.now() - started < 1000) await sleep(200, signal) // never spin on a watch that ends at once
  }
  await Promise.all(reading)

  function gone(name: string) {
    if (!pending.delete(name)) return
    results.set(waiting.get(name)!, {ok: false, pod: name, problem: 'failed', message: 'the probe pod was deleted before it finished'})
  }
}

/** The termination message, or the log when the message was cut (4 KiB) or is missing. */
async function readOutput(client: KubeClient, namespace: string, pod: string, out: {text: string; exitCode: number; reason?: string}): Promise<PodProbeResult> {
  if (/\nend\n?$/.test(out.text)) return {ok: true, pod, output: out.text}
  try {
    const log = await client.get<string>(`${podsPath(namespace)}/${pod}/log`, {query: {container: CONTAINER}})
    if (typeof log === 'string' && log.includes('mesh-ready-probe')) return {ok: true, pod, output: log}
    if (out.text) return {ok: true, pod, output: out.text}
    return {ok: false, pod, problem: 'failed', message: `the probe exited ${out.exitCode}${out.reason ? ` (${out.reason})` : ''} without a report${log ? `: ${String(log).trim().split('\n').slice(-1)[0]}` : ''}`}
  } catch (error) {
    if (!(error instanceof ApiError)) throw error
    if (out.text) return {ok: true, pod, output: out.text}
    if (error.status === 403) return {ok: false, pod, problem: 'forbidden', permission: error.permission, message: `the probe's report was cut and its log is forbidden: you may not ${error.permission}`}
    return {ok: false, pod, problem: 'failed', message: `the probe exited ${out.exitCode} without a report, and its log could not be read: ${error.message}`}
  }
}

interface NamespaceObject {
  metadata?: {labels?: Record<string, string>; deletionTimestamp?: string}
}

/**
 * Deletes this run's pods (by name, and by label for any the API created without answering), then the probe
 * namespace if a run of this plugin made it and no other run's probes are still in it: concurrent runs share it,
 * and the last one out removes it.
 */
async function deleteProbes(client: KubeClient, namespace: string, runId: string, names: string[], mayDeleteNamespace: boolean, notice?: (text: string) => void): Promise<void> {
  const all = new Set(names)
  try {
    const list = await client.get<{items?: PodObject[]}>(podsPath(namespace), {query: {labelSelector: `${RUN_ID_LABEL}=${runId}`}})
    for (const p of list.items ?? []) if (p.metadata?.name) all.add(p.metadata.name)
  } catch {
    // listing is only a safety net; the names we created are deleted below either way
  }
  const failures: string[] = []
  const remove = async (path: string, what: string) => {
    try {
      await client.delete(path, {gracePeriodSeconds: 0})
    } catch (error) {
      if (!isNotFound(error)) failures.push(`${what}: ${(error as Error).message}`)
    }
  }
  await Promise.all([...all].map((n) => remove(`${podsPath(namespace)}/${n}`, `pod ${namespace}/${n}`)))
  if (mayDeleteNamespace) {
    const path = `/api/v1/namespaces/${namespace}`
    const existing = await client.get<NamespaceObject>(path).catch((error: unknown) => {
      if (isNotFound(error)) return undefined
      failures.push(`namespace ${namespace}: ${(error as Error).message}`)
      return undefined
    })
    if (existing && existing.metadata?.labels?.[MANAGED_BY_LABEL] === MANAGED_BY_VALUE && !existing.metadata.deletionTimestamp) {
      const others = await client
        .get<{items?: PodObject[]}>(podsPath(namespace), {query: {labelSelector: MANAGED_SELECTOR}})
        .then((list) => (list.items ?? []).filter((p) => !p.metadata?.deletionTimestamp && !all.has(p.metadata?.name ?? '')).length)
        .catch(() => 0)
      if (others > 0) notice?.(`namespace ${namespace} is kept: another run's ${others} probe pod(s) are still in it (that run removes it)`)
      else {
        await remove(path, `namespace ${namespace}`)
        if (!(await gone(client, path, 30_000))) notice?.(`namespace ${namespace} is still terminating; it will be removed by the cluster`)
      }
    }
  }
  if (failures.length > 0) throw new Error(`could not delete ${failures.join('; ')}; remove leftovers with: kubectl mesh-ready cleanup`)
}

async function gone(client: KubeClient, path: string, withinMs: number): Promise<boolean> {
  const until = Date.now() + withinMs
  while (Date.now() < until) {
    try {
      await client.get(path)
    } catch (error) {
      if (isNotFound(error)) return true
      return false
    }
    await sleep(100)
  }
  return false
}

