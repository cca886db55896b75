/**
 * What the plugin itself needs from RBAC, per command area. The permissions check turns this table into
 * SelfSubjectRulesReviews (one per namespace) and SelfSubjectAccessReviews (cluster-scoped rows only).
 */
export type PermissionArea = 'nodes' | 'platform' | 'pods'

/** Where a namespaced permission is needed. `target` = the namespaces the user selected (-n / -A). */
export type PermissionScope = 'cluster' | 'probe-namespace' | 'target' | 'kube-system' | 'istio-namespace'

export interface PluginPermission {
  readonly verb: string
  readonly group: string
  readonly resource: string
  readonly scope: PermissionScope
  readonly areas: readonly PermissionArea[]
  readonly why: string
}

export const PLUGIN_PERMISSIONS: readonly PluginPermission[] = [
  {verb: 'list', group: '', resource: 'nodes', scope: 'cluster', areas: ['nodes', 'platform'], why: 'group nodes by kernel and detect the platform'},
  {verb: 'create', group: '', resource: 'namespaces', scope: 'cluster', areas: ['nodes'], why: 'create the short-lived probe namespace'},
  {verb: 'delete', group: '', resource: 'namespaces', scope: 'cluster', areas: ['nodes'], why: 'delete the probe namespace afterwards'},
  {verb: 'create', group: '', resource: 'pods', scope: 'probe-namespace', areas: ['nodes'], why: 'run one probe pod per node group'},
  {verb: 'watch', group: '', resource: 'pods', scope: 'probe-namespace', areas: ['nodes'], why: 'wait for probe pods to finish'},
  {verb: 'get', group: '', resource: 'pods/log', scope: 'probe-namespace', areas: ['nodes'], why: 'read probe output that did not fit the termination message'},
  {verb: 'delete', group: '', resource: 'pods', scope: 'probe-namespace', areas: ['nodes'], why: 'remove probe pods'},
  {verb: 'list', group: '', resource: 'pods', scope: 'target', areas: ['pods'], why: 'judge workloads against the application requirements'},
  {verb: 'list', group: '', resource: 'services', scope: 'target', areas: ['pods'], why: 'judge service ports and protocols'},
  {verb: 'list', group: 'batch', resource: 'cronjobs', scope: 'target', areas: ['pods'], why: 'report Job pods under their CronJob'},
  {verb: 'list', group: '', resource: 'namespaces', scope: 'cluster', areas: ['pods', 'platform'], why: 'read Pod Security labels and find namespaces'},
  {verb: 'get', group: '', resource: 'configmaps', scope: 'istio-namespace', areas: ['pods', 'platform'], why: "see whether sidecar injection is installed and the installed Istio's backend (istio-sidecar-injector, istio-cni-config)"},
  {verb: 'create', group: 'coordination.k8s.io', resource: 'leases', scope: 'probe-namespace', areas: ['nodes'], why: 'hold a Lease while probes run, so cleanup leaves a live run alone'},
  {verb: 'patch', group: 'coordination.k8s.io', resource: 'leases', scope: 'probe-namespace', areas: ['nodes'], why: 'renew that Lease'},
  {verb: 'delete', group: 'coordination.k8s.io', resource: 'leases', scope: 'probe-namespace', areas: ['nodes'], why: 'release that Lease when the run ends'},
  {verb: 'list', group: 'apps', resource: 'daemonsets', scope: 'cluster', areas: ['platform', 'pods'], why: 'detect the CNI, istio-cni and ztunnel'},
  {verb: 'list', group: 'apps', resource: 'deployments', scope: 'cluster', areas: ['platform'], why: 'find an installed istiod and its version'},
  {verb: 'list', group: '', resource: 'configmaps', scope: 'cluster', areas: ['platform'], why: 'read CNI configuration (cilium-config, …)'},
  {verb: 'list', group: '', resource: 'resourcequotas', scope: 'istio-namespace', areas: ['platform'], why: 'check the GKE system-node-critical quota'},
  {verb: 'create', group: '', resource: 'pods', scope: 'istio-namespace', areas: ['platform'], why: 'confirm admission of system-node-critical pods with a server-side dry run'},
  {verb: 'list', group: 'networking.k8s.io', resource: 'networkpolicies', scope: 'cluster', areas: ['platform'], why: 'find policies that would block the ambient probe address'},
  {verb: 'list', group: 'admissionregistration.k8s.io', resource: 'mutatingwebhookconfigurations', scope: 'cluster', areas: ['platform'], why: 'find an installed sidecar injector'},
  {verb: 'list', group: 'node.k8s.io', resource: 'runtimeclasses', scope: 'cluster', areas: ['platform'], why: 'find gVisor runtime classes (no ambient)'},
]
