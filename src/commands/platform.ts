import {Flags} from '@oclif/core'
import {judgePlatform} from '../pipeline/platform.js'
import {reportFrom} from '../report/from-areas.js'
import {MeshReadyCommand} from '../cli/base-command.js'
import {istioNamespaceFlag, modeFlag} from '../cli/flags.js'
import {UserError} from '../model/errors.js'
import {valuesDocument} from '../derive/platform/install-plan.js'
import {platformLabel} from '../derive/platform/detect-platform.js'
import {exitCodeFor} from '../model/exit-codes.js'
import {gatherPlatform} from '../gather/platform.js'
import type {Mode} from '../knowledge/istio-platform.js'
import {MODES} from '../knowledge/istio-platform.js'
import {patchOf} from '../knowledge/versions.js'
import {startProgress} from '../render/progress.js'

export default class Platform extends MeshReadyCommand {
  static override summary = 'Platform and CNI prerequisites, and the exact install flags.'
  static override description =
    `Reads only the Kubernetes API: nodes, DaemonSets, discovery, quotas, policies and CNI settings. Detects the platform (GKE, EKS, AKS, OpenShift, K3s, k3d, RKE2, MicroK8s, minikube, kind, Docker Desktop, Talos, kubeadm) with the signals that matched and a confidence, the CNI and any installed Istio (the default for --istio-version), then judges each prerequisite for sidecar and ambient side by side.
--values prints a Helm values file and --istioctl the istioctl flags for the detected platform and one --mode.
Exit codes: 0 ready, 1 internal error, 2 usage or input error, 3 at least one fail, 4 warnings only, 5 incomplete (see --fail-on).`
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --mode ambient -o wide',
    '<%= config.bin %> <%= command.id %> --mode ambient --values > values.yaml && helm install istio-cni istio/cni -n istio-system -f values.yaml',
    'istioctl install $(<%= config.bin %> <%= command.id %> --mode ambient --istioctl)',
  ]
  static override flags = {
    mode: modeFlag,
    'istio-namespace': istioNamespaceFlag,
    values: Flags.boolean({default: false, description: 'Print a Helm values file for the detected platform and --mode instead of the report.'}),
    istioctl: Flags.boolean({default: false, description: 'Print the istioctl install flags for the detected platform and --mode instead of the report.'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Platform)
    const istioNamespace = flags['istio-namespace']
    if (flags.values && flags.istioctl) throw new UserError('--values and --istioctl print the same settings in two forms; pass one of them')
    const printing = flags.values ? '--values' : flags.istioctl ? '--istioctl' : undefined
    // The settings are a document of their own: YAML (default, -o yaml) or JSON (-o json), never a report format.
    if (printing && !['table', 'yaml', 'json'].includes(flags.output))
      throw new UserError(`${printing} prints YAML (the default, or -o yaml) or JSON (-o json), not -o ${flags.output}`)
    if (printing && flags.mode === 'both') throw new UserError(`${printing} prints the settings of one mode; add --mode sidecar or --mode ambient`)
    const client = this.kubeClient(flags)
    const progress = await startProgress('Reading nodes, CNI and Istio from the API server…')
    const inputs = await gatherPlatform(client, {istioNamespace, signal: this.abort.signal}).finally(() => progress.stop())
    const installed = inputs.installedIstio.state === 'known' ? inputs.installedIstio.value : undefined
    const judged = await this.judgedPlan(flags, client, {mode: flags.mode, installed: installed ?? null})
    const {istioVersion} = judged
    // --values/--istioctl print the settings of the planned mode (the installed Istio's, --mode, else sidecar); the
    // report judges both modes and marks the ones outside the plan planned:false (shown, never counted).
    const modes: readonly Mode[] = printing ? (flags.mode && flags.mode !== 'both' ? [flags.mode] : judged.modes.slice(0, 1)) : MODES
    const istioPatch = patchOf(flags['istio-version'] ?? installed?.version, istioVersion)
    const result = judgePlatform(inputs, {istioVersion, istioPatch, modes, plannedModes: printing ? modes : judged.modes})
    const report = reportFrom('platform', judged, client, [result])
    const plan = result.plans[modes[0]!]
    if (printing === undefined || plan === undefined) {
      this.emit(report, flags)
      return
    }
    const title = `kubectl mesh-ready platform --values: ${platformLabel(result.detection)}, ${plan.mode} mode, Istio ${istioVersion}`
    if (flags.output === 'json') {
      // JSON has no comments: the values (a Helm values file: helm -f values.json) or the istioctl arguments as an
      // array; the warnings and notes the YAML carries as comments go to stderr.
      process.stdout.write(`${JSON.stringify(flags.values ? plan.values : plan.istioctl, null, 2)}\n`)
      if (!plan.supported)
        process.stderr.write(`warning: ${plan.mode} mode is not available on this platform; see "kubectl mesh-ready platform --mode ${plan.mode}"\n`)
      for (const note of plan.notes) process.stderr.write(`note: ${note}\n`)
    } else process.stdout.write(flags.values ? valuesDocument(plan, title) : `${plan.istioctl.join(' ')}\n`)
    if (report.verdict !== 'ready') {
      process.stderr.write(
        `note: ${report.summary.fail} fail, ${report.summary.warn} warn, ${report.summary.unknown} unknown for ${plan.mode} mode; run "kubectl mesh-ready platform --mode ${plan.mode}" for the findings\n`,
      )
    }
    process.exitCode = exitCodeFor(report.verdict, flags['fail-on'], report.summary)
  }
}
