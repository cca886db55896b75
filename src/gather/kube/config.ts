import {existsSync, readFileSync} from 'node:fs'
import {homedir} from 'node:os'
import path from 'node:path'
import {KubeConfig} from '@kubernetes/client-node'
import {parse} from 'yaml'
import {UserError} from '../../model/errors.js'

export interface KubeTargetOptions {
  kubeconfig?: string
  context?: string
  namespace?: string
  env?: NodeJS.ProcessEnv
  /** Where the pod's service-account files are mounted ('' = the real path); tests point it at a fake mount. */
  inClusterRoot?: string
  /** kubectl's connection flags, each overriding one part of the kubeconfig. */
  server?: string
  token?: string
  user?: string
  cluster?: string
  certificateAuthority?: string
  insecureSkipTlsVerify?: boolean
  as?: string
  asGroups?: readonly string[]
}

/** A user's exec credential plugin (client.authentication.k8s.io), run by KubeClient rather than client-node. */
export interface ExecCredentialConfig {
  readonly user: string
  readonly apiVersion?: string
  readonly command: string
  readonly args?: readonly string[]
  readonly env?: ReadonlyArray<{name: string; value: string}>
  readonly installHint?: string
  readonly provideClusterInfo?: boolean
}

export interface KubeTarget {
  kc: KubeConfig
  contextName: string
  /** The namespace from `-n`, else the context's, else `default`. */
  namespace: string
  server: string
  /** Where the configuration came from, for messages. */
  source: string
  /** --as / --as-group: sent as Impersonate-User / Impersonate-Group headers. */
  impersonate?: {user?: string; groups: readonly string[]}
  /** The user's exec credential plugin, when it has one. */
  exec?: ExecCredentialConfig
}

type RawEntry = {name?: unknown; [key: string]: unknown}
interface RawConfig {
  clusters: RawEntry[]
  users: RawEntry[]
  contexts: RawEntry[]
  'current-context'?: string
}

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount'

/** Paths inside a kubeconfig are relative to the file that holds them (as kubectl resolves them). */
const PATH_FIELDS: Record<'clusters' | 'users', {key: string; fields: string[]}> = {
  clusters: {key: 'cluster', fields: ['certificate-authority']},
  users: {key: 'user', fields: ['client-certificate', 'client-key', 'tokenFile']},
}

function readKubeconfigFile(file: string): RawConfig {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new UserError(`kubeconfig ${file}: cannot read it (${code ?? String(error)}); pass a readable file with --kubeconfig or fix KUBECONFIG`)
  }
  let doc: unknown
  try {
    doc = text.trim() === '' ? {} : parse(text)
  } catch (error) {
    const first = String((error as Error).message).split('\n')[0]
    throw new UserError(`kubeconfig ${file}: not valid YAML (${first}); fix the file or point --kubeconfig at another one`)
  }
  if (doc === null || doc === undefined) doc = {}
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new UserError(`kubeconfig ${file}: expected a YAML mapping with clusters, users and contexts; fix the file or point --kubeconfig at another one`)
  }
  const raw = doc as Record<string, unknown>
  const list = (key: 'clusters' | 'users' | 'contexts'): RawEntry[] => {
    const value = raw[key]
    if (value === undefined || value === null) return []
    if (!Array.isArray(value) || value.some((e) => typeof e !== 'object' || e === null || typeof (e as RawEntry).name !== 'string')) {
      throw new UserError(`kubeconfig ${file}: "${key}" must be a list of entries that each have a name; fix the file`)
    }
    return value as RawEntry[]
  }
  const dir = path.dirname(path.resolve(file))
  const resolvePaths = (entries: RawEntry[], kind: 'clusters' | 'users') =>
    entries.map((entry) => {
      const {key, fields} = PATH_FIELDS[kind]
      const inner = entry[key]
      if (typeof inner !== 'object' || inner === null) return entry
      const copy: Record<string, unknown> = {...(inner as Record<string, unknown>)}
      for (const field of fields) {
        const value = copy[field]
        if (typeof value === 'string' && value !== '' && !path.isAbsolute(value)) copy[field] = path.join(dir, value)
      }
      const exec = copy.exec as Record<string, unknown> | undefined
      if (exec && typeof exec.command === 'string' && exec.command.includes('/') && !path.isAbsolute(exec.command)) {
        copy.exec = {...exec, command: path.join(dir, exec.command)}
      }
      return {...entry, [key]: copy}
    })
  const current = raw['current-context']
  return {
    clusters: resolvePaths(list('clusters'), 'clusters'),
    users: resolvePaths(list('users'), 'users'),
    contexts: list('contexts'),
    'current-context': typeof current === 'string' && current !== '' ? current : undefined,
  }
}

