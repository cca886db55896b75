/**
 * Every Kubernetes API request the plugin makes, declared once: verb, API group, resource, where (scope), why, and
 * which checks need it (the way Istio's analyzers declare their inputs and Popeye its preloads).
 *
 * - `cluster.plugin-permissions` asks the API server about each row (SelfSubjectRulesReview per namespace,
 *   SelfSubjectAccessReview for cluster-wide rows), for the areas a command runs.
 * - The permissions table in docs/permissions.md is generated from this list (`npm run docs`; a test fails when stale).
 * - test/reads.e2e.test.ts runs the built CLI against many test clusters and fails on any request that matches no row.
 */
/** `cleanup` is its own command: its rows are documented, and `check` does not ask about them. */
export type PermissionArea = 'nodes' | 'platform' | 'pods' | 'cleanup'

/** Where a namespaced permission is needed. `target` = the namespaces the user selected (-n / -A). */
export type PermissionScope = 'cluster' | 'probe-namespace' | 'target' | 'kube-system' | 'istio-namespace' | 'default'

export interface ApiRead {
  readonly verb: string
  /** The API group; '' for the core group. */
  readonly group: string
  readonly resource: string
  readonly scope: PermissionScope
  readonly areas: readonly PermissionArea[]
  readonly why: string
  /** The checks whose facts come from this request (ids of src/checks); empty for `cleanup`, which has none. */
  readonly checks: readonly string[]
  /**
   * The request is made only in some runs: where the cluster serves this API group (Cilium, Calico, OpenShift, EKS,
   * old PSP), or with a DaemonSet fan-out. `cluster.plugin-permissions` does not ask about it, since most runs never
   * make it; a denied request still shows as `unknown` on the checks that need it.
   */
  readonly onlyWhereServed?: string
  /** Not asked about: every authenticated user may make it (system:basic-user), or it is the review itself. */
  readonly alwaysAllowed?: boolean
}

const NODE_JUDGEMENT = ['node.probe', 'node.iptables-backend', 'node.nftables-backend', 'node.module-autoload', 'node.functional-rules'] as const
const PROBES = ['node.probe', 'node.probe-leftovers'] as const
const WORKLOADS = [
  'workload.inventory',
  'workload.uid-1337',
  'workload.net-admin-capabilities',
  'workload.app-version-labels',
  'workload.port-protocol',
  'workload.reserved-ports',
  'workload.host-network',
  'workload.server-first',
  'workload.udp-ports',
  'workload.protocol-conflict',
] as const

