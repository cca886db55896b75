import type {PlatformFacts} from '../../derive/platform/facts.js'
import type {MatchedSignal, PlatformDetection} from '../../derive/platform/detect-platform.js'
import {platformLabel} from '../../derive/platform/detect-platform.js'
import {CLUSTER_SUBJECT, defineCheck} from '../../model/finding.js'

const signalText = (s: MatchedSignal) => `${s.signal}${s.nodes === undefined ? '' : ` (${s.nodes}/${s.of} nodes)`}`

export const describeSignals = (d: PlatformDetection): string => d.signals.map(signalText).join('; ')

export const platformDetection = defineCheck<PlatformFacts>()({
  id: 'platform.detection',
  title: 'The platform is identified from its API signals',
  category: 'platform',
  needs: ['detection'],
  source:
    'https://kubernetes.io/docs/reference/kubernetes-api/cluster-resources/node-v1/ (labels, providerID, nodeInfo of every node); each platform signal names its own source in src/knowledge/platform-signals.ts',
  run: ({detection: d}) => {
    const evidence = {platform: d.platform, confidence: d.confidence, signals: d.signals.map(signalText)}
    if (d.platform === 'unknown') {
      const why = d.unread.length > 0 ? `; not read: ${d.unread.join('; ')}` : ''
      return [
        {
          severity: 'unknown',
          subject: CLUSTER_SUBJECT,
          message: `no platform signal matched${why}; the install flags assume a standard cluster (CNI in /opt/cni/bin and /etc/cni/net.d)`,
          remediation: {text: 'Check the platform yourself against the Istio platform prerequisites; no global.platform value is set for an unknown platform.'},
          evidence,
        },
      ]
    }
    const label = `${platformLabel(d)}, ${d.confidence} confidence: ${describeSignals(d)}`
    if (d.mixed) {
      const groups = d.nodeGroups.map((g) => `${g.name} ×${g.nodes} (${g.examples.join(', ')}${g.nodes > g.examples.length ? ', …' : ''})`).join('; ')
      return [
        {
          severity: 'warn',
          subject: CLUSTER_SUBJECT,
          message: `mixed cluster: ${groups}. Detected ${label}`,
          remediation: {
            text: 'Node groups of a mixed cluster can need different settings: istio-cni and ztunnel are DaemonSets and must run on every node that hosts ambient pods (DaemonSets do not run on EKS Fargate).',
          },
          evidence: {...evidence, nodeGroups: d.nodeGroups.map((g) => `${g.name}: ${g.nodes}`)},
        },
      ]
    }
    const notRead = d.unread.length > 0 ? ` (not read: ${d.unread.join('; ')})` : ''
    return [{severity: 'pass', subject: CLUSTER_SUBJECT, message: `${label}${notRead}`, evidence}]
  },
})
