import {hostname} from 'node:os'
import pLimit from 'p-limit'
import type {KubeClient} from '../kube/client.js'
import {ApiError, ConnectionError, isConflict, isNotFound} from '../kube/errors.js'
import {MANAGED_BY_LABEL, MANAGED_BY_VALUE, RUN_ID_LABEL} from './labels.js'
import type {FunctionalFamilies} from './script.js'
import {functionalFamilies} from './script.js'
import type {FanOut, ProbePlan} from './plan.js'
import {chooseFanOut} from './plan.js'
import type {RunContext} from '../../model/run.js'
import {loadProbeScript, probeArgs} from './script.js'
import {removeRun} from './teardown.js'

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
      ...probeSpecBase(input),
      containers: [probeContainer(input)],
    },
  }
}

export type ProbeDaemonSetInput = Omit<ProbePodSpecInput, 'node' | 'groupId' | 'deadlineSeconds' | 'script'> & {readonly nodes: readonly string[]}

/** Where a DaemonSet's probe pods find the script: the run's ConfigMap (probeScriptConfigMap), mounted read-only. */
const SCRIPT_VOLUME = 'probe-script'
const SCRIPT_DIR = '/mesh-ready'
const SCRIPT_KEY = 'node-probe.sh'

/**
 * The probe script of a DaemonSet fan-out, once for the run: every pod would otherwise carry the 12 KB script in its
 * command, and 5,000 pods with a few status writes each push that through etcd and to every watcher of pods (the
 * kubelets, CNI agents, monitoring). Owned by the DaemonSet, so the garbage collector removes it with it, on every
 * path (the run's teardown, `kubectl mesh-ready cleanup`, a `kubectl delete`).
 */
export function probeScriptConfigMap(input: {
  name: string
  namespace: string
  runId: string
  script: string
  owner: {name: string; uid: string}
}): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: input.name,
      namespace: input.namespace,
      labels: {[MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [RUN_ID_LABEL]: input.runId, [COMPONENT_LABEL]: 'node-probe'},
      ownerReferences: [{apiVersion: 'apps/v1', kind: 'DaemonSet', name: input.owner.name, uid: input.owner.uid, blockOwnerDeletion: false}],
    },
    data: {[SCRIPT_KEY]: input.script},
  }
}

/**
 * The DaemonSet fan-out: the cluster's own controller makes one probe pod per target node (required node affinity on
 * `metadata.name`). A DaemonSet's pods must restart (restartPolicy Always), so the probe is the init container — it
 * runs once and its exit and termination message stay in the pod's status — and the main container only sleeps
 * until the run deletes the DaemonSet. No activeDeadlineSeconds: the run's --timeout bounds it. The script comes from
 * the run's ConfigMap of the same name (probeScriptConfigMap), made right after the DaemonSet.
 */
export function probeDaemonSetManifest(input: ProbeDaemonSetInput): Record<string, unknown> {
  const labels = {[MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [RUN_ID_LABEL]: input.runId, [COMPONENT_LABEL]: 'node-probe'}
  const base = probeSpecBase(input)
  const probe = probeContainer({...input, script: {path: `${SCRIPT_DIR}/${SCRIPT_KEY}`}})
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: {name: input.name, namespace: input.namespace, labels},
    spec: {
      selector: {matchLabels: {[RUN_ID_LABEL]: input.runId, [COMPONENT_LABEL]: 'node-probe'}},
      updateStrategy: {type: 'OnDelete'},
      template: {
        metadata: {labels},
        spec: {
          restartPolicy: 'Always',
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [{matchFields: [{key: 'metadata.name', operator: 'In', values: [...input.nodes]}]}],
              },
            },
          },
          ...base,
          volumes: [...(base.volumes as unknown[]), {name: SCRIPT_VOLUME, configMap: {name: input.name, defaultMode: 0o444}}],
          initContainers: [{...probe, volumeMounts: [...(probe.volumeMounts as unknown[]), {name: SCRIPT_VOLUME, mountPath: SCRIPT_DIR, readOnly: true}]}],
          containers: [
            {
              name: 'idle',
              image: input.image,
              imagePullPolicy: 'IfNotPresent',
              command: ['sleep', '2147483647'],
              resources: {requests: {cpu: '1m', memory: '4Mi'}, limits: {cpu: '10m', memory: '16Mi'}},
              securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: ['ALL']}},
            },
          ],
        },
      },
    },
  }
}

