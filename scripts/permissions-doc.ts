import {permissionsMarkdown} from '../src/gather/reads.js'

/** docs/permissions.md, generated from the declared API reads in src/gather/reads.ts. */
export function permissionsDoc(): string {
  return `# Permissions

<!-- Generated from src/gather/reads.ts by \`npm run docs\`; do not edit by hand (test/reads.e2e.test.ts fails when stale). -->

Every Kubernetes API request kubectl mesh-ready makes, one row per verb and resource. \`check\` asks the API server
about the rows marked "asked" (one SelfSubjectRulesReview per namespace, a SelfSubjectAccessReview for each
cluster-wide row) and reports what is missing as \`cluster.plugin-permissions\`. Rows marked "only with" are read
only on clusters that serve that API; a denied read there makes the checks listed \`unknown\`, naming the verb and
resource. Scopes: \`cluster\` (cluster-wide), \`target\` (the namespaces judged: every namespace, or -n),
\`probe-namespace\` (--probe-namespace, default mesh-ready-probe), \`istio-namespace\` (--istio-namespace),
\`kube-system\`, \`default\`.

${permissionsMarkdown()}
`
}
