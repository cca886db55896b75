import type {ClusterFacts} from '../../gather/cluster.js'
import {findIstioRelease, ISTIO_RELEASES} from '../../knowledge/istio-releases.js'
import {compareMinor} from '../../knowledge/versions.js'
import {CLUSTER_SUBJECT, defineCheck} from '../../model/finding.js'

const inRange = (v: string, [min, max]: readonly [string, string]) => compareMinor(v, min) >= 0 && compareMinor(v, max) <= 0

export const kubernetesVersion = defineCheck<ClusterFacts>()({
  id: 'cluster.kubernetes-version',
  title: 'The Kubernetes version is supported by the judged Istio release',
  category: 'cluster',
  needs: ['apiServer', 'istioVersion'],
  source: 'https://istio.io/latest/docs/releases/supported-releases/#support-status-of-istio-releases',
  run: ({apiServer, istioVersion}) => {
    const minor = `${Number.parseInt(apiServer.major ?? '', 10)}.${Number.parseInt(apiServer.minor ?? '', 10)}`
    if (!/^\d+\.\d+$/.test(minor)) {
      return [
        {
          severity: 'unknown',
          subject: CLUSTER_SUBJECT,
          message: `could not read the Kubernetes version (major "${apiServer.major}", minor "${apiServer.minor}")`,
        },
      ]
    }
    const release = findIstioRelease(istioVersion)
    const known = `${ISTIO_RELEASES.at(-1)!.version}–${ISTIO_RELEASES[0]!.version}`
    if (release === undefined) {
      return [
        {
          severity: 'unknown',
          subject: CLUSTER_SUBJECT,
          message: `no support data for Istio ${istioVersion} (this plugin knows ${known}); Kubernetes is ${minor}`,
          remediation: {text: 'Check the support table yourself, or judge against a known release with --istio-version.'},
        },
      ]
    }
    const [min, max] = release.supported
    const evidence = {kubernetes: minor, istio: release.version, supported: `${min}–${max}`}
    if (inRange(minor, release.supported)) {
      return [{severity: 'pass', subject: CLUSTER_SUBJECT, message: `Kubernetes ${minor} is supported by Istio ${release.version} (${min}–${max})`, evidence}]
    }
    // The newest release that supports this Kubernetes version (the table is ordered newest first).
    const fitting = ISTIO_RELEASES.find((r) => inRange(minor, r.supported))?.version
    const alternative = fitting ? ` Istio ${fitting} supports Kubernetes ${minor}.` : ''
    if (compareMinor(minor, max) > 0) {
      return [
        {
          severity: 'warn',
          subject: CLUSTER_SUBJECT,
          message: `Kubernetes ${minor} is newer than Istio ${release.version} supports (${min}–${max})`,
          remediation: {text: `Use a newer Istio release.${alternative}`, command: fitting ? `kubectl mesh-ready check --istio-version ${fitting}` : undefined},
          evidence,
        },
      ]
    }
    const tested = release.testedOnly !== undefined && inRange(minor, release.testedOnly)
    return [
      {
        severity: tested ? 'warn' : 'fail',
        subject: CLUSTER_SUBJECT,
        message: tested
          ? `Kubernetes ${minor} was tested with Istio ${release.version} but is not supported (supported: ${min}–${max})`
          : `Kubernetes ${minor} is older than Istio ${release.version} supports (${min}–${max})`,
        summary: tested ? `Kubernetes ${minor}: not supported (${min}–${max})` : `Kubernetes ${minor} is too old (${min}–${max})`,
        remediation: {
          text: `Upgrade the cluster to Kubernetes ${min} or newer, or judge an older Istio release.${alternative}`,
          command: fitting ? `kubectl mesh-ready check --istio-version ${fitting}` : undefined,
        },
        evidence,
      },
    ]
  },
})