/** What every probe pod shares: tolerations, no token, host mounts, scratch dirs for functional mode. */
function probeSpecBase(input: Pick<ProbePodSpecInput, 'functional' | 'imagePullSecret'>): Record<string, unknown> {
  const scratch = input.functional !== '' ? ['run', 'tmp'] : []
  return {
    terminationGracePeriodSeconds: 1,
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    tolerations: [{operator: 'Exists'}],
    ...(input.imagePullSecret ? {imagePullSecrets: [{name: input.imagePullSecret}]} : {}),
    securityContext: {runAsUser: 0, runAsGroup: 0, runAsNonRoot: false, seccompProfile: {type: 'RuntimeDefault'}},
    volumes: [
      ...HOST_PATHS.map((h) => ({name: h.name, hostPath: {path: h.path, type: h.type}})),
      ...scratch.map((name) => ({name, emptyDir: {medium: 'Memory', sizeLimit: '1Mi'}})),
    ],
  }
}

/** The probe container: the script inline (`sh -c`, a bare pod carries everything it needs) or from a mounted file. */
function probeContainer(input: Pick<ProbePodSpecInput, 'functional' | 'image'> & {script: string | {path: string}}): Record<string, unknown> {
  const functional = input.functional !== ''
  const scratch = functional
    ? [
        {name: 'run', mountPath: '/run'},
        {name: 'tmp', mountPath: '/tmp'},
      ]
    : []
  return {
    name: CONTAINER,
    image: input.image,
    imagePullPolicy: 'IfNotPresent',
    // `sh -c SCRIPT $0 $1…` or `sh FILE $1…` (the file is $0): the same three arguments either way.
    command:
      typeof input.script === 'string'
        ? ['sh', '-c', input.script, ...probeArgs(input.functional)]
        : ['sh', input.script.path, ...probeArgs(input.functional).slice(1)],
    env: [{name: 'HOST_ROOT', value: HOST_ROOT}],
    terminationMessagePolicy: 'File',
    resources: {requests: {cpu: '10m', memory: '16Mi'}, limits: {cpu: '200m', memory: '64Mi'}},
    securityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: {drop: ['ALL'], ...(functional ? {add: ['NET_ADMIN', 'NET_RAW']} : {})},
    },
    volumeMounts: [...HOST_PATHS.map((h) => ({name: h.name, mountPath: `${HOST_ROOT}${h.path}`, readOnly: true})), ...scratch],
  }
}

export type ProbeProblem = 'image-pull' | 'admission' | 'forbidden' | 'deadline' | 'timeout' | 'failed'

export type PodProbeResult =
  | {readonly ok: true; readonly pod: string; readonly output: string}
  | {
      readonly ok: false
      readonly pod?: string
      readonly problem: ProbeProblem
      readonly message: string
      readonly image?: string
      readonly policy?: string
      readonly permission?: string
    }

export interface ProbeTarget {
  readonly groupId: string
  readonly node: string
}

/** A probe session: the plan from the flags, this run's id, and whether targets are single nodes (lets `auto` pick a DaemonSet). */
export interface PodProbeOptions extends ProbePlan, RunContext {
  readonly runId: string
  readonly nodeLevel: boolean
}

export interface PodProbeRun {
  readonly results: ReadonlyMap<string, PodProbeResult>
  readonly namespace: string
  /** Probe pods this run created itself (0 with a DaemonSet: its controller makes them). */
  readonly podsCreated: number
  readonly fanOut: FanOut
  /** The DaemonSet of a DaemonSet fan-out. */
  readonly daemonSet?: string
}

