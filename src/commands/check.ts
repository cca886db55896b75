import {Flags} from '@oclif/core'
import {clusterArea} from '../pipeline/cluster.js'
import {nodesArea, nodesOptionsFromFlags} from '../pipeline/nodes.js'
import {judgePlatform} from '../pipeline/platform.js'
import {reportFrom} from '../report/from-areas.js'
import {scopeOf, targetNamespaces as targetNamespacesOf} from '../model/plan.js'
import type {AreaResult} from '../model/area.js'
import {workloadsArea} from '../pipeline/workloads.js'
import {MeshReadyCommand} from '../cli/base-command.js'
import {allNamespacesFlag, istioNamespaceFlag} from '../cli/flags.js'
import {parseProbeTimeout} from '../gather/kube/duration.js'
import {gatherPlatform} from '../gather/platform.js'
import {PROBE_NAMESPACE} from '../gather/probe/pods.js'
import {namespaceLabels} from '../gather/workloads.js'
import type {PermissionArea} from '../gather/reads.js'
import {startProgress} from '../render/progress.js'
import {patchOf} from '../knowledge/versions.js'
import {nodesFlags} from './nodes.js'

const AREAS = ['nodes', 'platform', 'pods'] as const satisfies readonly PermissionArea[]

export default class Check extends MeshReadyCommand {
  static override summary = 'Cluster, nodes, platform and workloads before Istio: one verdict.'
  static override description =
    `Runs the cluster preflight (API server, Kubernetes version against the judged Istio release, the permissions the checks need), then the platform, nodes and pods checks, and prints one report with one verdict.
--skip leaves an area out (for example --skip nodes where privileged probe pods are not allowed).
The verdict judges the planned install (the installed Istio's mode and backend, else --mode/--backend, else Istio's default: sidecar on iptables) in every namespace the caller can list (-n narrows it); other modes and backends are shown as information.
Exit codes: 0 ready, 1 internal error, 2 usage or input error, 3 at least one fail, 4 warnings only, 5 incomplete (see --fail-on).`
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --context prod --istio-version 1.29 -o json',
    '<%= config.bin %> <%= command.id %> -A --mode ambient --fail-on fail',
    '<%= config.bin %> <%= command.id %> --skip nodes',
  ]
  static override flags = {
    'all-namespaces': allNamespacesFlag,
    mode: nodesFlags.mode,
    'istio-namespace': istioNamespaceFlag,
    skip: Flags.option({options: AREAS, multiple: true, description: 'Leave out an area: nodes (no probe pods), platform, pods. Repeat for several.'})(),
    backend: nodesFlags.backend,
    functional: nodesFlags.functional,
    'all-nodes': nodesFlags['all-nodes'],
    image: nodesFlags.image,
    'image-pull-secret': nodesFlags['image-pull-secret'],
    'probe-namespace': nodesFlags['probe-namespace'],
    timeout: nodesFlags.timeout,
    concurrency: nodesFlags.concurrency,
    'fan-out': nodesFlags['fan-out'],
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Check)
    const skip = new Set(flags.skip ?? [])
    const timeoutMs = parseProbeTimeout(flags.timeout)
    // One snapshot of the cluster for every area: each read (/version, the node, namespace and DaemonSet lists, …) is
    // requested once per run and shared (KubeClient.snapshot). The probe session gets the same client but only its
    // plain requests, never the snapshot's reads, so its polling sees fresh answers.
    const client = this.kubeClient(flags).snapshot()
    const istioNamespace = flags['istio-namespace']
    const targetNamespaces = targetNamespacesOf(flags)
    // A typo in -n is a usage error before anything runs (no probe pods started for nothing).
    if (targetNamespaces && !skip.has('pods')) await namespaceLabels(client, targetNamespaces[0]!, this.abort.signal)
    const progress = await startProgress('Reading the cluster…')
    try {
      // The installed Istio (found by the platform gather) is the default release to judge against.
      const platformInputs = skip.has('platform') ? undefined : await gatherPlatform(client, {istioNamespace, signal: this.abort.signal})
      const installed = platformInputs?.installedIstio.state === 'known' ? platformInputs.installedIstio.value : undefined
      const plan = await this.judgedPlan(flags, client, {
        mode: flags.mode,
        backend: flags.backend,
        istioNamespace,
        installed: platformInputs ? (installed ?? null) : undefined,
      })
      const {istioVersion} = plan
      const areas = AREAS.filter((a) => !skip.has(a))

      const platform = platformInputs
        ? judgePlatform(platformInputs, {
            istioVersion,
            istioPatch: patchOf(flags['istio-version'] ?? installed?.version, istioVersion),
            plannedModes: plan.modes,
          })
        : undefined
      // The preflight, the probes and the workload lists do not depend on each other: run them together.
      const [cluster, nodes, workloads] = await Promise.all([
        clusterArea(client, {
          istioVersion,
          areas,
          namespaces: {probeNamespace: flags['probe-namespace'] ?? PROBE_NAMESPACE, istioNamespace, targetNamespaces},
        }),
        skip.has('nodes') ? undefined : nodesArea(client, nodesOptionsFromFlags(flags, {plan, timeoutMs, run: this.runContext(progress.update)})),
        skip.has('pods')
          ? undefined
          : workloadsArea(client, {
              namespaces: targetNamespaces,
              mode: flags.mode === undefined || flags.mode === 'both' ? 'auto' : flags.mode,
              istioNamespace,
              signal: this.abort.signal,
            }),
      ])
      const results = [cluster, platform, nodes, workloads].filter((r): r is AreaResult => r !== undefined)
      progress.stop()
      this.emit(reportFrom('check', plan, client, results, skip.has('pods') ? undefined : scopeOf(targetNamespaces)), flags)
    } finally {
      progress.stop()
    }
  }
}