export const API_READS: readonly ApiRead[] = [
  {
    verb: 'create',
    group: 'authorization.k8s.io',
    resource: 'selfsubjectrulesreviews',
    scope: 'cluster',
    areas: ['nodes', 'platform', 'pods'],
    why: 'ask which of these permissions the caller has (one per namespace)',
    checks: ['cluster.plugin-permissions'],
    alwaysAllowed: true,
  },
  {
    verb: 'create',
    group: 'authorization.k8s.io',
    resource: 'selfsubjectaccessreviews',
    scope: 'cluster',
    areas: ['nodes', 'platform', 'pods'],
    why: 'ask about cluster-wide permissions',
    checks: ['cluster.plugin-permissions'],
    alwaysAllowed: true,
  },
  {
    verb: 'list',
    group: '',
    resource: 'nodes',
    scope: 'cluster',
    areas: ['nodes', 'platform'],
    why: 'group nodes by kernel and detect the platform',
    checks: [...NODE_JUDGEMENT, 'platform.detection', 'platform.install-values'],
  },
  {
    verb: 'get',
    group: '',
    resource: 'services',
    scope: 'default',
    areas: ['nodes'],
    why: "read the kubernetes Service's IP families (IPv4, IPv6 or dual-stack)",
    checks: [...NODE_JUDGEMENT],
  },
  {
    verb: 'get',
    group: '',
    resource: 'namespaces',
    scope: 'cluster',
    areas: ['nodes', 'pods'],
    why: 'see whether the probe namespace exists and read the labels of a namespace given with -n',
    checks: [...PROBES, ...WORKLOADS],
  },
  {verb: 'create', group: '', resource: 'namespaces', scope: 'cluster', areas: ['nodes'], why: 'create the short-lived probe namespace', checks: [...PROBES]},
  {verb: 'delete', group: '', resource: 'namespaces', scope: 'cluster', areas: ['nodes'], why: 'delete the probe namespace afterwards', checks: [...PROBES]},
  {
    verb: 'create',
    group: '',
    resource: 'pods',
    scope: 'probe-namespace',
    areas: ['nodes'],
    why: 'run one probe pod per node group',
    checks: [...NODE_JUDGEMENT],
  },
  {
    verb: 'list',
    group: '',
    resource: 'pods',
    scope: 'probe-namespace',
    areas: ['nodes'],
    why: 'find probe pods of this run and earlier ones',
    checks: [...PROBES],
  },
  {verb: 'get', group: '', resource: 'pods', scope: 'probe-namespace', areas: ['nodes'], why: 'read a probe pod that finished', checks: [...NODE_JUDGEMENT]},
  {verb: 'watch', group: '', resource: 'pods', scope: 'probe-namespace', areas: ['nodes'], why: 'wait for probe pods to finish', checks: [...NODE_JUDGEMENT]},
  {
    verb: 'get',
    group: '',
    resource: 'pods/log',
    scope: 'probe-namespace',
    areas: ['nodes'],
    why: 'read probe output that did not fit the termination message',
    checks: [...NODE_JUDGEMENT],
  },
  {verb: 'delete', group: '', resource: 'pods', scope: 'probe-namespace', areas: ['nodes'], why: 'remove probe pods', checks: [...PROBES]},
  {
    verb: 'create',
    group: 'apps',
    resource: 'daemonsets',
    scope: 'probe-namespace',
    areas: ['nodes'],
    why: 'run the probes as one DaemonSet on large clusters',
    checks: [...NODE_JUDGEMENT],
    onlyWhereServed: 'a DaemonSet fan-out (--fan-out daemonset, or auto above 50 nodes)',
  },
  {
    verb: 'create',
    group: '',
    resource: 'configmaps',
    scope: 'probe-namespace',
    areas: ['nodes'],
    why: "hold the DaemonSet's probe script once, instead of in every pod (owned by the DaemonSet, removed with it)",
    checks: [...NODE_JUDGEMENT],
    onlyWhereServed: 'a DaemonSet fan-out (--fan-out daemonset, or auto above 50 nodes)',
  },
  {
    verb: 'delete',
    group: 'apps',
    resource: 'daemonsets',
    scope: 'probe-namespace',
    areas: ['nodes'],
    why: 'remove that DaemonSet (its pods and script ConfigMap follow)',
    checks: [...PROBES],
    onlyWhereServed: 'a DaemonSet fan-out (--fan-out daemonset, or auto above 50 nodes)',
  },
  {
    verb: 'list',
    group: '',
    resource: 'events',
    scope: 'probe-namespace',
    areas: ['nodes'],
    why: "read the DaemonSet's FailedCreate events (pods refused by admission)",
    checks: ['node.probe'],
    onlyWhereServed: 'a DaemonSet fan-out (--fan-out daemonset, or auto above 50 nodes)',
  },
  {
    verb: 'list',
    group: 'coordination.k8s.io',
    resource: 'leases',
    scope: 'probe-namespace',
    areas: ['nodes'],
    why: 'see which runs are still live before removing the probe namespace',
    checks: [...PROBES],
  },
  {
    verb: 'create',
    group: 'coordination.k8s.io',
    resource: 'leases',
    scope: 'probe-namespace',
    areas: ['nodes'],
    why: 'hold a Lease while probes run, so cleanup leaves a live run alone',
    checks: [...PROBES],
  },
  {verb: 'patch', group: 'coordination.k8s.io', resource: 'leases', scope: 'probe-namespace', areas: ['nodes'], why: 'renew that Lease', checks: [...PROBES]},
  {
    verb: 'delete',
    group: 'coordination.k8s.io',
    resource: 'leases',
    scope: 'probe-namespace',
    areas: ['nodes'],
    why: 'release that Lease when the run ends',
    checks: [...PROBES],
  },
  {
    verb: 'list',
    group: '',
    resource: 'pods',
    scope: 'cluster',
    areas: ['cleanup'],
    why: 'find probe pods that earlier runs left in any namespace (falls back to the probe namespace)',
    checks: [],
  },
  {
    verb: 'list',
    group: 'apps',
    resource: 'daemonsets',
    scope: 'probe-namespace',
    areas: ['cleanup'],
    why: 'find probe DaemonSets that earlier runs left (when the cluster-wide list is refused)',
    checks: [],
  },
  {verb: 'delete', group: 'apps', resource: 'daemonsets', scope: 'probe-namespace', areas: ['cleanup'], why: 'remove them (their pods follow)', checks: []},
  {
    verb: 'list',
    group: 'coordination.k8s.io',
    resource: 'leases',
    scope: 'cluster',
    areas: ['cleanup'],
    why: 'find the Leases of earlier runs in any namespace, to tell live runs from finished ones',
    checks: [],
  },
  {
    verb: 'list',
    group: 'coordination.k8s.io',
    resource: 'leases',
    scope: 'probe-namespace',
    areas: ['cleanup'],
    why: 'the same, when the cluster-wide list is refused',
    checks: [],
  },
  {
    verb: 'list',
    group: '',
    resource: 'pods',
    scope: 'target',
    areas: ['pods', 'platform'],
    why: 'judge workloads against the application requirements (and find CNI and Istio pods)',
    checks: [...WORKLOADS, 'platform.cni'],
  },
  {
    verb: 'list',
    group: '',
    resource: 'services',
    scope: 'target',
    areas: ['pods'],
    why: 'judge Service ports and protocols',
    checks: ['workload.port-protocol', 'workload.reserved-service-ports', 'workload.headless-service', 'workload.protocol-conflict'],
  },
  {
    verb: 'list',
    group: 'batch',
    resource: 'cronjobs',
    scope: 'target',
    areas: ['pods'],
    why: 'report Job pods under their CronJob',
    checks: ['workload.inventory'],
  },
  {
    verb: 'list',
    group: '',
    resource: 'namespaces',
    scope: 'cluster',
    areas: ['pods', 'platform'],
    why: 'read Pod Security and injection labels and find namespaces',
    checks: [...WORKLOADS, 'platform.pod-security-admission', 'platform.detection'],
  },
  {
    verb: 'get',
    group: '',
    resource: 'configmaps',
    scope: 'istio-namespace',
    areas: ['pods', 'platform'],
    why: "see whether sidecar injection is installed and the installed Istio's backend (istio-sidecar-injector, istio-cni-config)",
    checks: ['platform.installed-istio', 'workload.uid-1337', 'workload.net-admin-capabilities'],
  },
  {
    verb: 'list',
    group: 'apps',
    resource: 'daemonsets',
    scope: 'cluster',
    areas: ['platform', 'pods', 'cleanup'],
    why: 'detect the CNI, istio-cni and ztunnel (and, for cleanup, find probe DaemonSets earlier runs left)',
    checks: ['platform.cni', 'platform.detection', 'platform.installed-istio', 'workload.net-admin-capabilities'],
  },
  {
    verb: 'list',
    group: 'apps',
    resource: 'deployments',
    scope: 'cluster',
    areas: ['platform'],
    why: 'find an installed istiod and its version',
    checks: ['platform.installed-istio'],
  },
  {
    verb: 'list',
    group: '',
    resource: 'configmaps',
    scope: 'cluster',
    areas: ['platform'],
    why: 'read CNI configuration (cilium-config, …)',
    checks: ['platform.cni', 'platform.cilium-cni-exclusive', 'platform.cilium-bpf-masquerade', 'platform.cilium-kube-proxy-replacement'],
  },
  {
    verb: 'get',
    group: '',
    resource: 'configmaps',
    scope: 'kube-system',
    areas: ['platform'],
    why: "read the CNI DaemonSet's settings held in a ConfigMap (aws-node's amazon-vpc-cni)",
    checks: ['platform.eks-pod-security-groups'],
  },
  {
    verb: 'get',
    group: '',
    resource: 'secrets',
    scope: 'kube-system',
    areas: ['platform'],
    why: "read the CNI DaemonSet's settings held in a Secret, when its env refers to one",
    checks: ['platform.eks-pod-security-groups'],
    onlyWhereServed: 'a CNI DaemonSet that reads a Secret',
  },
  {
    verb: 'list',
    group: '',
    resource: 'resourcequotas',
    scope: 'cluster',
    areas: ['platform'],
    why: 'check the GKE system-node-critical quota',
    checks: ['platform.system-node-critical-quota', 'platform.detection'],
  },
  {
    verb: 'create',
    group: '',
    resource: 'pods',
    scope: 'istio-namespace',
    areas: ['platform'],
    why: 'confirm admission of system-node-critical pods with a server-side dry run',
    checks: ['platform.system-node-critical-quota'],
  },
  {
    verb: 'list',
    group: 'networking.k8s.io',
    resource: 'networkpolicies',
    scope: 'cluster',
    areas: ['platform'],
    why: 'find policies that would block the ambient probe address',
    checks: ['platform.network-policy-probe-snat'],
  },
  {
    verb: 'list',
    group: 'admissionregistration.k8s.io',
    resource: 'mutatingwebhookconfigurations',
    scope: 'cluster',
    areas: ['platform'],
    why: 'find an installed sidecar injector',
    checks: ['platform.installed-istio', 'platform.detection'],
  },
  {
    verb: 'list',
    group: 'node.k8s.io',
    resource: 'runtimeclasses',
    scope: 'cluster',
    areas: ['platform'],
    why: 'find gVisor runtime classes (no ambient)',
    checks: ['platform.gvisor-runtime-class'],
  },
  {
    verb: 'list',
    group: 'policy',
    resource: 'podsecuritypolicies',
    scope: 'cluster',
    areas: ['pods'],
    why: 'judge NET_ADMIN/NET_RAW against PodSecurityPolicies (Kubernetes before 1.25)',
    checks: ['workload.net-admin-capabilities'],
    onlyWhereServed: 'policy/v1beta1',
  },
  {
    verb: 'list',
    group: 'security.openshift.io',
    resource: 'securitycontextconstraints',
    scope: 'cluster',
    areas: ['pods'],
    why: 'judge NET_ADMIN/NET_RAW and UID 1337 against OpenShift SCCs',
    checks: ['workload.net-admin-capabilities', 'workload.uid-1337'],
    onlyWhereServed: 'security.openshift.io/v1',
  },
  {
    verb: 'get',
    group: 'config.openshift.io',
    resource: 'networks',
    scope: 'cluster',
    areas: ['platform'],
    why: "read OpenShift's cluster network type",
    checks: ['platform.cni', 'platform.openshift-ovn-gateway-mode'],
    onlyWhereServed: 'config.openshift.io/v1',
  },
  {
    verb: 'get',
    group: 'operator.openshift.io',
    resource: 'networks',
    scope: 'cluster',
    areas: ['platform'],
    why: "read OVN-Kubernetes' gateway mode",
    checks: ['platform.openshift-ovn-gateway-mode'],
    onlyWhereServed: 'operator.openshift.io/v1',
  },
  {
    verb: 'list',
    group: 'operator.tigera.io',
    resource: 'installations',
    scope: 'cluster',
    areas: ['platform'],
    why: "read Calico's data plane from the operator's Installation",
    checks: ['platform.calico-bpf-dataplane'],
    onlyWhereServed: 'operator.tigera.io/v1',
  },
  {
    verb: 'list',
    group: 'crd.projectcalico.org',
    resource: 'felixconfigurations',
    scope: 'cluster',
    areas: ['platform'],
    why: "read Calico's eBPF setting from FelixConfiguration",
    checks: ['platform.calico-bpf-dataplane'],
    onlyWhereServed: 'crd.projectcalico.org/v1',
  },
  {
    verb: 'list',
    group: 'vpcresources.k8s.aws',
    resource: 'securitygrouppolicies',
    scope: 'cluster',
    areas: ['platform'],
    why: 'find pods given security groups (EKS)',
    checks: ['platform.eks-pod-security-groups'],
    onlyWhereServed: 'vpcresources.k8s.aws/v1beta1',
  },
  {
    verb: 'list',
    group: 'cilium.io',
    resource: 'ciliumclusterwidenetworkpolicies',
    scope: 'cluster',
    areas: ['platform'],
    why: 'find Cilium policies that would block the ambient probe address',
    checks: ['platform.cilium-host-probe-policy'],
    onlyWhereServed: 'cilium.io/v2',
  },
  {
    verb: 'list',
    group: 'cilium.io',
    resource: 'ciliumnetworkpolicies',
    scope: 'cluster',
    areas: ['platform'],
    why: 'find Cilium policies that would block the ambient probe address',
    checks: ['platform.cilium-host-probe-policy'],
    onlyWhereServed: 'cilium.io/v2',
  },
]

