import type {ClusterFacts} from '../../gather/cluster.js'
import {CLUSTER_SUBJECT, defineCheck} from '../../model/finding.js'

export const apiServerReachable = defineCheck<ClusterFacts>()({
  id: 'cluster.api-server',
  title: 'The API server answers and reports its version',
  category: 'cluster',
  needs: ['apiServer'],
  source: 'https://kubernetes.io/docs/reference/using-api/api-concepts/ (GET /version)',
  run: ({apiServer}) => [
    apiServer.problem === undefined
      ? {
          severity: 'pass',
          subject: CLUSTER_SUBJECT,
          message: `Kubernetes ${apiServer.gitVersion} answered in ${apiServer.latencyMs} ms`,
          evidence: {gitVersion: apiServer.gitVersion ?? null, latencyMs: apiServer.latencyMs},
        }
      : {
          severity: 'fail',
          subject: CLUSTER_SUBJECT,
          message: apiServer.problem,
          remediation: {
            text: 'The API server is up but unhealthy; check the control plane before installing anything.',
            command: 'kubectl get --raw /readyz?verbose',
          },
        },
  ],
})
