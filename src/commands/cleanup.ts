import {reportFrom} from '../areas/report.js'
import {resolvePlan} from '../engine/plan.js'
import {nodeCleanupChecks} from '../checks/node/index.js'
import {MeshReadyCommand} from '../cli/base-command.js'
import {runChecks} from '../engine/run-checks.js'
import type {CleanupFacts} from '../gather/probe/cleanup.js'
import {removeLeftovers} from '../gather/probe/cleanup.js'
import {MANAGED_SELECTOR} from '../gather/probe/labels.js'

export default class Cleanup extends MeshReadyCommand {
  static override summary = 'Remove probe pods and namespaces left behind by any earlier run.'
  static override description = `Deletes every pod and namespace labelled ${MANAGED_SELECTOR}: what a run killed with SIGKILL, a lost connection or --keep-probes left behind.
Exit codes: 0 nothing left, 1 internal error, 2 usage or input error, 4 something could not be removed (see --fail-on).`
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --context prod -o json']

  async run(): Promise<void> {
    const {flags} = await this.parse(Cleanup)
    const client = this.kubeClient(flags)
    const facts: CleanupFacts = {leftovers: await removeLeftovers(client, flags.namespace)}
    const findings = runChecks(nodeCleanupChecks, facts)
    const removed = facts.leftovers.state === 'known' ? facts.leftovers.value.leftovers : []
    this.emit(reportFrom('cleanup', resolvePlan({istioVersion: this.istioVersion(flags)}), client, [{findings, data: {cleanup: {removed: removed.filter((l) => !l.error), failed: removed.filter((l) => l.error)}}}]), flags)
  }
}
