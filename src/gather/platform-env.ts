import type {Fact} from '../model/finding.js'
import type {ContainerSummary, PlatformWorkload} from './platform-objects.js'

/** One environment variable as the container will see it. */
export interface ResolvedEnvVar {
  readonly value?: string
  /** `literal`, `configmap <name>`, `secret <name>`, `envFrom configmap <name>`. */
  readonly source: string
  /** Why the value could not be worked out (403 on the referenced ConfigMap, a fieldRef, …). */
  readonly unresolved?: string
}

/** Container name → variable name → value. */
export type ResolvedEnv = Readonly<Record<string, Readonly<Record<string, ResolvedEnvVar>>>>

export interface EnvObjectRef {
  readonly kind: 'configMap' | 'secret'
  readonly name: string
}

export const envObjectKey = (ref: EnvObjectRef): string => `${ref.kind}/${ref.name}`

/** The ConfigMaps and Secrets the containers' env refers to (each read once). */
export function envObjectRefs(containers: readonly ContainerSummary[]): EnvObjectRef[] {
  const refs = new Map<string, EnvObjectRef>()
  for (const c of containers) {
    for (const e of c.env)
      if (e.from && (e.from.kind === 'configMap' || e.from.kind === 'secret')) refs.set(envObjectKey(e.from), {kind: e.from.kind, name: e.from.name})
    for (const e of c.envFrom) refs.set(envObjectKey(e), {kind: e.kind, name: e.name})
  }
  return [...refs.values()]
}

/** Object data by `kind/name`; Secret data is already base64-decoded. */
export type EnvObjects = ReadonlyMap<string, Fact<Readonly<Record<string, string>>>>

function resolveContainer(c: ContainerSummary, objects: EnvObjects): Record<string, ResolvedEnvVar> {
  const out: Record<string, ResolvedEnvVar> = {}
  for (const from of c.envFrom) {
    const label = `envFrom ${from.kind.toLowerCase()} ${from.name}`
    const data = objects.get(envObjectKey(from))
    if (data?.state !== 'known') continue
    for (const [key, value] of Object.entries(data.value)) out[`${from.prefix}${key}`] = {value, source: label}
  }
  for (const e of c.env) {
    const from = e.from
    if (from === undefined) {
      out[e.name] = {value: e.value ?? '', source: 'literal'}
    } else if ('path' in from) {
      out[e.name] = {source: `${from.kind}Ref ${from.path}`, unresolved: `set from ${from.kind}Ref ${from.path}, which only the kubelet resolves`}
    } else {
      const label = `${from.kind.toLowerCase()} ${from.name} key ${from.key}`
      const data = objects.get(envObjectKey(from))
      if (data === undefined || data.state === 'unavailable') out[e.name] = {source: label, unresolved: data?.reason ?? `${label} was not read`}
      else if (data.value[from.key] !== undefined) out[e.name] = {value: data.value[from.key], source: label}
      else out[e.name] = from.optional ? {source: label} : {source: label, unresolved: `${label} does not exist, so the pod cannot start with it`}
    }
  }
  return out
}

/** Resolves `value`, `valueFrom` (ConfigMap/Secret keys) and `envFrom` for the named containers and init containers. */
export function resolveWorkloadEnv(workload: PlatformWorkload, containerNames: readonly string[], objects: EnvObjects): ResolvedEnv {
  const env: Record<string, Record<string, ResolvedEnvVar>> = {}
  for (const c of [...workload.containers, ...workload.initContainers]) if (containerNames.includes(c.name)) env[c.name] = resolveContainer(c, objects)
  return env
}
