import {clusterChecks} from './cluster/index.js'
import {nodeChecks} from './node/index.js'
import {platformChecks} from './platform/index.js'
import type {CheckDefinition} from '../model/finding.js'
import {workloadChecks} from './workload/index.js'

/**
 * Every check, in one list: the source of docs/checks.md and of the id uniqueness test.
 * Find a check from its id: `<category>.<slug>` lives in src/checks/<category>/<slug>.ts.
 */
export const allChecks: readonly CheckDefinition<any, any>[] = [...clusterChecks, ...nodeChecks, ...platformChecks, ...workloadChecks]

/** Ids that once existed and must never be reused for something else. */
export const retiredCheckIds: readonly string[] = []
