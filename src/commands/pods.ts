import {Args, Flags} from '@oclif/core'
import {reportFrom} from '../report/from-areas.js'
import {scopeOf, targetNamespaces} from '../model/plan.js'
import {workloadsArea} from '../pipeline/workloads.js'
import {MeshReadyCommand} from '../cli/base-command.js'
import {UserError} from '../model/errors.js'
import {allNamespacesFlag, istioNamespaceFlag} from '../cli/flags.js'
import {parseWorkloadTarget} from '../gather/workloads-shape.js'
import {MODE_FLAGS} from '../knowledge/mesh-labels.js'
import {startProgress} from '../render/progress.js'

export default class Pods extends MeshReadyCommand {
  static override summary = "Workloads against Istio's requirements: UID, capabilities, ports."
  static override description =
    `Reads every pod in every namespace the caller can list (-n narrows it) page by page, groups pods by workload (Deployment, StatefulSet, DaemonSet, CronJob, Job, bare pod) and judges each workload once: UID/GID 1337, NET_ADMIN/NET_RAW admission for istio-init, app/version labels, Service port protocols and conflicts, ports Istio reserves, server-first protocols, hostNetwork, headless Services and UDP.
Exit codes: 0 ready, 1 internal error, 2 usage or input error, 3 at least one fail, 4 warnings only, 5 incomplete (see --fail-on).`
  static override examples = [
    '<%= config.bin %> <%= command.id %> -n shop',
    '<%= config.bin %> <%= command.id %> -A -o json',
    '<%= config.bin %> <%= command.id %> deployment/web -n shop --mode ambient',
    '<%= config.bin %> <%= command.id %> -A -l app.kubernetes.io/part-of=checkout',
  ]
  static override args = {
    workload: Args.string({description: 'A workload (deployment/web, sts/db, cronjob/report) or pod name; default: everything in scope.', required: false}),
  }
  static override flags = {
    'all-namespaces': allNamespacesFlag,
    selector: Flags.string({char: 'l', description: 'Only pods matching this label selector, e.g. app=web,tier!=cache.'}),
    mode: Flags.option({
      options: MODE_FLAGS,
      default: 'auto' as const,
      description: 'Data-plane mode to judge: auto (from labels and what is installed), sidecar, ambient or both.',
    })(),
    'istio-namespace': istioNamespaceFlag,
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Pods)
    const target = args.workload === undefined ? undefined : parseWorkloadTarget(args.workload)
    if (typeof target === 'string') throw new UserError(target)
    const istioNamespace = flags['istio-namespace']
    const client = this.kubeClient(flags)
    const plan = await this.judgedPlan(flags, client, {mode: flags.mode === 'auto' ? undefined : flags.mode, istioNamespace})
    const namespaces = targetNamespaces(flags)
    const progress = await startProgress('Reading pods…')
    try {
      const workloads = await workloadsArea(client, {
        namespaces,
        labelSelector: flags.selector,
        target,
        mode: flags.mode,
        istioNamespace,
        signal: this.abort.signal,
        onProgress: (pods) => progress.update(`Reading pods… ${pods} so far`),
      })
      progress.stop()
      this.emit(reportFrom('pods', plan, client, [workloads], scopeOf(namespaces)), flags)
    } finally {
      progress.stop()
    }
  }
}
