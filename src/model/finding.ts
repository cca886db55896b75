/**
 * The finding model shared by every command. A check is a pure function from facts to outcomes; the engine
 * turns outcomes into findings (adding the id, title, category and docs link) so that no check can get those wrong.
 */

/** Ordered from best to worst for sorting; `skip` means "not applicable", `unknown` means "could not tell". */
export const SEVERITIES = ['pass', 'skip', 'unknown', 'warn', 'fail'] as const
export type Severity = (typeof SEVERITIES)[number]

/** The worse of two severities by the SEVERITIES order (fail > warn > unknown > skip > pass). */
export const worse = (a: Severity, b: Severity): Severity => (SEVERITIES.indexOf(b) > SEVERITIES.indexOf(a) ? b : a)

/** The worst severity of a list; `pass` for an empty list. */
export const worstOf = (severities: readonly Severity[]): Severity => severities.reduce<Severity>(worse, 'pass')

export const CATEGORIES = ['cluster', 'node', 'platform', 'workload'] as const
export type Category = (typeof CATEGORIES)[number]

export type SubjectKind = 'Cluster' | 'NodeGroup' | 'Node' | 'Namespace' | 'Workload' | 'Service'

export interface Subject {
  readonly kind: SubjectKind
  readonly name: string
  readonly namespace?: string
}

export interface Remediation {
  /** What to do, in one or two sentences. */
  readonly text: string
  /** A command the user can copy and paste. */
  readonly command?: string
  /** A YAML snippet (values file, manifest) when that is the fix. */
  readonly yaml?: string
}

export type EvidenceValue = string | number | boolean | null | readonly string[]

/** Istio's data-plane modes and redirection backends (the knowledge tables own the lists; re-exported for the model). */
export type MeshMode = 'sidecar' | 'ambient'
export type MeshBackend = 'iptables' | 'nftables'

/** What a check returns: everything about one result except what the engine derives from the definition. */
export interface Outcome {
  readonly severity: Severity
  readonly subject: Subject
  readonly message: string
  /**
   * Optional: the message in at most ~45 characters, for one-line views (the default table, -o short), when the
   * renderer's own shortening (asides dropped, leading clause) would lose what matters.
   */
  readonly summary?: string
  readonly remediation?: Remediation
  readonly evidence?: Readonly<Record<string, EvidenceValue>>
  /** The data-plane mode this result is about, when it is about one (node, platform and workload checks). */
  readonly mode?: MeshMode | null
  /** The redirection backend this result is about, when it is about one. */
  readonly backend?: MeshBackend | null
  /**
   * false: the result judges a configuration outside the install plan (another mode or backend than the one
   * planned). It is shown as information and never counts toward the verdict or the exit code. Default true.
   */
  readonly planned?: boolean
}

export interface Finding extends Outcome {
  readonly checkId: string
  readonly title: string
  readonly category: Category
  readonly docsUrl: string
  readonly mode: MeshMode | null
  readonly backend: MeshBackend | null
  readonly planned: boolean
}

/** A fact is either known or unavailable with a reason (403, timeout, probe failure). Unknown is never "missing". */
export type Fact<T> = {readonly state: 'known'; readonly value: T} | {readonly state: 'unavailable'; readonly reason: string}

export const known = <T>(value: T): Fact<T> => ({state: 'known', value})
export const unavailable = <T = never>(reason: string): Fact<T> => ({state: 'unavailable', reason})

export type FactBag = Record<string, Fact<unknown>>

/** The values of the facts a check declares in `needs`, all known. */
export type KnownValues<F extends FactBag, K extends keyof F> = {
  readonly [P in K]: F[P] extends Fact<infer T> ? T : never
}

export interface CheckDefinition<F extends FactBag = FactBag, K extends keyof F = keyof F> {
  /** Stable, readable and permanent: `<category>.<slug>`. Never reused for something else. */
  readonly id: string
  /** The passing state, e.g. "Kubernetes version is supported by the judged Istio release". */
  readonly title: string
  readonly category: Category
  /** Facts the check needs; if one is unavailable the engine reports `unknown` with its reason. */
  readonly needs: readonly K[]
  /** Where the knowledge behind the check comes from (shown in docs/checks.md). */
  readonly source: string
  /** The subject used when a needed fact is unavailable. */
  readonly defaultSubject?: Subject
  run(facts: KnownValues<F, K>): readonly Outcome[]
}

/** Identity helper that keeps the literal `needs` keys typed. */
export function defineCheck<F extends FactBag>() {
  return <K extends keyof F>(definition: CheckDefinition<F, K>): CheckDefinition<F, K> => definition
}

export const CLUSTER_SUBJECT: Subject = {kind: 'Cluster', name: 'cluster'}
