import type {Mode} from './istio-platform.js'
import type {PlatformFeatureId, PlatformId} from './platform-signals.js'

/**
 * Platforms (or platform features) on which a data-plane mode cannot run, or runs only with a change.
 * Each row names its primary source.
 */
export interface ModeRestriction {
  readonly when: {readonly platform: PlatformId} | {readonly feature: PlatformFeatureId}
  readonly modes: readonly Mode[]
  readonly severity: 'fail' | 'warn'
  readonly problem: string
  readonly fix: string
  readonly command?: string
  readonly source: string
}

export const MODE_RESTRICTIONS: readonly ModeRestriction[] = [
  {
    when: {feature: 'gke-autopilot'},
    modes: ['ambient'],
    severity: 'fail',
    problem: 'GKE Autopilot does not allow the istio-cni node agent (it needs SYS_ADMIN), and ambient needs it',
    fix: 'Use sidecar mode with istio-init, or a GKE Standard cluster.',
    source: 'https://istio.io/latest/docs/setup/platform-setup/gke/ ; https://github.com/istio/istio/issues/57356',
  },
  {
    when: {feature: 'gke-autopilot'},
    modes: ['sidecar'],
    severity: 'warn',
    problem:
      'GKE Autopilot runs sidecars only with istio-init, which needs the NET_ADMIN capability allowed for workloads (WorkloadPolicyConfig allowNetAdmin)',
    fix: 'Allow NET_ADMIN for the cluster before injecting sidecars.',
    command: 'gcloud container clusters update CLUSTER_NAME --workload-policies=allow-net-admin',
    source:
      'https://istio.io/latest/docs/setup/platform-setup/gke/ ; https://cloud.google.com/kubernetes-engine/docs/reference/rest/v1/projects.locations.clusters#WorkloadPolicyConfig',
  },
  {
    when: {feature: 'gke-managed-ambient'},
    modes: ['ambient'],
    severity: 'fail',
    problem: "Google's managed ambient networking (namespace gke-managed-ambient) already runs an ambient data plane; a second one on top conflicts with it",
    fix: 'Use the managed ambient networking, or disable it before installing Istio ambient.',
    source: 'https://cloud.google.com/kubernetes-engine/docs/how-to/prepare-ambient-networking',
  },
  {
    when: {feature: 'gke-managed-ambient'},
    modes: ['sidecar'],
    severity: 'fail',
    problem: "Google's managed ambient networking (namespace gke-managed-ambient) cannot interoperate with sidecars",
    fix: 'Disable the managed ambient networking before using sidecars.',
    source: 'https://cloud.google.com/kubernetes-engine/docs/how-to/prepare-ambient-networking',
  },
  {
    when: {feature: 'aks-istio-addon'},
    modes: ['sidecar', 'ambient'],
    severity: 'warn',
    problem: 'the AKS Istio add-on already runs istiod (namespace aks-istio-system, revisions asm-1-<minor>); a second, self-managed Istio conflicts with it',
    fix: 'Use the add-on, or disable it before installing Istio yourself.',
    command: 'az aks mesh disable --resource-group RESOURCE_GROUP --name CLUSTER_NAME',
    source: 'https://learn.microsoft.com/en-us/azure/aks/istio-deploy-addon',
  },
  {
    when: {platform: 'docker-desktop'},
    modes: ['ambient'],
    severity: 'fail',
    problem: 'Docker Desktop ships CNI plugins and a /var/run/netns mount that break the istio-cni node agent (istio/istio#47436, #49208, #54865)',
    fix: 'Use kind or minikube for ambient; sidecar mode with istio-init works on Docker Desktop.',
    source: 'https://github.com/istio/istio/issues/47436 ; https://github.com/istio/istio/issues/49208 ; https://github.com/istio/istio/issues/54865',
  },
]
