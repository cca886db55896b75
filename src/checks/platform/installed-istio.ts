import type {PlatformFacts} from '../../derive/platform/facts.js'
import {CLUSTER_SUBJECT, defineCheck} from '../../model/finding.js'

export const installedIstio = defineCheck<PlatformFacts>()({
  id: 'platform.installed-istio',
  title: 'The installed Istio (if any) is known',
  category: 'platform',
  needs: ['installedIstio', 'istio'],
  source:
    'https://github.com/istio/istio/tree/master/manifests/charts (istiod Deployment app=istiod, istio-cni-node and ztunnel DaemonSets; version from the image tag; global.nativeNftables in the istio-sidecar-injector values)',
  run: ({installedIstio: installed, istio}) => {
    const judged = `judging Istio ${istio.minor}${istio.patch === undefined ? '' : `.${istio.patch}`}`
    if (installed.components.length === 0) {
      if (installed.gaps.length > 0) {
        return [
          {severity: 'unknown', subject: CLUSTER_SUBJECT, message: `no Istio found, but not everything could be read: ${installed.gaps.join('; ')}; ${judged}`},
        ]
      }
      return [{severity: 'pass', subject: CLUSTER_SUBJECT, message: `no Istio installed (no istiod, istio-cni or ztunnel); ${judged}`}]
    }
    const parts = installed.components.map(
      (c) => `${c.component} ${c.version ?? '(untagged image)'}${c.revision ? ` rev ${c.revision}` : ''} in ${c.namespace}`,
    )
    return [
      {
        severity: 'pass',
        subject: CLUSTER_SUBJECT,
        message: `installed: ${parts.join(', ')}; ${judged}${installed.minor && installed.minor !== istio.minor ? ` (installed is ${installed.minor}: an upgrade)` : ''}`,
        evidence: {version: installed.version ?? null, components: parts},
      },
    ]
  },
})
