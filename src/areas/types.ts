import type {Finding} from '../checks/types.js'
import type {ReportView} from '../engine/report.js'

/** What one area (cluster, nodes, platform, workloads) contributes to a report; `check` merges several. */
export interface AreaResult {
  readonly findings: readonly Finding[]
  readonly data?: Readonly<Record<string, unknown>>
  readonly views?: readonly ReportView[]
}
