import {MODES} from './istio-modes.js'

/**
 * Labels and names Istio uses to decide which pods join the mesh and how, and which pods are Istio's own.
 * Sources: https://istio.io/latest/docs/ops/deployment/application-requirements/#pod-requirements ("Pod labels");
 * https://istio.io/latest/docs/setup/additional-setup/sidecar-injection/#controlling-the-injection-policy;
 * https://github.com/istio/istio/blob/master/manifests/charts/istio-control/istio-discovery/templates/mutatingwebhook.yaml
 * (system namespaces never injected); https://github.com/istio/istio/blob/master/pkg/kube/inject/inject.go (hostNetwork
 * pods are never injected); https://istio.io/latest/docs/ambient/usage/add-workloads/ (dataplane-mode).
 */

export const MESH_MODES = MODES

/** `--mode`: `auto` resolves per workload from labels and what is installed. */
export const MODE_FLAGS = ['auto', 'sidecar', 'ambient', 'both'] as const
export type ModeFlag = (typeof MODE_FLAGS)[number]

export const DATAPLANE_MODE_LABEL = 'istio.io/dataplane-mode'
export const INJECTION_LABEL = 'istio-injection'
export const REVISION_LABEL = 'istio.io/rev'
export const POD_INJECT_LABEL = 'sidecar.istio.io/inject'

/** Application identity labels, highest precedence first (application-requirements "Pod labels"). */
export const APP_NAME_LABELS = ['service.istio.io/canonical-name', 'app.kubernetes.io/name', 'app'] as const
export const APP_VERSION_LABELS = ['service.istio.io/canonical-revision', 'app.kubernetes.io/version', 'version'] as const

/** Namespaces Istio's injector and ambient enrolment leave alone. */
export const SYSTEM_NAMESPACES: readonly string[] = ['kube-system', 'kube-public', 'kube-node-lease', 'local-path-storage']

/** Containers Istio adds to a pod; never judged as the application. */
export const ISTIO_CONTAINERS: readonly string[] = ['istio-proxy', 'istio-init', 'istio-validation']

/** Pod labels that mark Istio's own components (control plane, gateways, node agents). */
export const ISTIO_COMPONENT_LABELS: ReadonlyArray<{readonly key: string; readonly values?: readonly string[]}> = [
  {key: 'app', values: ['istiod', 'ztunnel', 'istio-cni-node', 'istio-ingressgateway', 'istio-egressgateway', 'istio-eastwestgateway']},
  {key: 'istio', values: ['pilot', 'ingressgateway', 'egressgateway', 'eastwestgateway']},
  {key: 'k8s-app', values: ['istio-cni-node']},
  {key: 'gateway.istio.io/managed'},
]

/** DaemonSets and ConfigMaps that show what is installed. */
export const ISTIO_CNI_DAEMONSET = 'istio-cni-node'
export const ZTUNNEL_DAEMONSET = 'ztunnel'
export const SIDECAR_INJECTOR_CONFIGMAP = 'istio-sidecar-injector'

/** The sidecar's UID and GID: istio-iptables lets traffic of this owner bypass capture (`--uid-owner`/`--gid-owner 1337`). */
export const ISTIO_PROXY_UID = 1337
