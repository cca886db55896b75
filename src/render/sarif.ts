import {allChecks} from '../checks/index.js'
import type {Finding} from '../model/finding.js'
import {docsUrl} from '../model/docs-url.js'
import {planLabel} from '../model/plan.js'
import type {Report} from '../model/report.js'
import type {SuppressedFinding} from '../report/policy.js'
import {subjectKey} from '../report/policy.js'
import {configText, subjectText, suppressedByText, suppressedOf} from './finding-text.js'

/**
 * SARIF 2.1.0 (OASIS), validated in the tests against the published JSON schema. One run; the rules are every check
 * in the registry (src/checks/index.ts) with `helpUri` = the check's docs; results are the findings that are not a
 * pass or skip: fail → `error`, warn and unknown → `warning`, a finding outside the install plan (`planned: false`)
 * → `note`. Suppressed findings are results with a SARIF `suppressions` entry (kind `external`), which SARIF viewers
 * hide. Kubernetes objects are not files, so results carry `logicalLocations` only. docs/output.md#sarif.
 */

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json'
export const TOOL_URI = 'https://github.com/mesh-ready/kubectl-mesh-ready'

type Level = 'error' | 'warning' | 'note'

function levelOf(f: Finding): Level {
  if (!f.planned) return 'note'
  return f.severity === 'fail' ? 'error' : 'warning'
}

/** `KubernetesVersion` from `cluster.kubernetes-version` (SARIF rule names are identifiers). */
const ruleName = (id: string) =>
  (id.split('.').at(-1) ?? id)
    .split(/[^a-zA-Z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('')

const KIND_OF_LOCATION: Record<string, string> = {
  Cluster: 'cluster',
  NodeGroup: 'nodeGroup',
  Node: 'node',
  Namespace: 'namespace',
  Workload: 'workload',
  Service: 'service',
}

function messageText(f: Finding): string {
  const config = configText(f)
  const lines = [`${subjectText(f)}${config ? ` (${config})` : ''}: ${f.message}`]
  if (!f.planned) lines.push(`Outside the install plan: information only, not counted in the verdict.`)
  if (f.remediation) lines.push(`How to fix: ${f.remediation.text}${f.remediation.command ? ` Run: ${f.remediation.command}` : ''}`)
  return lines.join('\n')
}

export function renderSarif(report: Report, options: {toolVersion?: string} = {}): string {
  const rules = allChecks.map((c) => ({
    id: c.id,
    name: ruleName(c.id),
    shortDescription: {text: c.title},
    helpUri: docsUrl(c.id),
    help: {text: `${c.title}. Documentation: ${docsUrl(c.id)}`},
    properties: {category: c.category, source: c.source, tags: ['istio', c.category]},
  }))
  const ruleIndex = new Map(rules.map((r, i) => [r.id, i]))
  const problems = (f: Finding) => f.severity !== 'pass' && f.severity !== 'skip'
  const result = (f: Finding | SuppressedFinding) => {
    const index = ruleIndex.get(f.checkId)
    const suppressedBy = 'suppressedBy' in f ? (f as SuppressedFinding) : undefined
    return {
      ruleId: f.checkId,
      ...(index !== undefined ? {ruleIndex: index} : {}),
      level: levelOf(f),
      message: {text: messageText(f)},
      locations: [
        {
          logicalLocations: [
            {
              name: f.subject.name,
              fullyQualifiedName: `${f.subject.kind}/${subjectKey(f)}`,
              kind: KIND_OF_LOCATION[f.subject.kind] ?? 'object',
            },
          ],
        },
      ],
      partialFingerprints: {'meshReadyFinding/v1': [f.checkId, f.subject.kind, subjectKey(f), f.mode ?? '-', f.backend ?? '-'].join('|')},
      ...(suppressedBy ? {suppressions: [{kind: 'external', status: 'accepted', justification: suppressedByText(suppressedBy)}]} : {}),
      properties: {
        severity: f.severity,
        subject: f.subject,
        mode: f.mode,
        backend: f.backend,
        planned: f.planned,
        ...(f.remediation ? {remediation: f.remediation} : {}),
        ...(f.evidence ? {evidence: f.evidence} : {}),
      },
    }
  }
  const log = {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'kubectl-mesh-ready',
            informationUri: TOOL_URI,
            ...(options.toolVersion ? {version: options.toolVersion, semanticVersion: options.toolVersion} : {}),
            rules,
          },
        },
        invocations: [{executionSuccessful: true, endTimeUtc: report.generatedAt}],
        automationDetails: {id: `mesh-ready/${report.command}/${report.target.context ?? 'local'}/`},
        results: [...report.findings.filter(problems), ...suppressedOf(report).filter(problems)].map(result),
        properties: {
          command: report.command,
          verdict: report.verdict,
          plan: report.plan,
          planLabel: planLabel(report.plan),
          istioVersion: report.istioVersion,
          target: report.target,
          ...(report.scope ? {scope: report.scope} : {}),
          summary: report.summary,
        },
      },
    ],
  }
  return `${JSON.stringify(log, null, 2)}\n`
}