interface ContainerStatusObject {
  name?: string
  image?: string
  state?: {waiting?: {reason?: string; message?: string}; terminated?: {exitCode?: number; reason?: string; message?: string}}
  lastState?: {terminated?: {exitCode?: number; reason?: string; message?: string}}
}

interface PodObject {
  metadata?: {name?: string; labels?: Record<string, string>; resourceVersion?: string; deletionTimestamp?: string}
  spec?: {nodeName?: string; containers?: Array<{image?: string}>}
  status?: {
    phase?: string
    reason?: string
    message?: string
    initContainerStatuses?: ContainerStatusObject[]
    containerStatuses?: ContainerStatusObject[]
  }
}

export const daemonSetName = (runId: string) => `mesh-ready-probe-${runId}`
const daemonSetsPath = (ns: string) => `/apis/apps/v1/namespaces/${encodeURIComponent(ns)}/daemonsets`

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
  if ([400, 403, 422].includes(error.status)) return classifyRefusal(error.message, image)
  return {ok: false, problem: 'failed', message: `the API server answered ${error.status} to ${error.permission}: ${error.message}`}
}

/** An admission refusal, named by the policy that refused it. */
function classifyRefusal(message: string, image: string): PodProbeResult {
  const policy =
    /violates (PodSecurity "[^"]+")/.exec(message)?.[1] ??
    /(admission webhook "[^"]+")/.exec(message)?.[1] ??
    /(ValidatingAdmissionPolicy '[^']+')/.exec(message)?.[1] ??
    /namespace \S+ because it is being terminated/.exec(message)?.[0]
  return {ok: false, problem: 'admission', policy: policy ?? 'an admission policy', message, image}
}

/** What a pod's status says about the probe: done (with a result) or still running (undefined). */
export function podOutcome(
  pod: PodObject,
): {state: 'done'; result: PodProbeResult} | {state: 'output'; text: string; exitCode: number; reason?: string} | undefined {
  const name = pod.metadata?.name ?? ''
  const image = pod.spec?.containers?.[0]?.image
  const status = pod.status ?? {}
  // The probe is the only container of a bare probe pod, and the init container of a DaemonSet's.
  const statuses = [...(status.initContainerStatuses ?? []), ...(status.containerStatuses ?? [])]
  const container = statuses.find((c) => c.name === CONTAINER) ?? status.containerStatuses?.[0]
  const waiting = container?.state?.waiting
  if (waiting?.reason && IMAGE_PULL_REASONS.has(waiting.reason)) {
    return {
      state: 'done',
      result: {ok: false, pod: name, problem: 'image-pull', image, message: `${waiting.reason}: ${waiting.message ?? 'the image could not be pulled'}`},
    }
  }
  if (waiting?.reason && START_FAILURE_REASONS.has(waiting.reason)) {
    return {state: 'done', result: {ok: false, pod: name, problem: 'failed', message: `${waiting.reason}: ${waiting.message ?? ''}`.trim()}}
  }
  if (status.phase === 'Failed' && status.reason === 'DeadlineExceeded') {
    return {state: 'done', result: {ok: false, pod: name, problem: 'deadline', message: status.message ?? 'the pod ran past its activeDeadlineSeconds'}}
  }
  // A DaemonSet's pod never ends: its probe (init container) is done once it has exited, even if it is then restarted.
  const terminated = container?.state?.terminated ?? container?.lastState?.terminated
  if (status.phase !== 'Succeeded' && status.phase !== 'Failed' && !terminated) return undefined
  return {state: 'output', text: terminated?.message ?? '', exitCode: terminated?.exitCode ?? -1, reason: terminated?.reason}
}

/** Probes started while nodes are still being listed: `add` a target as soon as its group is seen, then `finish`. */
export interface ProbeSession {
  add(target: ProbeTarget): void
  finish(): Promise<PodProbeRun>
}

