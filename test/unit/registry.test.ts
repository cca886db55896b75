import {readFileSync, readdirSync, statSync} from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {checksMarkdown} from '../../scripts/checks-doc.js'
import {allChecks, retiredCheckIds} from '../../src/checks/index.js'

const root = path.resolve(import.meta.dirname, '../..')

function checkFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name)
    if (statSync(full).isDirectory()) return checkFiles(full)
    return name.endsWith('.ts') && name !== 'index.ts' && name !== 'run.ts' ? [full] : []
  })
}

describe('check registry', () => {
  it('has unique, well-formed ids that match their category and were never retired', () => {
    const ids = allChecks.map((c) => c.id)
    expect(new Set(ids).size).toBe(ids.length)
    for (const check of allChecks) {
      expect(check.id).toMatch(/^(cluster|node|platform|workload)\.[a-z0-9]+(-[a-z0-9]+)*$/)
      expect(check.id.split('.')[0]).toBe(check.category)
      expect(retiredCheckIds).not.toContain(check.id)
      expect(check.source.length).toBeGreaterThan(0)
    }
  })

  it('finds every check from its id in one hop: <category>.<slug> is src/checks/<category>/<slug>.ts', () => {
    for (const check of allChecks) {
      const [category, slug] = check.id.split('.')
      const file = path.join(root, 'src/checks', category!, `${slug}.ts`)
      expect(readFileSync(file, 'utf8'), `${check.id} should be defined in ${file}`).toContain(`'${check.id}'`)
    }
  })

  it('registers every check file', () => {
    const registered = new Set(allChecks.map((c) => c.id))
    for (const file of checkFiles(path.join(root, 'src/checks'))) {
      const ids = [...readFileSync(file, 'utf8').matchAll(/\bid: '([a-z]+\.[a-z0-9-]+)'/g)].map((m) => m[1])
      for (const id of ids) expect(registered.has(id!), `${id} in ${file} is not in src/checks/index.ts`).toBe(true)
    }
  })

  it('docs/checks.md is up to date (run npm run docs)', () => {
    expect(readFileSync(path.join(root, 'docs/checks.md'), 'utf8')).toBe(checksMarkdown())
  })
})