/** kubectl's merge rules: the first file to define a name wins, the first non-empty current-context wins. */
export function mergeKubeconfigs(configs: RawConfig[]): RawConfig {
  const merged: RawConfig = {clusters: [], users: [], contexts: []}
  for (const config of configs) {
    for (const key of ['clusters', 'users', 'contexts'] as const) {
      for (const entry of config[key]) {
        if (!merged[key].some((e) => e.name === entry.name)) merged[key].push(entry)
      }
    }
    merged['current-context'] ??= config['current-context']
  }
  return merged
}

function kubeconfigFiles(options: KubeTargetOptions, env: NodeJS.ProcessEnv): {files: string[]; source: string} | undefined {
  if (options.kubeconfig !== undefined) {
    if (!existsSync(options.kubeconfig)) {
      throw new UserError(`--kubeconfig ${options.kubeconfig}: file not found; pass the path of an existing kubeconfig`)
    }
    return {files: [options.kubeconfig], source: options.kubeconfig}
  }
  const list = env.KUBECONFIG
  if (list !== undefined && list !== '') {
    const entries = list.split(path.delimiter).filter((p) => p !== '')
    const files = entries.filter((p) => existsSync(p))
    if (files.length === 0) {
      throw new UserError(`KUBECONFIG=${list}: none of these files exists; fix KUBECONFIG or pass --kubeconfig`)
    }
    return {files, source: `KUBECONFIG=${list}`}
  }
  const home = path.join(env.HOME ?? homedir(), '.kube', 'config')
  return existsSync(home) ? {files: [home], source: home} : undefined
}

