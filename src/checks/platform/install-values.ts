import type {InstalledComponent} from '../../gather/platform-istio.js'
import type {CniPaths} from '../../knowledge/istio-platform.js'
import {
  ISTIO_CNI_CHART_DEFAULTS,
  ISTIO_CNI_HOST_PATH_VOLUMES,
  NO_PLATFORM_VALUE_REASON,
  NON_DEFAULT_CNI_PATH_PLATFORMS,
  samePath,
} from '../../knowledge/istio-platform.js'
import type {Outcome} from '../../model/finding.js'
import {CLUSTER_SUBJECT, defineCheck} from '../../model/finding.js'
import type {PlatformFacts} from '../../derive/platform/facts.js'
import type {InstallSettings} from '../../derive/platform/install-plan.js'
import {flatten} from '../../derive/platform/install-plan.js'
import {forModes, nodeAgentNamespace, usesIstioCni} from '../../derive/platform/modes.js'

const settings = (plan: InstallSettings) =>
  flatten(plan.values)
    .filter(([k]) => k !== 'profile')
    .map(([k, v]) => `${k}=${v}`)

/** The settings that decide where istio-cni writes (bin and conf dir always; the netns dir only when the plan moves it). */
function pathKeys(plan: InstallSettings): Array<keyof CniPaths> {
  return plan.cniPaths.cniNetnsDir === ISTIO_CNI_CHART_DEFAULTS.cniNetnsDir ? ['cniBinDir', 'cniConfDir'] : ['cniBinDir', 'cniConfDir', 'cniNetnsDir']
}

/** Where the installed istio-cni differs from what this platform (and K3s release) needs. */
function pathMismatches(plan: InstallSettings, cni: InstalledComponent): Array<{key: keyof CniPaths; has?: string; needs: string}> {
  return pathKeys(plan).flatMap((key) => {
    const has = cni.cniPaths?.[key]
    return samePath(has, plan.cniPaths[key]) ? [] : [{key, has, needs: plan.cniPaths[key]}]
  })
}

const upgradeCommand = (cni: InstalledComponent, wrong: ReadonlyArray<{key: keyof CniPaths; needs: string}>) =>
  `helm upgrade istio-cni istio/cni -n ${cni.namespace} --reuse-values ${wrong.map((w) => `--set cni.${w.key}=${w.needs}`).join(' ')}`

export const installValues = defineCheck<PlatformFacts>()({
  id: 'platform.install-values',
  title: 'The install uses the platform value and CNI paths this platform (and its K3s release) needs',
  category: 'platform',
  needs: ['plans', 'detection', 'modes', 'istioCni'],
  source:
    'https://github.com/istio/istio/tree/master/manifests/helm-profiles ; https://istio.io/latest/docs/ambient/install/platform-prerequisites/ ; https://github.com/k3s-io/k3s/pull/10868 , https://github.com/k3s-io/k3s/pull/11790 (K3s CNI bin dir by release)',
  run: ({plans, detection, modes, istioCni}) =>
    forModes(modes, (mode): Outcome[] => {
      const plan = plans[mode]
      if (plan === undefined) return []
      const set = settings(plan)
      const agents = nodeAgentNamespace(plan)
      const where = agents && agents !== plan.releases[0]?.namespace ? `; istio-cni${mode === 'ambient' ? ' and ztunnel' : ''} go to ${agents}` : ''
      const what =
        set.length > 0
          ? `set ${set.join(', ')} (Helm: ${set.map((s) => `--set ${s}`).join(' ')}; istioctl: ${plan.istioctl.join(' ')})`
          : `no global.platform value needed: ${NO_PLATFORM_VALUE_REASON[detection.platform] ?? 'no platform-specific settings are known for it'}`
      const notes = plan.notes.length > 0 ? `. ${plan.notes.join('. ')}` : ''
      const evidence = {
        platformValue: plan.platformValue ?? null,
        settings: set,
        cniBinDir: plan.cniPaths.cniBinDir,
        cniConfDir: plan.cniPaths.cniConfDir,
        k3sRelease: plan.k3s?.release ?? null,
      }
      const print = {
        text: 'Print the complete values file (or istioctl flags) for this platform and mode.',
        command: `kubectl mesh-ready platform --mode ${mode} --values > values.yaml`,
      }
      const nonDefault = NON_DEFAULT_CNI_PATH_PLATFORMS[detection.platform] !== undefined
      const installed = istioCni.installed
      const usesCni = usesIstioCni(plan) || installed.length > 0
      if (!nonDefault || !usesCni) {
        const custom = detection.platform === 'k3s' && plan.platformValue === undefined && usesIstioCni(plan)
        const sidecarNote = nonDefault && !usesCni ? '. Sidecars with istio-init write no CNI files; if you enable istio-cni, use these values' : ''
        return [
          {
            severity: custom ? 'warn' : 'pass',
            subject: CLUSTER_SUBJECT,
            message: `${detection.name}: ${what}${where}${notes}${sidecarNote}`,
            remediation: print,
            evidence,
          },
        ]
      }
      // istio-cni is installed: judge the paths it mounts, not the values it should have been installed with.
      if (installed.length > 0) {
        return installed.map((cni): Outcome => {
          const subject = {kind: 'Workload' as const, name: cni.name, namespace: cni.namespace}
          if (cni.cniPaths === undefined || Object.keys(cni.cniPaths).length === 0) {
            return {
              severity: 'unknown',
              subject,
              message: `${detection.name} needs ${pathKeys(plan)
                .map((k) => `${k}=${plan.cniPaths[k]}`)
                .join(', ')}, but the host paths of ${cni.namespace}/${cni.name} could not be read`,
            }
          }
          const wrong = pathMismatches(plan, cni)
          const mounts = pathKeys(plan)
            .map((k) => `${ISTIO_CNI_HOST_PATH_VOLUMES[k]} ${cni.cniPaths?.[k] ?? '(none)'}`)
            .join(', ')
          if (wrong.length === 0)
            return {
              severity: 'pass',
              subject,
              message: `istio-cni in ${cni.namespace} mounts the ${detection.name} CNI directories (${mounts})${notes}`,
              evidence,
            }
          const release = plan.k3s?.release ? ` ${plan.k3s.release}` : ''
          return {
            severity: 'fail',
            subject,
            message: `istio-cni in ${cni.namespace} was installed without the ${detection.name} paths: ${wrong.map((w) => `${w.key} is ${w.has ?? '(not mounted)'}, ${detection.name}${release} needs ${w.needs}`).join('; ')}. The container runtime never runs the istio-cni plugin, so pods are not captured (sidecars with istio-cni fail to start; ambient pods are not redirected)`,
            remediation: {
              text: `Re-install istio-cni with the ${detection.name} paths (or the values file this plugin prints), then restart the pods it should have captured.`,
              command: upgradeCommand(cni, wrong),
            },
            evidence: {...evidence, installed: mounts},
          }
        })
      }
      const defaults = pathKeys(plan)
        .map((k) => ISTIO_CNI_CHART_DEFAULTS[k])
        .join(' and ')
      return [
        {
          severity: 'warn',
          subject: CLUSTER_SUBJECT,
          message: `${detection.name}: install with these values, the chart defaults (${defaults}) will fail here: ${what}${where}${notes}`,
          remediation: print,
          evidence,
        },
      ]
    }),
})
