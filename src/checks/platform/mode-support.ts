import {MODE_RESTRICTIONS} from '../../knowledge/platform-restrictions.js'
import {CLUSTER_SUBJECT, defineCheck} from '../../model/finding.js'
import type {PlatformFacts} from '../../derive/platform/facts.js'
import {hasFeature, platformLabel} from '../../derive/platform/detect-platform.js'
import {forModes} from '../../derive/platform/modes.js'

export const modeSupport = defineCheck<PlatformFacts>()({
  id: 'platform.mode-support',
  title: 'The platform supports the chosen data-plane mode',
  category: 'platform',
  needs: ['detection', 'modes'],
  source:
    'https://istio.io/latest/docs/setup/platform-setup/gke/ ; https://cloud.google.com/kubernetes-engine/docs/how-to/prepare-ambient-networking ; https://learn.microsoft.com/en-us/azure/aks/istio-deploy-addon ; https://github.com/istio/istio/issues/47436 (each finding names its own)',
  run: ({detection, modes}) => {
    const applies = MODE_RESTRICTIONS.filter((r) => ('platform' in r.when ? r.when.platform === detection.platform : hasFeature(detection, r.when.feature)))
    return forModes(modes, (mode) => {
      const rows = applies.filter((r) => r.modes.includes(mode))
      if (rows.length === 0) return [{severity: 'pass', subject: CLUSTER_SUBJECT, message: `no known restriction on ${platformLabel(detection)}`}]
      return rows.map((r) => ({
        severity: r.severity,
        subject: CLUSTER_SUBJECT,
        message: r.problem,
        remediation: {text: r.fix, command: r.command},
        evidence: {source: r.source},
      }))
    })
  },
})