export function loadKubeTarget(options: KubeTargetOptions): KubeTarget {
  const env = options.env ?? process.env
  const found = kubeconfigFiles(options, env) ?? (options.server !== undefined ? {files: [], source: 'the command line'} : undefined)
  const kc = new KubeConfig()
  if (found === undefined) {
    const root = options.inClusterRoot ?? ''
    if (env.KUBERNETES_SERVICE_HOST && existsSync(`${root}${SERVICE_ACCOUNT_DIR}/token`)) {
      kc.loadFromCluster(root) // reads KUBERNETES_SERVICE_HOST/PORT itself
      const cluster = kc.getCurrentCluster()
      return {
        kc,
        contextName: kc.getCurrentContext(),
        namespace: options.namespace ?? inClusterNamespace(root),
        server: cluster?.server ?? '',
        source: 'in-cluster service account',
      }
    }
    throw new UserError('no kubeconfig found (looked at KUBECONFIG and ~/.kube/config, not running in a pod); pass --kubeconfig or set KUBECONFIG')
  }
  const merged = mergeKubeconfigs(found.files.map(readKubeconfigFile))
  if (options.server !== undefined && options.context === undefined && merged['current-context'] === undefined) {
    // kubectl --server URL --token T works without any kubeconfig: a context made of the flags alone.
    merged.clusters.push({name: FLAGS_ENTRY, cluster: {server: options.server}})
    if (!merged.users.some((u) => u.name === FLAGS_ENTRY)) merged.users.push({name: FLAGS_ENTRY, user: {}})
    merged.contexts.push({name: FLAGS_ENTRY, context: {cluster: FLAGS_ENTRY, user: options.user ?? FLAGS_ENTRY}})
    merged['current-context'] = FLAGS_ENTRY
  }
  const contextName = options.context ?? merged['current-context']
  if (contextName === undefined) {
    const names = merged.contexts.map((c) => c.name).join(', ')
    throw new UserError(`${found.source}: no current context is set; pass --context${names ? ` (one of: ${names})` : ''} or run kubectl config use-context`)
  }
  const context = merged.contexts.find((c) => c.name === contextName)
  if (context === undefined) {
    const names = merged.contexts.map((c) => c.name).join(', ') || 'none'
    const via = options.context !== undefined ? '--context' : 'current-context'
    throw new UserError(`${via} "${contextName}" is not in ${found.source} (contexts: ${names}); pass an existing --context`)
  }
  const ctx = (context.context ?? {}) as {cluster?: string; user?: string; namespace?: string}
  const clusterName = options.cluster ?? ctx.cluster
  const cluster = merged.clusters.find((c) => c.name === clusterName)
  if (options.cluster !== undefined && cluster === undefined) {
    throw new UserError(
      `--cluster "${options.cluster}" is not in ${found.source} (clusters: ${merged.clusters.map((c) => c.name).join(', ') || 'none'}); pass an existing --cluster`,
    )
  }
  const clusterField = (field: string) => `clusters[].cluster.${field} of cluster "${clusterName ?? ''}" in ${found.source}`
  const rawServer = options.server ?? (cluster?.cluster as {server?: unknown} | undefined)?.server
  if (cluster === undefined || typeof rawServer !== 'string' || rawServer === '') {
    throw new UserError(
      `context "${contextName}" refers to cluster "${clusterName ?? ''}" which has no server in ${found.source}; fix the kubeconfig or pass --server`,
    )
  }
  const server = serverUrl(rawServer, options.server !== undefined ? '--server' : clusterField('server'))
  const userName = options.user ?? ctx.user
  const user = userName === undefined ? undefined : merged.users.find((u) => u.name === userName)
  if (userName !== undefined && user === undefined) {
    if (options.user !== undefined)
      throw new UserError(
        `--user "${options.user}" is not in ${found.source} (users: ${merged.users.map((u) => u.name).join(', ') || 'none'}); pass an existing --user`,
      )
    throw new UserError(`context "${contextName}" refers to user "${userName}" which is not in ${found.source}; fix the kubeconfig`)
  }

  // The cluster as this run sees it: --server, --certificate-authority and --insecure-skip-tls-verify applied.
  const clusterBody: Record<string, unknown> = {...(cluster.cluster as Record<string, unknown>), server}
  if (options.certificateAuthority !== undefined) {
    if (!existsSync(options.certificateAuthority)) {
      throw new UserError(`--certificate-authority ${options.certificateAuthority}: file not found; pass the path of the cluster's CA certificate`)
    }
    clusterBody['certificate-authority'] = path.resolve(options.certificateAuthority)
    delete clusterBody['certificate-authority-data']
  }
  if (options.insecureSkipTlsVerify) {
    clusterBody['insecure-skip-tls-verify'] = true
    delete clusterBody['certificate-authority']
    delete clusterBody['certificate-authority-data']
  }
  const caFile = clusterBody['certificate-authority']
  if (typeof caFile === 'string' && caFile !== '' && !clusterBody['insecure-skip-tls-verify'] && !existsSync(caFile)) {
    throw new UserError(
      `${clusterField('certificate-authority')}: CA certificate file ${caFile} does not exist; fix the path, use certificate-authority-data or pass --certificate-authority`,
    )
  }
  // Plain http (e.g. kubectl proxy) has no TLS to verify; client-node refuses http unless this is set.
  if (server.startsWith('http:')) clusterBody['insecure-skip-tls-verify'] = true

  // The user: --token replaces its credentials; an exec plugin is taken out for KubeClient to run (with a time limit).
  let userBody: Record<string, unknown> = {...((user?.user ?? {}) as Record<string, unknown>)}
  if (options.token !== undefined) userBody = {token: options.token}
  for (const field of ['client-certificate', 'client-key', 'tokenFile']) {
    const file = userBody[field]
    if (typeof file === 'string' && file !== '' && !existsSync(file)) {
      throw new UserError(`users[].user.${field} of user "${userName}" in ${found.source}: file ${file} does not exist; fix the path in the kubeconfig`)
    }
  }
  const exec = execConfig(userBody.exec, userName ?? '', found.source)
  delete userBody.exec
  const users = userName === undefined ? merged.users : merged.users.map((u) => (u.name === userName ? {name: userName, user: userBody} : u))
  const clusters = merged.clusters.map((c) => (c === cluster ? {name: c.name, cluster: clusterBody} : c))
  const contexts = merged.contexts.map((c) =>
    c === context ? {name: c.name, context: {...ctx, cluster: clusterName, ...(userName !== undefined ? {user: userName} : {})}} : c,
  )
  try {
    kc.loadFromString(JSON.stringify({apiVersion: 'v1', kind: 'Config', clusters, users, contexts, 'current-context': contextName}))
  } catch (error) {
    throw new UserError(`kubeconfig ${found.source}: ${(error as Error).message}; fix the file`)
  }
  const impersonate = options.as !== undefined || (options.asGroups?.length ?? 0) > 0 ? {user: options.as, groups: [...(options.asGroups ?? [])]} : undefined
  if (impersonate && impersonate.user === undefined) {
    throw new UserError('--as-group needs --as (the API server impersonates groups only together with a user)')
  }
  return {kc, contextName, namespace: options.namespace ?? ctx.namespace ?? 'default', server, source: found.source, impersonate, exec}
}