/**
 * Starts a probe session. With bare pods, the namespace is created with the first target and each target's pod as soon
 * as it is added (bounded concurrency), so probes run while the rest of the node list is still being read. With a
 * DaemonSet (chosen when the node list is complete), one DaemonSet names every target node and the cluster's
 * controller makes the pods. Everything created is registered for deletion before it is created, so success, failure,
 * timeout and signals all end with no pod, DaemonSet (or namespace we made) left behind. The --timeout clock starts here.
 */
export async function startProbeSession(client: KubeClient, options: PodProbeOptions): Promise<ProbeSession> {
  const results = new Map<string, PodProbeResult>()
  const script = await loadProbeScript()
  // A timer of our own, not AbortSignal.timeout: inside AbortSignal.any, Node may garbage-collect a timeout signal
  // before it fires (nodejs/node#57736), and a busy run (5,000 pods) would then wait past --timeout forever.
  const deadline = new AbortController()
  const timer = setTimeout(() => deadline.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), options.timeoutMs)
  timer.unref()
  const signal = AbortSignal.any([options.signal, deadline.signal])
  const targets: ProbeTarget[] = []
  const created = new Map<string, string>() // pod name → group id
  const inflight: Promise<unknown>[] = []
  const tasks: Promise<void>[] = []
  const limit = pLimit(Math.max(1, options.concurrency))
  const deadlineSeconds = Math.max(5, Math.ceil((options.timeoutMs / 1000) * 0.75))
  const namespace = options.namespace ?? PROBE_NAMESPACE
  const dsName = daemonSetName(options.runId)
  // Pods start streaming unless a DaemonSet is possible: then the choice waits for the whole node list.
  let fanOut: FanOut | undefined = options.fanOut === 'pods' || (options.fanOut === 'auto' && !options.nodeLevel) ? 'pods' : undefined
  let dsAttempted = false
  let ready: Promise<PodProbeResult | undefined> | undefined
  let stop: PodProbeResult | undefined
  let lease: Promise<HeldLease> | undefined

  let closing = false
  options.onCleanup(async () => {
    clearTimeout(timer)
    closing = true // no create starts from here on; wait for those under way, so nothing is created after cleanup
    await Promise.allSettled([ready, ...tasks, ...inflight])
    // The run is over either way (also with --keep-probes: what it kept is now cleanup's to remove).
    const held = await lease?.catch(() => undefined)
    await held?.release()
    if (ready === undefined && created.size === 0 && !dsAttempted) return // nothing was ever created
    if (options.keepProbes) {
      if (dsAttempted)
        options.notice?.(`kept DaemonSet ${namespace}/${dsName} and its probe pods (--keep-probes); remove them with: kubectl mesh-ready cleanup`)
      else if (created.size > 0)
        options.notice?.(`kept ${created.size} probe pod(s) in namespace ${namespace} (--keep-probes); remove them with: kubectl mesh-ready cleanup`)
      return
    }
    // A namespace we tried to make may exist even if the create's answer was lost: removeRun looks it up.
    await removeRun(client, {
      namespace,
      runId: options.runId,
      pods: [...created.keys()],
      daemonSet: dsAttempted ? dsName : undefined,
      mayDeleteNamespace: ready !== undefined,
      notice: options.notice,
    })
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
        if (signal.aborted && !options.signal.aborted)
          return {
            ok: false,
            problem: 'timeout',
            message: `namespace ${namespace} was still terminating when --timeout ${Math.round(options.timeoutMs / 1000)}s ran out; try again or pass --probe-namespace`,
          }
        throw error
      }
    })()
    return ready
  }

  /** Namespace, then the run's lease (cleanup must see the run as alive before it has anything to clean up). */
  const prepared = async (): Promise<boolean> => {
    const failed = await namespaceReady()
    if (failed) stop = failed
    if (signal.aborted || stop || closing) return false
    lease ??= holdLease(client, namespace, options.runId)
    await lease
    return !signal.aborted && !closing
  }

  /** A refused create: the result of this target, or of every target when each would get the same answer. */
  const refused = (error: unknown): PodProbeResult => {
    if (!(error instanceof ApiError)) throw error
    const result: PodProbeResult =
      error.status === 404 && options.namespace !== undefined
        ? {ok: false, problem: 'failed', message: `--probe-namespace ${options.namespace} does not exist; create it or leave the flag out`}
        : classifyCreateError(error, options.image)
    if (error.status === 404 || (!result.ok && (result.problem === 'forbidden' || result.problem === 'admission'))) stop = result
    return result
  }

  const createPod = async (t: ProbeTarget) => {
    if (closing || !(await prepared())) return
    const name = `mesh-ready-probe-${options.runId}-${t.groupId}`
    const manifest = probePodManifest({
      name,
      namespace,
      node: t.node,
      groupId: t.groupId,
      runId: options.runId,
      image: options.image,
      imagePullSecret: options.imagePullSecret,
      script,
      functional: functionalFamilies(options.functional),
      deadlineSeconds,
    })
    const request = client.create(podsPath(namespace), manifest)
    inflight.push(request.catch(() => undefined))
    created.set(name, t.groupId) // registered before the answer: an interrupted create is still cleaned up
    try {
      await request
    } catch (error) {
      created.delete(name)
      results.set(t.groupId, refused(error))
    }
  }

  const createDaemonSet = async (): Promise<boolean> => {
    if (closing || !(await prepared())) return false
    const manifest = probeDaemonSetManifest({
      name: dsName,
      namespace,
      runId: options.runId,
      nodes: targets.map((t) => t.node),
      image: options.image,
      imagePullSecret: options.imagePullSecret,
      functional: functionalFamilies(options.functional),
    })
    options.progress?.(`creating DaemonSet ${dsName} for ${targets.length} nodes`)
    dsAttempted = true // registered before the answer, like a pod
    const request = client.create<{metadata?: {uid?: string}}>(daemonSetsPath(namespace), manifest)
    inflight.push(request.catch(() => undefined))
    try {
      const made = await request
      // Cleanup has begun (a signal, --timeout): it deletes the DaemonSet; nothing more is created.
      if (closing) return false
      // Its pods wait for the script volume (the kubelet retries the mount) until this exists, a moment later.
      const configMap = probeScriptConfigMap({name: dsName, namespace, runId: options.runId, script, owner: {name: dsName, uid: made.metadata?.uid ?? ''}})
      const scriptRequest = client.create(`/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps`, configMap)
      inflight.push(scriptRequest.catch(() => undefined)) // a cleanup that starts now waits for it before deleting the owner
      await scriptRequest
      return true
    } catch (error) {
      stop = refused(error)
      return false
    }
  }

  const startPod = (target: ProbeTarget) => {
    const task = limit(() => createPod(target))
    task.catch(() => undefined) // surfaced by finish()
    tasks.push(task)
  }

  const timedOut = (pod: string | undefined): PodProbeResult => ({
    ok: false,
    ...(pod ? {pod} : {}),
    problem: 'timeout',
    message: `the probe did not finish within --timeout ${Math.round(options.timeoutMs / 1000)}s`,
  })

  return {
    add(target) {
      targets.push(target)
      if (fanOut === 'pods') startPod(target)
      else if (!closing) void namespaceReady().catch(() => undefined) // overlap the namespace with the rest of the listing
    },
    async finish() {
      fanOut ??= chooseFanOut(options.fanOut, options.nodeLevel, targets.length)
      if (fanOut === 'daemonset') {
        const made = targets.length > 0 && (await createDaemonSet())
        if (options.signal.aborted) throw options.signal.reason
        if (!made) for (const t of targets) results.set(t.groupId, stop ?? timedOut(undefined))
        else {
          const waiting = new Map(targets.map((t) => [t.node, t.groupId]))
          options.progress?.(`waiting for ${waiting.size} probe pod(s) of DaemonSet ${dsName}`)
          await waitForPods(client, namespace, options.runId, {
            by: 'node',
            waiting,
            results,
            signal,
            concurrency: options.concurrency,
            daemonSet: dsName,
            progress: options.progress,
          })
          if (options.signal.aborted) throw options.signal.reason
          for (const [, group] of waiting) if (!results.has(group)) results.set(group, timedOut(undefined))
        }
        return {results, namespace, podsCreated: 0, fanOut, daemonSet: dsName}
      }
      if (tasks.length < targets.length) for (const t of targets.slice(tasks.length)) startPod(t)
      await Promise.all(tasks)
      if (stop) for (const t of targets) if (!results.has(t.groupId)) results.set(t.groupId, stop)
      if (options.signal.aborted) throw options.signal.reason
      const waiting = new Map([...created].filter(([, group]) => !results.has(group)))
      options.progress?.(`waiting for ${waiting.size} probe pod(s)`)
      await waitForPods(client, namespace, options.runId, {by: 'name', waiting, results, signal, concurrency: options.concurrency, progress: options.progress})
      if (options.signal.aborted) throw options.signal.reason
      for (const [pod, group] of waiting) if (!results.has(group)) results.set(group, timedOut(pod))
      return {results, namespace, podsCreated: created.size, fanOut}
    },
  }
}

