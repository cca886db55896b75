// Scenario files (test/scenarios/*.yaml): the cluster a test API server pretends to be.
// The schema is documented in test/scenarios/README.md; keep both in step.
import {existsSync, readFileSync} from 'node:fs'
import {basename, dirname, extname, isAbsolute, join, resolve} from 'node:path'
import {parse} from 'yaml'
import type {KubeObject} from './types.js'
import {isObject} from './types.js'
import {repoRoot} from './util.js'

export interface ServerVersion {
  major: string
  minor: string
  gitVersion: string
  gitCommit?: string
  gitTreeState?: string
  buildDate?: string
  goVersion?: string
  compiler?: string
  platform?: string
}

/** An RBAC rule, like a Role's, optionally limited to namespaces. */
export interface RbacRule {
  verbs: string[]
  resources: string[]
  /** Omitted: any group. `""` is the core group. */
  apiGroups?: string[]
  /** Omitted: everywhere (cluster scope included). */
  namespaces?: string[]
  /** Shorthand: `resources: [pods], subresources: [log]` means `pods/log`. */
  subresources?: string[]
  resourceNames?: string[]
}

/** Exactly one of the two: everything allowed except `denied`, or nothing except `allowed`. */
export interface RbacConfig {
  denied?: RbacRule[]
  allowed?: RbacRule[]
}

export interface Fault {
  /** Exact request path, or a prefix when it ends with `*`. */
  path: string
  method?: string
  /** Answer with this status (a Status body) instead of serving the request. */
  status?: number
  message?: string
  /** Delay before answering (or before serving, when no status is set). */
  latencyMs?: number
  /** Apply this many times, then never again. Default: always. */
  times?: number
  /** For watch requests: cut the connection this many ms after it starts. */
  dropWatchAfterMs?: number
  /** Adds a Retry-After header (client-go then retries 429/5xx answers by itself). */
  retryAfterSeconds?: number
}

export interface PodRejection {
  /** Only pods created in this namespace. Default: any namespace. */
  namespace?: string
  /** Only pods with a privileged container. Default: every pod. */
  privilegedOnly?: boolean
  /** The reason, as the server prints it after `pods "<name>" is forbidden: `. */
  message: string
}

export interface AdmissionConfig {
  rejectPods?: PodRejection[]
}

export interface KubeletNode {
  /** Host root for pods on this node: a path relative to the repository root, or absolute. */
  hostRoot: string
}

export interface KubeletConfig {
  /** Node name (or glob like `worker-a-*`) → how pods on it run. Pods on other nodes stay Pending. */
  nodes?: Record<string, KubeletNode>
  /** Images (or globs) whose pull fails: ErrImagePull, then ImagePullBackOff. */
  imagePullFailures?: string[]
  /** Time from pod creation to the container starting (or the pull failing). Default 10. */
  startDelayMs?: number
  /** Extra simulated run time after the process exits. Default 0. */
  runDelayMs?: number
  /** Run each pod's command under `unshare -n` (only when root). */
  networkNamespace?: boolean
  /**
   * Execute nothing: every init container, and every container of a pod with restartPolicy Never or OnFailure,
   * exits 0 after runDelayMs with simulatedMessage (default empty) as its termination message and log; containers under
   * restartPolicy Always (a DaemonSet's) keep running.
   */
  simulateOnly?: boolean
  /** With simulateOnly: what each simulated container leaves as termination message and log (e.g. a real probe report). */
  simulatedMessage?: string
  /** First back-off before a failed init container of a restartPolicy Always/OnFailure pod restarts (doubling). Default 10000. */
  restartBackoffMs?: number
}

/** A pool of nodes the scenario generator makes (not src/gather/nodes.ts NodeGroup, a group the plugin finds). */
export interface GeneratedNodeGroup {
  namePrefix: string
  count: number
  kernelVersion: string
  osImage: string
  architecture?: string
  containerRuntimeVersion?: string
  kubeletVersion?: string
  labels?: Record<string, string>
  taints?: Array<{key: string; value?: string; effect: string}>
  /** First two octets of the pod CIDRs, e.g. `10.244`; node i gets `10.244.<i>.0/24`. */
  podCIDRPrefix?: string
}

export interface WorkloadConfig {
  namespaces: number
  /** Deployments per namespace. */
  deployments: number
  podsPerDeployment: number
  /** Also create a ClusterIP Service per Deployment. */
  services?: boolean
  /** Namespace names are `<prefix>-<n>`. Default `app`. */
  namespacePrefix?: string
}

export interface GenerateConfig {
  /** creationTimestamp of everything generated. Default: 24 hours before the server starts. */
  createdAt?: string
  nodeGroups?: GeneratedNodeGroup[]
  workloads?: WorkloadConfig
}

export interface Scenario {
  name: string
  description?: string
  /**
   * Another scenario (name, or path relative to this file) to start from: its objects, faults and
   * pod rejections come first, kubelet settings merge, everything else set here wins.
   */
  extends?: string
  serverVersion?: Partial<ServerVersion>
  user?: string
  groups?: string[]
  rbac?: RbacConfig
  faults?: Fault[]
  admission?: AdmissionConfig
  kubelet?: KubeletConfig
  namespaceDeletionDelayMs?: number
  servePodSecurityPolicy?: boolean
  objects?: KubeObject[]
  generate?: GenerateConfig
}

export const DEFAULT_USER = 'mesh-ready-test'

const TOP_LEVEL_KEYS: ReadonlyArray<keyof Scenario> = [
  'name',
  'description',
  'extends',
  'serverVersion',
  'user',
  'groups',
  'rbac',
  'faults',
  'admission',
  'kubelet',
  'namespaceDeletionDelayMs',
  'servePodSecurityPolicy',
  'objects',
  'generate',
]

