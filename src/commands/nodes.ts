import {Args, Flags} from '@oclif/core'
import type {OfflineInput} from '../pipeline/nodes.js'
import {nodesArea, nodesOptionsFromFlags} from '../pipeline/nodes.js'
import {reportFrom} from '../report/from-areas.js'
import {MeshReadyCommand} from '../cli/base-command.js'
import {UserError} from '../model/errors.js'
import {backendFlag, boundedIntegerFlag, modeFlag, namespaceFlag} from '../cli/flags.js'
import {parseProbeTimeout} from '../gather/kube/duration.js'
import {startProgress} from '../render/progress.js'
import {DAEMONSET_THRESHOLD} from '../gather/probe/plan.js'

const NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/

/** The node flags, shared with `check` (which may run the nodes area too). */
export const nodesFlags = {
  selector: Flags.string({char: 'l', description: 'Only nodes matching this label selector, e.g. node-role.kubernetes.io/worker='}),
  'all-nodes': Flags.boolean({default: false, description: 'Probe every node instead of one per node group (kernel, OS image, architecture, runtime).'}),
  mode: modeFlag,
  backend: backendFlag,
  'ip-families': Flags.option({
    options: ['auto', 'ipv4', 'ipv6', 'dual'] as const,
    default: 'auto' as const,
    description: 'IP families of the cluster; auto reads node podCIDRs and the kubernetes Service.',
  })(),
  'dns-capture': Flags.boolean({
    allowNo: true,
    description: "Judge with DNS capture on (--dns-capture) or off (--no-dns-capture); default: Istio's defaults (off for sidecars, on for ambient).",
  }),
  interception: Flags.option({
    options: ['redirect', 'tproxy'] as const,
    default: 'redirect' as const,
    description: 'Sidecar inbound interception mode (sidecar.istio.io/interceptionMode).',
  })(),
  functional: Flags.boolean({
    default: false,
    description:
      "Also apply Istio-shaped rules with iptables-legacy, iptables-nft, nft, ipset and ip rule in the probe pod's own network namespace (adds NET_ADMIN/NET_RAW; default image: Istio's proxyv2).",
  }),
  image: Flags.string({
    description:
      'Probe image for every probe pod (default: busybox:1.37; with --functional docker.io/istio/proxyv2:<istio-version>.0); point it at your registry when air-gapped.',
  }),
  'image-pull-secret': Flags.string({description: 'imagePullSecret (in the probe namespace) for --image.'}),
  'probe-namespace': namespaceFlag({
    description: 'Run probes in this existing namespace (not created or deleted); default: a mesh-ready-probe namespace created and deleted by the run.',
  }),
  timeout: Flags.string({default: '2m', description: 'Overall time for the probes: 90s, 2m. Probe pods get three quarters of it as activeDeadlineSeconds.'}),
  concurrency: boundedIntegerFlag(1, 200)({default: 10, description: 'Probe pods created (with a DaemonSet: probe logs read) at a time (1 to 200).'}),
  'fan-out': Flags.option({
    options: ['auto', 'pods', 'daemonset'] as const,
    default: 'auto' as const,
    description: `How probes reach the nodes: one bare pod per probe, or one DaemonSet whose controller makes them; auto picks the DaemonSet when --all-nodes or node names select more than ${DAEMONSET_THRESHOLD} nodes.`,
  })(),
  local: Flags.boolean({default: false, exclusive: ['host-root', 'kernel-config'], description: 'Judge the machine this runs on (no cluster needed).'}),
  'host-root': Flags.string({
    exclusive: ['local', 'kernel-config'],
    description: 'Judge a mounted node image or chroot at this directory (image build pipelines).',
  }),
  'kernel-config': Flags.string({exclusive: ['local', 'host-root'], description: 'Judge a kernel config file alone (config or config.gz).'}),
  'kernel-release': Flags.string({description: 'Kernel release for --kernel-config or --host-root when the files do not name exactly one.'}),
  'keep-probes': Flags.boolean({
    default: false,
    description: 'Leave the probe pods and namespace for debugging (remove them later with kubectl mesh-ready cleanup).',
  }),
}

export default class Nodes extends MeshReadyCommand {
  static override summary = 'Kernel readiness of each node group for every mode and backend.'
  static override description =
    `Runs one short-lived probe pod per node group (nodes sharing kernel, OS image, architecture and container runtime) that reads the kernel config, module lists, SELinux mode and legacy iptables tables, then judges them against every kernel requirement of Istio's interception, including merged modules (nf_conntrack_ipv4 → nf_conntrack) and what Istio's docs omit. The default view is a matrix of sidecar/ambient × iptables/nftables per group; -o wide adds each module's evidence.
Probe pods and the namespace are deleted on success, failure, timeout, Ctrl-C and SIGTERM; "kubectl mesh-ready cleanup" removes leftovers of any earlier run.
The verdict judges the planned install (the installed Istio's mode and backend, else --mode/--backend, else Istio's default: sidecar on iptables); the matrix still shows every mode and backend.
--local, --host-root and --kernel-config judge without a cluster. Exit codes: 0 ready, 1 internal error, 2 usage or input error, 3 at least one fail, 4 warnings only, 5 incomplete (nothing could be judged; see --fail-on).`
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --mode ambient --backend nftables -o wide',
    '<%= config.bin %> <%= command.id %> -l node.kubernetes.io/instance-type=m5.large --functional',
    '<%= config.bin %> <%= command.id %> --image registry.example.com/busybox:1.37 --image-pull-secret regcred',
    'sudo <%= config.bin %> <%= command.id %> --local --functional',
    '<%= config.bin %> <%= command.id %> --host-root /mnt/node-image -o json',
    '<%= config.bin %> <%= command.id %> --kernel-config /boot/config-$(uname -r)',
  ]
  static override strict = false
  static override args = {node: Args.string({description: 'Node names to judge (any number; default: every node, one probe per group).'})}
  static override flags = nodesFlags

  async run(): Promise<void> {
    const {flags, argv} = await this.parse(Nodes)
    const names = argv.map(String)
    for (const n of names) if (!NAME.test(n)) throw new UserError(`"${n}" is not a node name; pass node names as they appear in kubectl get nodes`)
    const offline: OfflineInput | undefined = flags.local
      ? {kind: 'local'}
      : flags['host-root']
        ? {kind: 'host-root', dir: flags['host-root']}
        : flags['kernel-config']
          ? {kind: 'kernel-config', file: flags['kernel-config']}
          : undefined
    if (offline && (names.length > 0 || flags.selector || flags['all-nodes'])) {
      throw new UserError(`node names, -l and --all-nodes select cluster nodes; they cannot be combined with --${offline.kind}`)
    }
    if (flags['kernel-release'] && offline?.kind !== 'kernel-config' && offline?.kind !== 'host-root')
      throw new UserError('--kernel-release needs --kernel-config or --host-root')
    const timeoutMs = parseProbeTimeout(flags.timeout)
    const client = offline ? undefined : this.kubeClient(flags)
    const plan = await this.judgedPlan(flags, client, {mode: flags.mode, backend: flags.backend})
    const progress = await startProgress(offline ? 'Reading the kernel…' : 'Probing node groups…')
    const options = nodesOptionsFromFlags(flags, {plan, timeoutMs, nodeNames: names, offline, run: this.runContext(progress.update)})
    const result = await nodesArea(client, options).finally(() => progress.stop())
    this.emit(reportFrom('nodes', plan, client, [result]), flags)
  }
}
