// The fake kubelet: "runs" pods bound to the nodes a scenario lists under `kubelet.nodes` by
// executing their init containers' commands one after another, then their first container's command
// on this machine, and reports status like a kubelet (Pending/ContainerCreating, Init:N/M, image pull
// failures, Running, Succeeded/Failed with termination messages, init container restarts under
// restartPolicy Always/OnFailure, activeDeadlineSeconds), logs and Events.
import {spawn, type ChildProcess} from 'node:child_process'
import {createHash} from 'node:crypto'
import {mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {isAbsolute, join, resolve} from 'node:path'
import type {KubeletConfig} from './scenario.js'
import type {Store, StoreEvent} from './store.js'
import type {Container, ContainerState, ContainerStatus, KubeObject, Node, Pod, PodCondition, PodStatus} from './types.js'
import {getPath, globMatch, repoRoot, timestamp} from './util.js'

export const DEADLINE_MESSAGE = 'Pod was active on the node longer than the specified deadline'
const MAX_TERMINATION_MESSAGE = 4096
const FALLBACK_LOG_LINES = 80
const FALLBACK_LOG_BYTES = 2048
const MAX_LOG_BYTES = 16 * 1024 * 1024
/** The kubelet's first crash-loop back-off (it doubles up to five minutes). */
const DEFAULT_RESTART_BACKOFF_MS = 10_000

/** Pod QoS class as the API server computes it on create. */
export function qosClass(pod: Pod): string {
  const containers = [...(pod.spec.containers ?? []), ...(pod.spec.initContainers ?? [])]
  let any = false
  let guaranteed = containers.length > 0
  for (const c of containers) {
    const req = c.resources?.requests ?? {}
    const lim = c.resources?.limits ?? {}
    if (Object.keys(req).length || Object.keys(lim).length) any = true
    for (const r of ['cpu', 'memory']) {
      if (!lim[r] || (req[r] !== undefined && req[r] !== lim[r])) guaranteed = false
    }
  }
  if (!any) return 'BestEffort'
  return guaranteed ? 'Guaranteed' : 'Burstable'
}

export interface LogOptions {
  tailLines?: number
  timestamps?: boolean
  limitBytes?: number
  sinceSeconds?: number
}

/** A container's log: complete lines with the time they arrived, plus a trailing partial line. */
export class LogBuffer {
  private lines: Array<{at: number; text: string}> = []
  private partial = ''
  private partialAt = 0
  private bytes = 0
  private readonly listeners = new Set<(chunk: string | null) => void>()
  closed = false

  append(chunk: string): void {
    const now = Date.now()
    const parts = (this.partial + chunk).split('\n')
    if (!this.partial) this.partialAt = now
    this.partial = parts.pop() ?? ''
    for (const text of parts) {
      this.lines.push({at: this.partialAt || now, text})
      this.bytes += text.length + 1
      this.partialAt = now
    }
    while (this.bytes > MAX_LOG_BYTES && this.lines.length) this.bytes -= this.lines.shift()!.text.length + 1
    for (const l of this.listeners) l(chunk)
  }

  close(): void {
    this.closed = true
    for (const l of this.listeners) l(null)
    this.listeners.clear()
  }

  /** Calls back with each appended chunk, and with null once the container has exited. */
  follow(listener: (chunk: string | null) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  text(opts: LogOptions = {}): string {
    let entries = this.partial ? [...this.lines, {at: this.partialAt, text: this.partial, partial: true}] : this.lines
    if (opts.sinceSeconds !== undefined) entries = entries.filter((e) => e.at >= Date.now() - opts.sinceSeconds! * 1000)
    if (opts.tailLines !== undefined) entries = opts.tailLines <= 0 ? [] : entries.slice(-opts.tailLines)
    let out = entries
      .map((e) => (opts.timestamps ? `${new Date(e.at).toISOString().replace('Z', '000000Z')} ` : '') + e.text + ('partial' in e ? '' : '\n'))
      .join('')
    if (opts.limitBytes !== undefined) out = Buffer.from(out).subarray(0, opts.limitBytes).toString()
    return out
  }

  /** What kubelet puts in a termination message for FallbackToLogsOnError. */
  tailForTermination(): string {
    const lines = this.text().split('\n')
    if (lines[lines.length - 1] === '') lines.pop()
    const tail = Buffer.from(lines.slice(-FALLBACK_LOG_LINES).join('\n'))
    return tail.subarray(Math.max(0, tail.length - FALLBACK_LOG_BYTES)).toString()
  }
}

interface ContainerRun {
  name: string
  image: string
  state: ContainerState
  ready: boolean
  started: boolean
  containerID?: string
  imageID?: string
  log: LogBuffer
  restartCount: number
  lastState?: ContainerState
}

interface PodRun {
  uid: string
  namespace: string
  name: string
  nodeName: string
  hostRoot: string
  hostIP: string
  podIP: string
  startTime: string
  dir: string
  phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed'
  reason?: string
  message?: string
  initContainers: ContainerRun[]
  /** How many init containers have completed (all of them: the pod is Initialized). */
  initialized: number
  containers: ContainerRun[]
  restartPolicy: 'Always' | 'OnFailure' | 'Never'
  qos: string
  timers: Set<NodeJS.Timeout>
  child?: ChildProcess | undefined
  done: boolean
  executed?: ContainerRun
}

function imageRef(image: string): string {
  let ref = image
  const firstPart = ref.split('/')[0]!
  const hasRegistry = ref.includes('/') && (firstPart.includes('.') || firstPart.includes(':') || firstPart === 'localhost')
  if (!hasRegistry) ref = `docker.io/${ref.includes('/') ? '' : 'library/'}${ref}`
  const last = ref.split('/').pop()!
  if (!last.includes(':') && !last.includes('@')) ref += ':latest'
  return ref
}

function fakeDigest(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}

export class Kubelet {
  private readonly runs = new Map<string, PodRun>()
  private readonly ipCounters = new Map<string, number>()
  private unsubscribe?: () => void
  private stopped = false

  constructor(
    private readonly store: Store,
    private readonly config: KubeletConfig,
    private readonly workDir: string,
  ) {}

  start(): void {
    this.unsubscribe = this.store.subscribe((e) => {
      if (e.resource === 'pods') this.onPodEvent(e)
    })
  }

  /** Kills every running container process and cancels pending work. */
  async stop(): Promise<void> {
    this.stopped = true
    this.unsubscribe?.()
    await Promise.all([...this.runs.values()].map((r) => this.teardown(r)))
    this.runs.clear()
  }

  /** The log of a container the kubelet runs (undefined for pods it does not run). */
  log(uid: string | undefined, container: string): LogBuffer | undefined {
    const run = uid ? this.runs.get(uid) : undefined
    return run ? [...run.initContainers, ...run.containers].find((c) => c.name === container)?.log : undefined
  }

  /** Whether the kubelet runs this pod (so its log is authoritative). */
  manages(uid: string | undefined): boolean {
    return uid !== undefined && this.runs.has(uid)
  }

  /** The host root for a node: an exact name entry, else the first matching glob. */
  private hostRootFor(nodeName: string): string | undefined {
    const nodes = this.config.nodes ?? {}
    const entry = nodes[nodeName] ?? Object.entries(nodes).find(([pattern]) => globMatch(pattern, nodeName))?.[1]
    if (!entry) return undefined
    return isAbsolute(entry.hostRoot) ? entry.hostRoot : resolve(repoRoot(), entry.hostRoot)
  }

  private onPodEvent(e: StoreEvent): void {
    const pod = e.object as Pod
    const uid = pod.metadata.uid ?? ''
    if (e.type === 'DELETED') {
      const run = this.runs.get(uid)
      if (run) {
        this.runs.delete(uid)
        void this.teardown(run)
      }
      return
    }
    if (this.runs.has(uid) || this.stopped) return
    const nodeName = pod.spec?.nodeName
    if (!nodeName) return
    if (e.type === 'MODIFIED' && (e.previous as Pod | undefined)?.spec?.nodeName) return
    const phase = pod.status?.phase
    if (phase === 'Succeeded' || phase === 'Failed') return
    const node = this.store.get('nodes', nodeName) as Node | undefined
    const hostRoot = this.hostRootFor(nodeName)
    if (!node || !hostRoot) return
    this.begin(pod, node, hostRoot)
  }

  private allocateIP(node: Node, pod: Pod, hostIP: string): string {
    if (pod.spec.hostNetwork) return hostIP
    const cidr = node.spec?.podCIDR ?? node.spec?.podCIDRs?.[0] ?? '10.244.0.0/24'
    const base = cidr.split('/')[0]!.split('.').map(Number)
    const n = (this.ipCounters.get(node.metadata.name ?? '') ?? 100) + 1
    this.ipCounters.set(node.metadata.name ?? '', n)
    return `${base[0]}.${base[1]}.${base[2]}.${(n % 250) + 2}`
  }

  private begin(pod: Pod, node: Node, hostRoot: string): void {
    const uid = pod.metadata.uid!
    const dir = join(this.workDir, 'pods', uid)
    const hostIP = node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address ?? '172.18.0.2'
    const run: PodRun = {
      uid,
      namespace: pod.metadata.namespace ?? 'default',
      name: pod.metadata.name ?? '',
      nodeName: node.metadata.name ?? '',
      hostRoot,
      hostIP,
      podIP: this.allocateIP(node, pod, hostIP),
      startTime: timestamp(),
      dir,
      phase: 'Pending',
      initContainers: (pod.spec.initContainers ?? []).map((c) => containerRun(c, 'PodInitializing')),
      initialized: 0,
      containers: (pod.spec.containers ?? []).map((c) => containerRun(c, (pod.spec.initContainers ?? []).length > 0 ? 'PodInitializing' : 'ContainerCreating')),
      restartPolicy: pod.spec.restartPolicy ?? 'Always',
      qos: qosClass(pod),
      timers: new Set(),
      done: false,
    }
    this.runs.set(uid, run)
    // Status writes are deferred: this runs inside the store's notification of the pod's creation.
    this.after(run, 0, () => this.publish(run))
    const deadline = pod.spec.activeDeadlineSeconds
    if (typeof deadline === 'number') this.after(run, deadline * 1000, () => this.deadlineExceeded(run))
    this.after(run, this.config.startDelayMs ?? 10, () => this.startContainers(run, pod))
  }

  /** A simulated container's output: simulatedMessage, also appended to its log. */
  private simulated(c: ContainerRun): string {
    const message = this.config.simulatedMessage ?? ''
    if (message) c.log.append(message)
    return message
  }

  private after(run: PodRun, ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      run.timers.delete(t)
      if (!run.done) fn()
    }, ms)
    run.timers.add(t)
  }

  private event(run: PodRun, type: 'Normal' | 'Warning', reason: string, message: string, container?: string): void {
    if (this.config.simulateOnly) return
    const now = timestamp()
    const pod = this.store.get('pods', run.namespace, run.name)
    const ev: KubeObject = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: {name: `${run.name}.${eventSuffix()}`, namespace: run.namespace},
      involvedObject: {
        kind: 'Pod',
        namespace: run.namespace,
        name: run.name,
        uid: run.uid,
        apiVersion: 'v1',
        resourceVersion: pod?.metadata.resourceVersion,
        ...(container ? {fieldPath: `spec.containers{${container}}`} : {}),
      },
      reason,
      message,
      source: {component: 'kubelet', host: run.nodeName},
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      type,
      eventTime: null,
      reportingComponent: 'kubelet',
      reportingInstance: run.nodeName,
    }
    this.store.put('events', ev)
  }

  private startContainers(run: PodRun, pod: Pod): void {
    const failures = this.config.imagePullFailures ?? []
    const failing = [...run.initContainers, ...run.containers].find((c) => failures.some((p) => globMatch(p, c.image) || globMatch(p, imageRef(c.image))))
    if (failing) {
      const ref = imageRef(failing.image)
      const err = `rpc error: code = NotFound desc = failed to pull and unpack image "${ref}": failed to resolve reference "${ref}": ${ref}: not found`
      this.event(run, 'Normal', 'Pulling', `Pulling image "${failing.image}"`, failing.name)
      this.event(run, 'Warning', 'Failed', `Failed to pull image "${failing.image}": ${err}`, failing.name)
      this.event(run, 'Warning', 'Failed', 'Error: ErrImagePull', failing.name)
      failing.state = {waiting: {reason: 'ErrImagePull', message: err}}
      this.publish(run)
      this.after(run, Math.max(50, this.config.startDelayMs ?? 10), () => {
        this.event(run, 'Normal', 'BackOff', `Back-off pulling image "${failing.image}"`, failing.name)
        this.event(run, 'Warning', 'Failed', 'Error: ImagePullBackOff', failing.name)
        failing.state = {waiting: {reason: 'ImagePullBackOff', message: `Back-off pulling image "${failing.image}"`}}
        this.publish(run)
      })
      return
    }
    if (run.initContainers.length > 0) this.runInit(run, pod)
    else this.startMain(run, pod)
  }

  /** Runs the next init container; the pod stays Pending until every one has exited 0. */
  private runInit(run: PodRun, pod: Pod): void {
    const c = run.initContainers[run.initialized]!
    const spec = pod.spec.initContainers![run.initialized]!
    this.started(run, c)
    c.ready = false
    this.publish(run)
    const done = (exitCode: number, signal: NodeJS.Signals | undefined, message: string, reason?: string) =>
      this.initExited(run, pod, c, exitCode, signal, message, reason)
    if (this.config.simulateOnly) {
      this.after(run, this.config.runDelayMs ?? 0, () => done(0, undefined, this.simulated(c)))
      return
    }
    const argv = [...(spec.command ?? []), ...(spec.args ?? [])]
    if (argv.length === 0) this.after(run, 0, () => done(0, undefined, ''))
    else this.exec(run, pod, spec, c, argv, done)
  }

  private initExited(run: PodRun, pod: Pod, c: ContainerRun, exitCode: number, signal: NodeJS.Signals | undefined, message: string, reason?: string): void {
    c.state = {terminated: terminatedState(c, exitCode, signal, message, reason)}
    c.started = false
    if (exitCode === 0) {
      c.ready = true
      run.initialized++
      if (run.initialized < run.initContainers.length) this.runInit(run, pod)
      else this.startMain(run, pod)
      return
    }
    if (run.restartPolicy === 'Never') {
      for (const other of run.containers)
        other.state = {terminated: {exitCode: 0, reason: 'ContainerStatusUnknown', message: 'The container could not be located when the pod was terminated'}}
      run.phase = 'Failed'
      this.complete(run)
      return
    }
    // Always / OnFailure: the init container is restarted after a back-off that doubles (CrashLoopBackOff).
    const backoff = Math.min(300_000, (this.config.restartBackoffMs ?? DEFAULT_RESTART_BACKOFF_MS) * 2 ** c.restartCount)
    c.lastState = c.state
    c.state = {
      waiting: {
        reason: 'CrashLoopBackOff',
        message: `back-off ${Math.round(backoff / 1000)}s restarting failed container=${c.name} pod=${run.name}_${run.namespace}(${run.uid})`,
      },
    }
    c.restartCount++
    this.event(run, 'Warning', 'BackOff', 'Back-off restarting failed container', c.name)
    this.publish(run)
    this.after(run, backoff, () => this.runInit(run, pod))
  }

  private started(run: PodRun, c: ContainerRun): void {
    c.state = {running: {startedAt: timestamp()}}
    c.started = true
    c.containerID = `containerd://${fakeDigest(`${run.uid}/${c.name}/${c.restartCount}`)}`
    c.imageID = `${imageRef(c.image).replace(/:[^:/]*$/, '')}@sha256:${fakeDigest(c.image)}`
    this.event(run, 'Normal', 'Pulled', `Container image "${c.image}" already present on machine`, c.name)
    this.event(run, 'Normal', 'Created', `Created container ${c.name}`, c.name)
    this.event(run, 'Normal', 'Started', `Started container ${c.name}`, c.name)
  }

  private startMain(run: PodRun, pod: Pod): void {
    for (const c of run.containers) {
      this.started(run, c)
      c.ready = true
    }
    run.phase = 'Running'
    this.publish(run)
    const first = run.containers[0]
    const spec = pod.spec.containers?.[0]
    if (!first || !spec) return
    run.executed = first
    if (this.config.simulateOnly) {
      // A pod that is never restarted runs to completion; under restartPolicy Always it is a server, running until deleted.
      if (run.restartPolicy !== 'Always') this.after(run, this.config.runDelayMs ?? 0, () => this.finish(run, 0, undefined, this.simulated(first)))
      return
    }
    const argv = [...(spec.command ?? []), ...(spec.args ?? [])]
    if (argv.length === 0) return // no command: the image's own server, running until deleted
    this.exec(run, pod, spec, first, argv, (exitCode, signal, message, reason) => this.finish(run, exitCode, signal, message, reason))
  }

  private env(run: PodRun, pod: Pod, spec: Container, terminationPath: string): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      HOME: '/root',
      HOSTNAME: run.name,
    }
    const fieldRefs: Record<string, unknown> = {
      'metadata.name': run.name,
      'metadata.namespace': run.namespace,
      'metadata.uid': run.uid,
      'spec.nodeName': run.nodeName,
      'spec.serviceAccountName': pod.spec.serviceAccountName ?? 'default',
      'status.hostIP': run.hostIP,
      'status.podIP': run.podIP,
    }
    for (const e of spec.env ?? []) {
      if (typeof e.value === 'string') env[e.name] = e.value
      else {
        const path = getPath(e.valueFrom, ['fieldRef', 'fieldPath'])
        if (typeof path === 'string' && fieldRefs[path] !== undefined) env[e.name] = String(fieldRefs[path])
      }
    }
    env.HOST_ROOT = run.hostRoot
    env.TERMINATION_MESSAGE_PATH = terminationPath
    return env
  }

  /** Runs one container's command; `exited` gets its exit code, signal and termination message. */
  /**
   * ConfigMap volumes the container mounts, written under the pod's directory: mount path → that directory. The fake
   * runs commands on the host without a mount namespace, so an argument under a mount path is rewritten to the copy
   * (like HOST_ROOT for host paths). A ConfigMap that does not exist yet is named: the container waits, as the
   * kubelet retries the mount.
   */
  private configMapMounts(run: PodRun, pod: Pod, spec: Container): {mounts: Array<[string, string]>} | {missing: string} {
    const mounts: Array<[string, string]> = []
    for (const mount of spec.volumeMounts ?? []) {
      const name = pod.spec.volumes?.find((v) => v.name === mount.name)?.configMap?.name
      if (name === undefined) continue
      const cm = this.store.get('configmaps', run.namespace, name)
      if (!cm) return {missing: name}
      const dir = join(run.dir, 'volumes', mount.name)
      mkdirSync(dir, {recursive: true})
      for (const [key, value] of Object.entries((cm.data as Record<string, string> | undefined) ?? {})) writeFileSync(join(dir, key), value)
      mounts.push([mount.mountPath.replace(/\/$/, ''), dir])
    }
    return {mounts}
  }

  private exec(run: PodRun, pod: Pod, spec: Container, container: ContainerRun, command: string[], exited: Exited): void {
    mkdirSync(run.dir, {recursive: true}) // only pods that run a process get a directory (simulated ones do not)
    const volumes = this.configMapMounts(run, pod, spec)
    const mounting = container.state.waiting?.reason === 'ContainerCreating'
    if ('missing' in volumes) {
      if (!mounting) {
        container.state = {waiting: {reason: 'ContainerCreating'}}
        this.event(run, 'Warning', 'FailedMount', `MountVolume.SetUp failed for volume: configmap "${volumes.missing}" not found`)
        this.publish(run)
      }
      this.after(run, 100, () => this.exec(run, pod, spec, container, command, exited))
      return
    }
    if (mounting) {
      container.state = {running: {startedAt: timestamp()}}
      this.publish(run)
    }
    const argv = command.map((arg) => {
      const mount = volumes.mounts.find(([path]) => arg.startsWith(`${path}/`))
      return mount ? mount[1] + arg.slice(mount[0].length) : arg
    })
    const terminationPath = join(run.dir, `termination-log-${container.name}`)
    writeFileSync(terminationPath, '')
    const asRoot = process.getuid?.() === 0
    const [cmd, ...args] = this.config.networkNamespace && asRoot ? ['unshare', '-n', '--', ...argv] : argv
    const log = container.log
    let child: ChildProcess
    try {
      child = spawn(cmd!, args, {cwd: run.dir, env: this.env(run, pod, spec, terminationPath), detached: true, stdio: ['ignore', 'pipe', 'pipe']})
    } catch (err) {
      this.startError(run, argv[0]!, err, exited)
      return
    }
    run.child = child
    trackChild(child)
    child.stdout?.setEncoding('utf8').on('data', (d: string) => log.append(d))
    child.stderr?.setEncoding('utf8').on('data', (d: string) => log.append(d))
    child.on('error', (err) => {
      if (run.child === child && !run.done) this.startError(run, argv[0]!, err, exited)
    })
    child.on('close', (code, signal) => {
      if (run.child !== child || run.done) return
      run.child = undefined
      let message = ''
      try {
        message = readFileSync(terminationPath).subarray(0, MAX_TERMINATION_MESSAGE).toString()
      } catch {
        // the command removed it: no message
      }
      const exitCode = code ?? 128 + signalNumber(signal)
      if (!message && exitCode !== 0 && spec.terminationMessagePolicy === 'FallbackToLogsOnError') message = log.tailForTermination()
      this.after(run, this.config.runDelayMs ?? 0, () => exited(exitCode, signal ?? undefined, message))
    })
  }

  private startError(run: PodRun, cmd: string, err: unknown, exited: Exited): void {
    run.child = undefined
    const detail = (err as NodeJS.ErrnoException).code === 'ENOENT' ? `exec: "${cmd}": executable file not found in $PATH` : String(err)
    exited(
      128,
      undefined,
      `failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: ${detail}: unknown`,
      'StartError',
    )
  }

  private finish(run: PodRun, exitCode: number, signal: NodeJS.Signals | undefined, message: string, reason?: string): void {
    if (run.done) return
    const finishedAt = timestamp()
    for (const c of run.containers) {
      const own = c === run.executed
      c.state = {
        terminated: own ? terminatedState(c, exitCode, signal, message, reason, finishedAt) : terminatedState(c, 0, undefined, '', undefined, finishedAt),
      }
      c.ready = false
      c.started = false
    }
    run.phase = exitCode === 0 ? 'Succeeded' : 'Failed'
    this.complete(run)
  }

  private deadlineExceeded(run: PodRun): void {
    if (run.done) return
    const finishedAt = timestamp()
    for (const c of [...run.initContainers, ...run.containers]) {
      if (c.state.running) {
        c.state = {
          terminated: {
            exitCode: 137,
            reason: 'Error',
            startedAt: c.state.running.startedAt,
            finishedAt,
            ...(c.containerID ? {containerID: c.containerID} : {}),
          },
        }
      }
      c.ready = false
    }
    run.phase = 'Failed'
    run.reason = 'DeadlineExceeded'
    run.message = DEADLINE_MESSAGE
    this.event(run, 'Warning', 'DeadlineExceeded', DEADLINE_MESSAGE)
    this.complete(run)
  }

  private complete(run: PodRun): void {
    run.done = true
    killTree(run.child)
    run.child = undefined
    for (const c of [...run.initContainers, ...run.containers]) c.log.close()
    this.publish(run)
  }

  private async teardown(run: PodRun): Promise<void> {
    run.done = true
    for (const t of run.timers) clearTimeout(t)
    run.timers.clear()
    const child = run.child
    run.child = undefined
    for (const c of [...run.initContainers, ...run.containers]) c.log.close()
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once('close', () => r()))
      killTree(child)
      await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))])
    }
    rmSync(run.dir, {recursive: true, force: true})
  }

  private conditions(run: PodRun): PodCondition[] {
    const now = timestamp()
    const allReady = run.phase === 'Running' && run.containers.every((c) => c.ready)
    const readyReason = run.phase === 'Succeeded' ? 'PodCompleted' : run.phase === 'Failed' ? 'PodFailed' : 'ContainersNotReady'
    const notReady =
      run.phase === 'Pending' || run.phase === 'Running'
        ? `containers with unready status: [${run.containers
            .filter((c) => !c.ready)
            .map((c) => c.name)
            .join(' ')}]`
        : undefined
    const cond = (type: string, ok: boolean, reason?: string, message?: string): PodCondition => ({
      type,
      status: ok ? 'True' : 'False',
      lastProbeTime: null,
      lastTransitionTime: now,
      ...(!ok && reason ? {reason} : {}),
      ...(!ok && message ? {message} : {}),
    })
    return [
      cond('PodReadyToStartContainers', run.phase !== 'Pending' || run.containers.some((c) => c.started)),
      cond(
        'Initialized',
        run.initialized === run.initContainers.length,
        'ContainersNotInitialized',
        `containers with incomplete status: [${run.initContainers
          .slice(run.initialized)
          .map((c) => c.name)
          .join(' ')}]`,
      ),
      cond('Ready', allReady, readyReason, notReady),
      cond('ContainersReady', allReady, readyReason, notReady),
      cond('PodScheduled', true),
    ]
  }

  private statusOf(run: PodRun): PodStatus {
    const status = (c: ContainerRun): ContainerStatus => ({
      name: c.name,
      image: c.image,
      imageID: c.imageID ?? '',
      ...(c.containerID ? {containerID: c.containerID} : {}),
      ready: c.ready,
      started: c.started,
      restartCount: c.restartCount,
      state: c.state,
      lastState: c.lastState ?? {},
    })
    const containerStatuses = run.containers.map(status)
    return {
      phase: run.phase,
      ...(run.reason ? {reason: run.reason, message: run.message} : {}),
      conditions: this.conditions(run),
      hostIP: run.hostIP,
      hostIPs: [{ip: run.hostIP}],
      podIP: run.podIP,
      podIPs: [{ip: run.podIP}],
      startTime: run.startTime,
      ...(run.initContainers.length > 0 ? {initContainerStatuses: run.initContainers.map(status)} : {}),
      containerStatuses,
      qosClass: run.qos,
    }
  }

  /** Writes the run's status to the pod (if it is still the same pod). */
  private publish(run: PodRun): void {
    const current = this.store.get('pods', run.namespace, run.name)
    if (!current || current.metadata.uid !== run.uid || this.stopped) return
    this.store.put('pods', {...current, status: this.statusOf(run)})
  }
}