/** The rows `cluster.plugin-permissions` asks the API server about. */
export const CHECKED_READS: readonly ApiRead[] = API_READS.filter(
  (r) => r.onlyWhereServed === undefined && r.alwaysAllowed !== true && r.areas.some((a) => a !== 'cleanup'),
)

/** What one HTTP request asks RBAC for; undefined for non-resource URLs (/version, /api, /apis discovery). */
export interface RequestedPermission {
  readonly verb: string
  readonly group: string
  readonly resource: string
  /** undefined: cluster-wide (a cluster-scoped resource, or a namespaced one across every namespace). */
  readonly namespace?: string
}

export function permissionOf(method: string, url: string): RequestedPermission | undefined {
  const [pathPart, queryPart = ''] = url.split('?')
  const query = new URLSearchParams(queryPart)
  const core = pathPart!.match(/^\/api\/v1\/(.+)$/)
  const named = pathPart!.match(/^\/apis\/([^/]+)\/[^/]+\/(.+)$/)
  const group = core ? '' : named?.[1]
  const rest = core?.[1] ?? named?.[2]
  if (group === undefined || rest === undefined) return undefined
  let parts = rest.split('/')
  let namespace: string | undefined
  if (parts[0] === 'namespaces' && parts.length >= 3) {
    namespace = parts[1]
    parts = parts.slice(2)
  }
  const resource = parts[2] === undefined ? parts[0]! : `${parts[0]}/${parts[2]}`
  const one = parts.length >= 2
  const watch = query.get('watch') === 'true' || query.get('watch') === '1'
  const verb = (
    {GET: watch ? 'watch' : one ? 'get' : 'list', POST: 'create', DELETE: one ? 'delete' : 'deletecollection', PATCH: 'patch', PUT: 'update'} as Record<
      string,
      string
    >
  )[method.toUpperCase()]
  if (verb === undefined) return undefined
  return {verb, group, resource, ...(namespace !== undefined ? {namespace} : {})}
}