async function ensureNamespace(
  client: KubeClient,
  name: string,
  runId: string,
  signal: AbortSignal,
): Promise<{ok: true} | {ok: false; result: PodProbeResult}> {
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
        return {
          ok: false,
          result: result.ok ? result : {...result, message: `${result.message}; or pass --probe-namespace with a namespace you may create pods in`},
        }
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

interface WaitOptions {
  /** What `waiting` is keyed by: the pod's name (bare pods) or its node (a DaemonSet's pods, named by the controller). */
  readonly by: 'name' | 'node'
  readonly waiting: ReadonlyMap<string, string>
  readonly results: Map<string, PodProbeResult>
  readonly signal: AbortSignal
  /** Logs read at a time. */
  readonly concurrency: number
  /** A DaemonSet fan-out: pods its controller could not create are found in its FailedCreate events. */
  readonly daemonSet?: string
  readonly progress?: (text: string) => void
}

interface EventObject {
  reason?: string
  message?: string
}

async function waitForPods(client: KubeClient, namespace: string, runId: string, options: WaitOptions): Promise<void> {
  const {waiting, results, by} = options
  const labelSelector = `${RUN_ID_LABEL}=${runId}`
  const pending = new Set(waiting.keys())
  const seen = new Set<string>()
  const reading: Promise<void>[] = []
  const readLimit = pLimit(Math.max(1, options.concurrency))
  const done = new AbortController()
  const signal = AbortSignal.any([options.signal, done.signal])
  const keyOf = (pod: PodObject) => (by === 'name' ? pod.metadata?.name : pod.spec?.nodeName) ?? ''
  const finished = () => {
    options.progress?.(`${waiting.size - pending.size}/${waiting.size} probes finished`)
    if (pending.size === 0) done.abort()
  }
  const settle = (pod: PodObject) => {
    const key = keyOf(pod)
    const group = waiting.get(key)
    if (group === undefined || !pending.has(key)) return
    seen.add(key)
    const outcome = podOutcome(pod)
    if (!outcome) return
    pending.delete(key)
    const name = pod.metadata?.name ?? ''
    if (outcome.state === 'done') results.set(group, outcome.result)
    else reading.push(readLimit(() => readOutput(client, namespace, name, outcome)).then((r) => void results.set(group, r)))
    finished()
  }
  const fail = (result: PodProbeResult, keys: Iterable<string>) => {
    for (const key of [...keys]) {
      if (!pending.delete(key)) continue
      results.set(waiting.get(key)!, by === 'name' ? {...result, pod: key} : result)
    }
    finished()
  }
  const failedCreates = options.daemonSet
    ? watchFailedCreates(client, namespace, options.daemonSet, signal, (result) =>
        fail(
          result,
          [...pending].filter((k) => !seen.has(k)),
        ),
      )
    : undefined
  // Watch only (no list permission needed): a watch without a resourceVersion starts with every matching pod as
  // ADDED, so each (re)connect also catches up on pods that finished while it was down.
  while (pending.size > 0 && !signal.aborted) {
    const started = Date.now()
    try {
      await client
        .watch<PodObject>(
          podsPath(namespace),
          {labelSelector, timeoutSeconds: 60},
          (event) => {
            // A DaemonSet's controller replaces a deleted pod; a bare pod that is deleted will not finish.
            if (event.type === 'DELETED') {
              if (by === 'name') fail({ok: false, problem: 'failed', message: 'the probe pod was deleted before it finished'}, [keyOf(event.object)])
            } else settle(event.object)
            return pending.size === 0
          },
          signal,
        )
        .catch((error: unknown) => {
          if (!(error instanceof ConnectionError)) throw error // a dropped watch: connect again
        })
    } catch (error) {
      if (signal.aborted) break
      if (!(error instanceof ApiError)) throw error
      fail(
        error.status === 403
          ? {ok: false, problem: 'forbidden', permission: error.permission, message: `forbidden: you may not ${error.permission}`}
          : {ok: false, problem: 'failed', message: `waiting for the probes failed: ${error.message}`},
        pending,
      )
    }
    if (pending.size > 0 && Date.now() - started < 1000) await sleep(200, signal) // never spin on a watch that ends at once
  }
  done.abort()
  await failedCreates
  await Promise.all(reading)
}

/**
 * A DaemonSet's pods that admission refuses never appear; the controller records each refusal as a FailedCreate
 * Event on the DaemonSet. Polled every second until the wait ends; the first one fails every target without a pod.
 */
async function watchFailedCreates(
  client: KubeClient,
  namespace: string,
  name: string,
  signal: AbortSignal,
  refused: (result: PodProbeResult) => void,
): Promise<void> {
  const fieldSelector = `involvedObject.kind=DaemonSet,involvedObject.name=${name},reason=FailedCreate`
  while (!signal.aborted) {
    await sleep(1000, signal)
    if (signal.aborted) return
    try {
      const list = await client.get<{items?: EventObject[]}>(`/api/v1/namespaces/${encodeURIComponent(namespace)}/events`, {
        query: {fieldSelector, limit: 1},
        signal,
      })
      const message = list.items?.[0]?.message
      if (message) {
        const result = classifyRefusal(message.replace(/^Error creating: /, ''), '')
        refused(result.ok ? result : {...result, message: `the DaemonSet's controller could not create probe pods: ${result.message}`})
        return
      }
    } catch (error) {
      if (signal.aborted) return
      if (!(error instanceof ApiError)) throw error
      return // events are a diagnosis only: without them the run waits for --timeout
    }
  }
}

/** The termination message, or the log when the message was cut (4 KiB) or is missing. */
async function readOutput(client: KubeClient, namespace: string, pod: string, out: {text: string; exitCode: number; reason?: string}): Promise<PodProbeResult> {
  if (/\nend\n?$/.test(out.text)) return {ok: true, pod, output: out.text}
  try {
    const log = await client.get<string>(`${podsPath(namespace)}/${pod}/log`, {query: {container: CONTAINER}})
    if (typeof log === 'string' && log.includes('mesh-ready-probe')) return {ok: true, pod, output: log}
    if (out.text) return {ok: true, pod, output: out.text}
    return {
      ok: false,
      pod,
      problem: 'failed',
      message: `the probe exited ${out.exitCode}${out.reason ? ` (${out.reason})` : ''} without a report${log ? `: ${String(log).trim().split('\n').slice(-1)[0]}` : ''}`,
    }
  } catch (error) {
    if (!(error instanceof ApiError)) throw error
    if (out.text) return {ok: true, pod, output: out.text}
    if (error.status === 403)
      return {
        ok: false,
        pod,
        problem: 'forbidden',
        permission: error.permission,
        message: `the probe's report was cut and its log is forbidden: you may not ${error.permission}`,
      }
    return {ok: false, pod, problem: 'failed', message: `the probe exited ${out.exitCode} without a report, and its log could not be read: ${error.message}`}
  }
}

interface NamespaceObject {
  metadata?: {labels?: Record<string, string>; deletionTimestamp?: string}
}