type Exited = (exitCode: number, signal: NodeJS.Signals | undefined, message: string, reason?: string) => void

function containerRun(c: Container, waiting: string): ContainerRun {
  return {name: c.name, image: c.image ?? '', state: {waiting: {reason: waiting}}, ready: false, started: false, log: new LogBuffer(), restartCount: 0}
}

/** A container's terminated state after it exited. */
function terminatedState(
  c: ContainerRun,
  exitCode: number,
  signal: NodeJS.Signals | undefined,
  message: string,
  reason?: string,
  finishedAt = timestamp(),
): NonNullable<ContainerState['terminated']> {
  return {
    exitCode,
    ...(signal ? {signal: signalNumber(signal)} : {}),
    reason: reason ?? (exitCode === 0 ? 'Completed' : 'Error'),
    ...(message ? {message} : {}),
    startedAt: c.state.running?.startedAt ?? finishedAt,
    finishedAt,
    ...(c.containerID ? {containerID: c.containerID} : {}),
  }
}

/** Container processes still running, killed when this process exits (they run in their own process groups). */
const liveChildren = new Set<ChildProcess>()
let exitHookInstalled = false

function trackChild(child: ChildProcess): void {
  liveChildren.add(child)
  child.once('close', () => liveChildren.delete(child))
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.once('exit', () => {
    for (const c of liveChildren) killTree(c)
  })
}

let lastEventNanos = 0n

/** Event names are `<object>.<hex nanoseconds>` like the kubelet's, unique and in time order. */
function eventSuffix(): string {
  let nanos = BigInt(Date.now()) * 1_000_000n
  if (nanos <= lastEventNanos) nanos = lastEventNanos + 1n
  lastEventNanos = nanos
  return nanos.toString(16)
}

function signalNumber(signal: NodeJS.Signals | null | undefined): number {
  const table: Record<string, number> = {SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15}
  return signal ? (table[signal] ?? 0) : 0
}

function killTree(child: ChildProcess | undefined): void {
  if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return
  try {
    process.kill(-child.pid, 'SIGKILL')
  } catch {
    try {
      child.kill('SIGKILL')
    } catch {
      // already gone
    }
  }
}
