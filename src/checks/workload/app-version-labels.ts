import type {WorkloadFacts} from '../../derive/workloads/context.js'
import {APP_NAME_LABELS, APP_VERSION_LABELS} from '../../knowledge/mesh-labels.js'
import type {Outcome} from '../../model/finding.js'
import {defineCheck} from '../../model/finding.js'
import {NOT_ENROLLED, notInMode, podCount, podsWhere} from '../../derive/workloads/context.js'
import {recreateHint, templatePatch} from '../../derive/workloads/patch.js'

const LABELS = [
  {what: 'app', key: 'appLabel', keys: APP_NAME_LABELS},
  {what: 'version', key: 'versionLabel', keys: APP_VERSION_LABELS},
] as const

export const appVersionLabels = defineCheck<WorkloadFacts>()({
  id: 'workload.app-version-labels',
  title: "Pods carry app and version labels for Istio's telemetry",
  category: 'workload',
  needs: ['contexts'],
  source:
    'https://istio.io/latest/docs/ops/deployment/application-requirements/#pod-requirements ("Pod labels", precedence of canonical-name/app.kubernetes.io/name/app and canonical-revision/app.kubernetes.io/version/version); https://istio.io/latest/docs/setup/additional-setup/sidecar-injection/#controlling-the-injection-policy (which labels enrol a pod)',
  run: ({contexts}) =>
    contexts.workloads.map(({workload, subject, mode}): Outcome => {
      const skip = notInMode(subject, mode, ['sidecar', 'ambient'])
      if (skip) return skip
      // Telemetry labels matter only to pods Istio will actually inject or enrol: no noise about the rest.
      if (!mode.enrolled) return {severity: 'skip', subject, message: NOT_ENROLLED}
      const missing = LABELS.filter((l) => workload.shapes.some(({shape}) => shape[l.key] === undefined))
      const used = LABELS.map((l) => workload.shapes[0]?.shape[l.key]).filter((k): k is string => k !== undefined)
      if (missing.length === 0)
        return {
          severity: 'pass',
          subject,
          message: `labelled ${used.join(' and ')} (${podCount(workload.pods)})`,
          evidence: {pods: workload.pods, labels: used},
        }
      const pods = podsWhere(workload, (shape) => missing.some((l) => shape[l.key] === undefined))
      const add = Object.fromEntries(missing.map((l) => [l.what, l.what === 'app' ? workload.name : 'v1']))
      const command = templatePatch(workload, {metadata: {labels: add}})
      return {
        severity: 'warn',
        subject,
        message: `no ${missing.map((l) => `${l.what} label (any of ${l.keys.join(', ')})`).join(' and no ')}: Istio's metrics and traces will not name the ${missing.map((l) => l.what).join(' or ')} (${podCount(pods)})`,
        remediation: {
          text: `Label the pod template with ${missing.map((l) => l.what).join(' and ')} (the values below are examples).${command ? '' : ` ${recreateHint(workload)}`}`,
          command,
        },
        evidence: {pods, missing: missing.map((l) => l.what)},
      }
    }),
})
