import type {CheckDefinition, FactBag, Finding, Outcome} from '../model/finding.js'
import {CLUSTER_SUBJECT} from '../model/finding.js'
import {docsUrl} from '../model/docs-url.js'

/**
 * Runs pure checks over gathered facts. A check whose needed fact is unavailable is reported once as `unknown`
 * with the reason (e.g. the RBAC verb that was denied) instead of being run on partial data.
 */
export function runChecks<F extends FactBag>(checks: ReadonlyArray<CheckDefinition<F, any>>, facts: F): Finding[] {
  const findings: Finding[] = []
  for (const check of checks) {
    const missing = check.needs.map((key) => facts[key]).find((fact) => fact === undefined || fact.state === 'unavailable')
    let outcomes: readonly Outcome[]
    if (missing === undefined) {
      const values: Record<string, unknown> = {}
      for (const key of check.needs) values[key as string] = (facts[key] as {value: unknown}).value
      try {
        outcomes = check.run(values as never)
      } catch (error) {
        // A check that trips over data it did not expect must not take the whole report down with it.
        outcomes = [
          {
            severity: 'unknown',
            subject: check.defaultSubject ?? CLUSTER_SUBJECT,
            message: `the check could not judge this cluster's data (${(error as Error).message}); please report it`,
          },
        ]
      }
    } else {
      const reason = missing.state === 'unavailable' ? missing.reason : `fact ${String(check.needs.find((k) => facts[k] === undefined))} was not gathered`
      outcomes = [{severity: 'unknown', subject: check.defaultSubject ?? CLUSTER_SUBJECT, message: reason}]
    }
    for (const outcome of outcomes) findings.push(toFinding(check, outcome))
  }
  return dedupe(findings)
}

export function toFinding(check: Pick<CheckDefinition, 'id' | 'title' | 'category'>, outcome: Outcome): Finding {
  return {
    checkId: check.id,
    title: check.title,
    category: check.category,
    docsUrl: docsUrl(check.id),
    ...outcome,
    mode: outcome.mode ?? null,
    backend: outcome.backend ?? null,
    planned: outcome.planned ?? true,
  }
}

/** A check that reports the same thing about the same subject twice is reported once. */
function dedupe(findings: Finding[]): Finding[] {
  const byKey = new Map<string, Finding>()
  for (const f of findings) {
    const key = [f.checkId, f.severity, f.subject.kind, f.subject.namespace ?? '', f.subject.name, f.mode ?? '', f.backend ?? '', f.message].join('\u0000')
    if (!byKey.has(key)) byKey.set(key, f)
  }
  return [...byKey.values()]
}
