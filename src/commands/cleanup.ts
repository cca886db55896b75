import {Flags} from '@oclif/core'
import {reportFrom} from '../report/from-areas.js'
import {resolvePlan} from '../model/plan.js'
import type {ReportView} from '../model/report.js'
import {nodeCleanupChecks} from '../checks/node/index.js'
import {MeshReadyCommand} from '../cli/base-command.js'
import {runChecks} from '../checks/run.js'
import type {CleanupFacts, CleanupSummary} from '../gather/probe/cleanup.js'
import {removeLeftovers, summarizeCleanup} from '../gather/probe/cleanup.js'
import {MANAGED_SELECTOR} from '../gather/probe/labels.js'
import {LEASE_DURATION_SECONDS} from '../gather/probe/pods.js'

/** One row per object cleanup saw: what it did with it. */
function objectsView(summary: CleanupSummary): ReportView | undefined {
  const removedWord = summary.dryRun ? 'would remove' : 'removed'
  const rows = [
    ...summary.removed.map((l) => [removedWord, l] as const),
    ...summary.failed.map((l) => ['not removed', l] as const),
    ...summary.kept.map((l) => ['kept: alive', l] as const),
  ].map(([action, l]) => [action, l.kind, l.namespace ? `${l.namespace}/${l.name}` : l.name, l.runId ?? ''])
  if (rows.length === 0) return undefined
  return {title: summary.dryRun ? 'Probe objects (--dry-run: nothing deleted)' : 'Probe objects', headers: ['ACTION', 'KIND', 'OBJECT', 'RUN'], rows}
}

export default class Cleanup extends MeshReadyCommand {
  static override summary = 'Remove probe pods and namespaces left behind by any earlier run.'
  static override description =
    `Deletes every pod, lease and namespace labelled ${MANAGED_SELECTOR} of runs that are over: what a run killed with SIGKILL, a lost connection or --keep-probes left behind.
A run that is still going holds a Lease (mesh-ready-run-<run id>) and renews it every 15s; its objects are left alone until the lease has not been renewed for ${LEASE_DURATION_SECONDS}s.
Exit codes: 0 clean, 1 internal error, 2 usage or input error, 4 something could not be removed or seen (see --fail-on).`
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --dry-run',
    '<%= config.bin %> <%= command.id %> --context prod -o json',
  ]
  static override flags = {
    'dry-run': Flags.boolean({default: false, description: 'List what would be removed; delete nothing.'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Cleanup)
    const client = this.kubeClient(flags)
    const facts: CleanupFacts = {leftovers: await removeLeftovers(client, {namespace: flags.namespace, dryRun: flags['dry-run']})}
    const findings = runChecks(nodeCleanupChecks, facts)
    const summary = summarizeCleanup(facts.leftovers.state === 'known' ? facts.leftovers.value : undefined)
    const view = objectsView(summary)
    this.emit(
      reportFrom('cleanup', resolvePlan({istioVersion: this.istioVersion(flags)}), client, [{findings, data: {cleanup: summary}, views: view ? [view] : []}]),
      flags,
    )
  }
}
