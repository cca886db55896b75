import {MODE_RESTRICTIONS} from '../../knowledge/platform-restrictions.js'
import {CLUSTER_SUBJECT, defineCheck} from '../types.js'
import type {PlatformFacts} from './_lib/facts.js'
import {hasFeature, platformLabel} from './_lib/detect-platform.js'
import {forModes} from './_lib/modes.js'

export const modeSupport = defineCheck<PlatformFacts>()({
  id: 'platform.mode-support',
  title: 'The platform supports the chosen data-plane mode',
  category: 'platform',
  needs: ['detection', 'modes'],
  source: 'platforms.md §5.3 (GKE Autopilot, managed ambient), §2.1 (AKS Istio add-on), §6.1 (Docker Desktop); see each finding',
  run: ({detection, modes}) => {
    const applies = MODE_RESTRICTIONS.filter((r) => ('platform' in r.when ? r.when.platform === detection.platform : hasFeature(detection, r.when.feature)))
    return forModes(modes, (mode) => {
      const rows = applies.filter((r) => r.modes.includes(mode))
      if (rows.length === 0) return [{severity: 'pass', subject: CLUSTER_SUBJECT, message: `no known restriction on ${platformLabel(detection)}`}]
      return rows.map((r) => ({severity: r.severity, subject: CLUSTER_SUBJECT, message: r.problem, remediation: {text: r.fix, command: r.command}, evidence: {source: r.source}}))
    })
  },
})
