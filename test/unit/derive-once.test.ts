import {readdirSync, readFileSync, statSync} from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {workloadChecks} from '../../src/checks/workload/index.js'
import {deriveWorkloadFacts} from '../../src/derive/workloads/context.js'
import {known, unavailable} from '../../src/model/finding.js'

/**
 * The kernel matrix is derived once per node group (src/derive/kernel/matrix.ts) and consumed by checks and views.
 * Checks and views must not run the kernel judgement themselves: no import of the scenario judge or its helpers.
 */
const src = path.resolve('src')
const walk = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name)
    return statSync(full).isDirectory() ? walk(full) : name.endsWith('.ts') ? [full] : []
  })

const JUDGEMENT = /\b(judgeScenario|judgeIptables|conditionHolds)\b|derive\/kernel\/scenarios(\.js)?'/

describe('the kernel judgement runs once, in derive/', () => {
  it('no check or view calls the scenario judge', () => {
    const consumers = [...walk(path.join(src, 'checks')), ...walk(path.join(src, 'render'))]
    expect(consumers.length).toBeGreaterThan(20)
    const offenders = consumers.filter((file) => JUDGEMENT.test(readFileSync(file, 'utf8'))).map((file) => path.relative(src, file))
    expect(offenders).toEqual([])
  })

  it('the pipeline derives the matrix in one place', () => {
    const callers = walk(src).filter(
      (file) => /\bkernelMatrixFact\(/.test(readFileSync(file, 'utf8')) && !file.endsWith(path.join('derive', 'kernel', 'matrix.ts')),
    )
    expect(callers.map((file) => path.relative(src, file))).toEqual([path.join('pipeline', 'nodes.ts')])
  })
})

describe('workload contexts are derived once, in derive/', () => {
  it('no check or view resolves modes or builds contexts itself', () => {
    const consumers = [...walk(path.join(src, 'checks')), ...walk(path.join(src, 'render'))]
    const offenders = consumers
      .filter((file) => /\b(deriveWorkloadFacts|resolveMode)\b/.test(readFileSync(file, 'utf8')))
      .map((file) => path.relative(src, file))
    expect(offenders).toEqual([])
    const callers = walk(src).filter(
      (file) => /\bderiveWorkloadFacts\(/.test(readFileSync(file, 'utf8')) && !file.endsWith(path.join('derive', 'workloads', 'context.ts')),
    )
    expect(callers.map((file) => path.relative(src, file))).toEqual([path.join('pipeline', 'workloads.ts')])
  })

  it('every workload check but the inventory reads the derived contexts', () => {
    const without = workloadChecks.filter((c) => !(c.needs as readonly string[]).includes('contexts')).map((c) => c.id)
    expect(without).toEqual(['workload.inventory'])
  })

  it('the contexts are unavailable, with the reason, when the inventory is', () => {
    const facts = deriveWorkloadFacts({
      inventory: unavailable('pods: forbidden'),
      mesh: known({} as never),
      admission: known({} as never),
      settings: known({mode: 'auto', istioNamespace: 'istio-system'}),
    })
    expect(facts.contexts).toEqual({state: 'unavailable', reason: 'pods: forbidden'})
  })
})
