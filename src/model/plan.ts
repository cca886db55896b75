import type {MeshBackend, MeshMode} from './finding.js'

/**
 * The install a report judges. The verdict and exit code judge only this plan; every other mode × backend is still
 * shown (matrix, findings with `planned: false`) as information.
 *
 * Where it comes from, first match wins: the Istio installed in the cluster (its mode: ztunnel means ambient), else
 * the flags (`--mode`, `--backend`), else Istio's defaults for the judged release (sidecar on iptables).
 */
export type PlanSource = 'installed' | 'flags' | 'defaults'

export interface InstallPlan {
  /** The judged Istio minor release, e.g. `1.30`. */
  readonly istioVersion: string
  readonly modes: readonly MeshMode[]
  readonly backends: readonly MeshBackend[]
  /** Where `modes` and `backends` come from (the wider of the two sources when they differ). */
  readonly source: PlanSource
}

export interface PlanInput {
  readonly istioVersion: string
  /** `--mode`; undefined when not given. `both` judges both modes as planned. */
  readonly mode?: MeshMode | 'both'
  /** `--backend`; undefined when not given. */
  readonly backend?: MeshBackend | 'both'
  /** What the installed Istio runs, when it is installed and could be read. */
  readonly installed?: {readonly modes?: readonly MeshMode[]; readonly backend?: MeshBackend}
}

export const ALL_MODES: readonly MeshMode[] = ['sidecar', 'ambient']
export const ALL_BACKENDS: readonly MeshBackend[] = ['iptables', 'nftables']
/** Istio's defaults in every release the plugin knows: sidecar mode, iptables (`values.global.nativeNftables=false`). */
export const DEFAULT_MODE: MeshMode = 'sidecar'
export const DEFAULT_BACKEND: MeshBackend = 'iptables'

/** Installed Istio beats flags beats defaults, separately for the mode and the backend. */
export function resolvePlan(input: PlanInput): InstallPlan {
  const installedModes = input.installed?.modes?.length ? input.installed.modes : undefined
  const modeFlag = input.mode === 'both' ? ALL_MODES : input.mode ? [input.mode] : undefined
  const backendFlag = input.backend === 'both' ? ALL_BACKENDS : input.backend ? [input.backend] : undefined
  // An explicit `both` widens what an installed Istio runs: the user asked to judge both.
  const modes = input.mode === 'both' ? ALL_MODES : (installedModes ?? modeFlag ?? [DEFAULT_MODE])
  const backends = input.backend === 'both' ? ALL_BACKENDS : input.installed?.backend ? [input.installed.backend] : (backendFlag ?? [DEFAULT_BACKEND])
  const source: PlanSource =
    (installedModes && input.mode !== 'both') || (input.installed?.backend && input.backend !== 'both')
      ? 'installed'
      : modeFlag || backendFlag
        ? 'flags'
        : 'defaults'
  return {istioVersion: input.istioVersion, modes, backends, source}
}

export const inPlan = (plan: Pick<InstallPlan, 'modes' | 'backends'>, mode: MeshMode | null | undefined, backend: MeshBackend | null | undefined): boolean =>
  (mode == null || plan.modes.includes(mode)) && (backend == null || plan.backends.includes(backend))

const SOURCE_WORDS: Record<PlanSource, (v: string) => string> = {
  installed: (v) => `installed Istio ${v}`,
  flags: (v) => `Istio ${v}, as flagged`,
  defaults: (v) => `Istio ${v} default`,
}

/** `sidecar on iptables (Istio 1.30 default)`, `sidecar and ambient on iptables (installed Istio 1.29)`. */
export function planLabel(plan: InstallPlan): string {
  return `${plan.modes.join(' and ')} on ${plan.backends.join(' and ')} (${SOURCE_WORDS[plan.source](plan.istioVersion)})`
}

/** Workloads are cluster-wide by nature: every namespace the caller can list (undefined), unless -n narrows it. */
export const targetNamespaces = (flags: {readonly namespace?: string; readonly 'all-namespaces'?: boolean}): readonly string[] | undefined =>
  flags.namespace !== undefined && !flags['all-namespaces'] ? [flags.namespace] : undefined

/** The verdict line's words for a namespace scope: undefined (every namespace) or the -n namespaces. */
export const scopeOf = (namespaces: readonly string[] | undefined): string =>
  namespaces === undefined ? 'all namespaces' : namespaces.length === 1 ? `namespace ${namespaces[0]}` : `namespaces ${namespaces.join(', ')}`