const FLAGS_ENTRY = 'command-line'

/**
 * A cluster's server as a URL. Like kubectl, a bare host[:port] means https; anything else that is not an http(s)
 * URL is a usage error naming where the value came from (`field`).
 */
export function serverUrl(raw: string, field: string): string {
  const text = raw.trim()
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`
  let url: URL | undefined
  try {
    url = new URL(withScheme)
  } catch {
    url = undefined
  }
  if (
    url === undefined ||
    (url.protocol !== 'https:' && url.protocol !== 'http:') ||
    url.hostname === '' ||
    url.search !== '' ||
    url.hash !== '' ||
    /\s/.test(text)
  ) {
    throw new UserError(`${field} is not a valid API server URL ("${raw}"); use https://HOST:PORT (or http:// for kubectl proxy)`)
  }
  return withScheme.replace(/\/+$/, '')
}

function execConfig(raw: unknown, user: string, source: string): ExecCredentialConfig | undefined {
  if (raw === undefined || raw === null) return undefined
  const exec = raw as Record<string, unknown>
  if (typeof exec !== 'object' || typeof exec.command !== 'string' || exec.command === '') {
    throw new UserError(`users[].user.exec.command of user "${user}" in ${source} is missing; fix the kubeconfig`)
  }
  const env = Array.isArray(exec.env)
    ? (exec.env as Array<{name?: unknown; value?: unknown}>)
        .filter((e) => typeof e?.name === 'string')
        .map((e) => ({name: String(e.name), value: String(e.value ?? '')}))
    : undefined
  return {
    user,
    command: exec.command,
    apiVersion: typeof exec.apiVersion === 'string' ? exec.apiVersion : undefined,
    args: Array.isArray(exec.args) ? exec.args.map(String) : undefined,
    env,
    installHint: typeof exec.installHint === 'string' && exec.installHint.trim() !== '' ? exec.installHint.trim() : undefined,
    provideClusterInfo: exec.provideClusterInfo === true,
  }
}

function inClusterNamespace(root: string): string {
  try {
    return readFileSync(`${root}${SERVICE_ACCOUNT_DIR}/namespace`, 'utf8').trim() || 'default'
  } catch {
    return 'default'
  }
}
