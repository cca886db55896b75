import type {Finding} from './finding.js'
import type {AlternativeSummary, AreaCoverage, ReportView} from './report.js'

/** What one area (cluster, nodes, platform, workloads) contributes to a report; `check` merges several. */
export interface AreaResult {
  readonly findings: readonly Finding[]
  readonly data?: Readonly<Record<string, unknown>>
  readonly views?: readonly ReportView[]
  /** How much of the area was judged; an area that judged nothing makes the verdict `incomplete`. */
  readonly coverage?: AreaCoverage
  /** Configurations outside the plan, summarised for the verdict line. */
  readonly alternatives?: readonly AlternativeSummary[]
}
