import type {InstalledComponent, InstalledIstio} from '../../gather/platform-istio.js'
import type {ResolvedEnv} from '../../gather/platform-env.js'
import type {Inventory} from '../../gather/platform-list.js'
import type {CiliumPolicies, DryRunResult} from '../../gather/platform.js'
import type {
  CalicoSettings,
  ConfigMapSummary,
  NamespaceSummary,
  NetworkPolicySummary,
  PlatformNode,
  ObjectRef,
  OpenShiftNetwork,
  RuntimeClassSummary,
  PlatformWorkload,
} from '../../gather/platform-objects.js'
import type {Mode} from '../../knowledge/istio-platform.js'
import type {Fact} from '../../model/finding.js'
import type {CniDetection} from './detect-cni.js'
import type {PlatformDetection} from './detect-platform.js'
import type {InstallSettings, IstioTarget} from './install-plan.js'
import type {NodeCriticalAdmission} from './quota.js'

/** The istio-cni node agents already installed (from the installed Istio); `readable` false when that could not be read. */
export interface IstioCniState {
  readonly installed: readonly InstalledComponent[]
  readonly readable: boolean
}

/** What the platform checks judge: the gathered facts plus what is derived from them once (detection, plans). */
export interface PlatformFacts {
  [key: string]: Fact<unknown>
  modes: Fact<readonly Mode[]>
  istio: Fact<IstioTarget>
  detection: Fact<PlatformDetection>
  cni: Fact<CniDetection>
  plans: Fact<Readonly<Partial<Record<Mode, InstallSettings>>>>
  nodeCriticalAdmission: Fact<NodeCriticalAdmission>
  installedIstio: Fact<InstalledIstio>
  istioCni: Fact<IstioCniState>
  nodes: Fact<readonly PlatformNode[]>
  namespaces: Fact<readonly NamespaceSummary[]>
  daemonSets: Fact<Inventory<PlatformWorkload>>
  ciliumConfigs: Fact<Inventory<ConfigMapSummary>>
  networkPolicies: Fact<Inventory<NetworkPolicySummary>>
  ciliumPolicies: Fact<CiliumPolicies | null>
  securityGroupPolicies: Fact<Inventory<ObjectRef> | null>
  calico: Fact<CalicoSettings | null>
  openshiftNetwork: Fact<OpenShiftNetwork | null>
  runtimeClasses: Fact<readonly RuntimeClassSummary[]>
  workloadEnv: Fact<Readonly<Record<string, ResolvedEnv>>>
  priorityDryRun: Fact<DryRunResult>
}