const SCOPE_NAMESPACE: Partial<Record<PermissionScope, string>> = {'kube-system': 'kube-system', default: 'default'}

/** The declared row a request falls under: same verb, group and resource, and a scope that covers where it was made. */
export function declaredRead(p: RequestedPermission): ApiRead | undefined {
  return API_READS.find((r) => {
    if (r.verb !== p.verb || r.group !== p.group || r.resource !== p.resource) return false
    // A cluster-wide declaration covers every namespace, and `target` is every namespace unless -n narrows it; the
    // other scopes cover requests made inside one namespace only.
    if (r.scope === 'cluster' || r.scope === 'target') return true
    if (p.namespace === undefined) return false
    const fixed = SCOPE_NAMESPACE[r.scope]
    return fixed === undefined || fixed === p.namespace
  })
}

/** The permissions table of docs/permissions.md, generated from API_READS. */
export function permissionsMarkdown(): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|')
  const where = (r: ApiRead) =>
    r.onlyWhereServed
      ? `only with ${r.onlyWhereServed} (not asked)`
      : r.alwaysAllowed
        ? 'always allowed (not asked)'
        : CHECKED_READS.includes(r)
          ? 'asked by cluster.plugin-permissions'
          : '`cleanup` only (not asked)'
  const rows = API_READS.map(
    (r) =>
      `| ${r.verb} | ${r.group || 'core'} | ${r.resource} | ${r.scope} | ${r.areas.join(', ')} | ${esc(r.why)} | ${r.checks.map((c) => `\`${c}\``).join(', ')} | ${where(r)} |`,
  )
  return ['| verb | group | resource | scope | areas | why | checks | checked |', '| --- | --- | --- | --- | --- | --- | --- | --- |', ...rows].join('\n')
}