export function scenariosDir(): string {
  return join(repoRoot(), 'test', 'scenarios')
}

/** A scenario by name (`test/scenarios/<name>.yaml`) or by path (relative to cwd, then to the repo root). */
export function loadScenario(nameOrPath: string): Scenario {
  const looksLikePath = nameOrPath.includes('/') || /\.ya?ml$/.test(nameOrPath)
  let file: string
  if (!looksLikePath) file = join(scenariosDir(), `${nameOrPath}.yaml`)
  else if (isAbsolute(nameOrPath)) file = nameOrPath
  else file = existsSync(resolve(nameOrPath)) ? resolve(nameOrPath) : join(repoRoot(), nameOrPath)
  if (!existsSync(file)) throw new Error(`scenario not found: ${nameOrPath} (looked for ${file})`)
  const doc: unknown = parse(readFileSync(file, 'utf8'), {merge: true, maxAliasCount: -1})
  return resolveExtends(validateScenario(doc, basename(file, extname(file)), file), dirname(file))
}

function objectIdentity(o: KubeObject): string {
  return `${o.apiVersion}/${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`
}

/** Applies `extends`: the base scenario's settings under this one's. */
export function resolveExtends(s: Scenario, baseDir = scenariosDir()): Scenario {
  if (!s.extends) return s
  const ref = s.extends
  const looksLikePath = ref.includes('/') || /\.ya?ml$/.test(ref)
  const base = loadScenario(looksLikePath && !isAbsolute(ref) ? join(baseDir, ref) : ref)
  const own = new Set((s.objects ?? []).map(objectIdentity))
  const {extends: _ignored, ...child} = s
  const merged: Scenario = {
    ...base,
    ...child,
    objects: [...(base.objects ?? []).filter((o) => !own.has(objectIdentity(o))), ...(s.objects ?? [])],
    faults: [...(base.faults ?? []), ...(s.faults ?? [])],
  }
  if (base.kubelet || s.kubelet) {
    // This scenario's node patterns come first: the first matching pattern wins.
    const nodes = {...s.kubelet?.nodes}
    for (const [k, v] of Object.entries(base.kubelet?.nodes ?? {})) if (!(k in nodes)) nodes[k] = v
    merged.kubelet = {...base.kubelet, ...s.kubelet, nodes}
  }
  if (base.admission || s.admission) merged.admission = {rejectPods: [...(base.admission?.rejectPods ?? []), ...(s.admission?.rejectPods ?? [])]}
  return merged
}

function fail(where: string, message: string): never {
  throw new Error(`invalid scenario ${where}: ${message}`)
}

/** Checks a parsed scenario's shape (catching typos early) and fills in the name. */
export function validateScenario(doc: unknown, defaultName: string, where = defaultName): Scenario {
  if (!isObject(doc)) fail(where, 'the document must be a mapping')
  for (const key of Object.keys(doc)) {
    // `x-…` keys are free for YAML anchors and notes.
    if (!key.startsWith('x-') && !(TOP_LEVEL_KEYS as readonly string[]).includes(key)) {
      fail(where, `unknown key "${key}" (known: ${TOP_LEVEL_KEYS.join(', ')}, or x-<anything>)`)
    }
  }
  const s = doc as unknown as Scenario
  if (s.rbac && s.rbac.denied && s.rbac.allowed) fail(where, 'rbac takes either "denied" or "allowed", not both')
  for (const [i, rule] of [...(s.rbac?.denied ?? []), ...(s.rbac?.allowed ?? [])].entries()) {
    if (!Array.isArray(rule.verbs) || !Array.isArray(rule.resources)) fail(where, `rbac rule ${i} needs "verbs" and "resources" lists`)
  }
  for (const [i, f] of (s.faults ?? []).entries()) if (typeof f.path !== 'string') fail(where, `fault ${i} needs a "path"`)
  for (const [i, o] of (s.objects ?? []).entries()) {
    if (!isObject(o) || typeof o.kind !== 'string' || typeof o.apiVersion !== 'string' || !isObject(o.metadata) || typeof o.metadata.name !== 'string') {
      fail(where, `objects[${i}] needs apiVersion, kind and metadata.name`)
    }
  }
  for (const [i, g] of (s.generate?.nodeGroups ?? []).entries()) {
    if (typeof g.namePrefix !== 'string' || typeof g.count !== 'number') fail(where, `generate.nodeGroups[${i}] needs namePrefix and count`)
  }
  return {...s, name: typeof s.name === 'string' && s.name ? s.name : defaultName}
}

/** The /version document for a scenario (a full one from a partial `serverVersion`). */
export function versionInfo(v: Partial<ServerVersion> | undefined): ServerVersion {
  const gitVersion = v?.gitVersion ?? (v?.major && v.minor ? `v${v.major}.${v.minor}.0` : 'v1.31.4')
  const m = /^v(\d+)\.(\d+)/.exec(gitVersion)
  return {
    major: v?.major ?? m?.[1] ?? '1',
    minor: v?.minor ?? m?.[2] ?? '31',
    gitVersion,
    gitCommit: v?.gitCommit ?? 'a78aa47129b8539636eb86a9d00e31b2720fe06b',
    gitTreeState: v?.gitTreeState ?? 'clean',
    buildDate: v?.buildDate ?? '2024-12-10T00:00:00Z',
    goVersion: v?.goVersion ?? 'go1.22.9',
    compiler: v?.compiler ?? 'gc',
    platform: v?.platform ?? 'linux/amd64',
  }
}
