import {existsSync, readFileSync} from 'node:fs'
import {homedir} from 'node:os'
import path from 'node:path'
import {KubeConfig} from '@kubernetes/client-node'
import {parse} from 'yaml'
import {UserError} from '../../cli/errors.js'

export interface KubeTargetOptions {
  kubeconfig?: string
  context?: string
  namespace?: string
  env?: NodeJS.ProcessEnv
  /** Where the pod's service-account files are mounted ('' = the real path); tests point it at a fake mount. */
  inClusterRoot?: string
}

export interface KubeTarget {
  kc: KubeConfig
  contextName: string
  /** The namespace from `-n`, else the context's, else `default`. */
  namespace: string
  server: string
  /** Where the configuration came from, for messages. */
  source: string
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
  const found = kubeconfigFiles(options, env)
  const kc = new KubeConfig()
  if (found === undefined) {
    const root = options.inClusterRoot ?? ''
    if (env.KUBERNETES_SERVICE_HOST && existsSync(`${root}${SERVICE_ACCOUNT_DIR}/token`)) {
      kc.loadFromCluster(root) // reads KUBERNETES_SERVICE_HOST/PORT itself
      const cluster = kc.getCurrentCluster()
      return {kc, contextName: kc.getCurrentContext(), namespace: options.namespace ?? inClusterNamespace(root), server: cluster?.server ?? '', source: 'in-cluster service account'}
    }
    throw new UserError('no kubeconfig found (looked at KUBECONFIG and ~/.kube/config, not running in a pod); pass --kubeconfig or set KUBECONFIG')
  }
  const merged = mergeKubeconfigs(found.files.map(readKubeconfigFile))
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
  const cluster = merged.clusters.find((c) => c.name === ctx.cluster)
  const server = (cluster?.cluster as {server?: unknown} | undefined)?.server
  if (cluster === undefined || typeof server !== 'string' || server === '') {
    throw new UserError(`context "${contextName}" refers to cluster "${ctx.cluster ?? ''}" which has no server in ${found.source}; fix the kubeconfig`)
  }
  if (ctx.user !== undefined && !merged.users.some((u) => u.name === ctx.user)) {
    throw new UserError(`context "${contextName}" refers to user "${ctx.user}" which is not in ${found.source}; fix the kubeconfig`)
  }
  try {
    kc.loadFromString(JSON.stringify({apiVersion: 'v1', kind: 'Config', ...merged, 'current-context': contextName}))
  } catch (error) {
    throw new UserError(`kubeconfig ${found.source}: ${(error as Error).message}; fix the file`)
  }
  return {kc, contextName, namespace: options.namespace ?? ctx.namespace ?? 'default', server, source: found.source}
}

function inClusterNamespace(root: string): string {
  try {
    return readFileSync(`${root}${SERVICE_ACCOUNT_DIR}/namespace`, 'utf8').trim() || 'default'
  } catch {
    return 'default'
  }
}
