/** One place that turns a check id into its documentation link (docs/checks.md is generated from the registry). */
export const DOCS_BASE = 'https://github.com/mesh-ready/kubectl-mesh-ready/blob/main/docs/checks.md'

export function docsUrl(checkId: string): string {
  return `${DOCS_BASE}#${checkId.replace(/[^a-z0-9-]/g, '-')}`
}
