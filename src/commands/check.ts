import {clusterArea} from '../areas/cluster.js'
import {reportFrom} from '../areas/report.js'
import {MeshReadyCommand} from '../cli/base-command.js'
import {allNamespacesFlag} from '../cli/flags.js'

export default class Check extends MeshReadyCommand {
  static override summary = 'Everything before installing Istio: cluster, nodes, platform and workloads, one verdict.'
  static override description = `Runs the cluster preflight (API server, Kubernetes version against the judged Istio release, the permissions the checks need).
Exit codes: 0 ready, 1 internal error, 2 usage or input error, 3 at least one fail, 4 warnings only (see --fail-on).`
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --context prod --istio-version 1.29 -o json',
    '<%= config.bin %> <%= command.id %> -A --fail-on fail',
  ]
  static override flags = {'all-namespaces': allNamespacesFlag}

  async run(): Promise<void> {
    const {flags} = await this.parse(Check)
    const client = this.kubeClient(flags)
    const istioVersion = this.istioVersion(flags)
    const cluster = await clusterArea(client, {
      istioVersion,
      areas: ['nodes', 'platform', 'pods'],
      namespaces: {probeNamespace: 'mesh-ready-probe', istioNamespace: 'istio-system', targetNamespaces: flags['all-namespaces'] ? undefined : [client.target.namespace]},
    })
    this.emit(reportFrom('check', istioVersion, client, [cluster]), flags)
  }
}
