/**
 * docs/nodes.md stays true to the code: its requirement table is generated from the knowledge table (regenerate with
 * npm run docs), and every flag and node check is documented.
 */
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {nodeChecks} from '../src/checks/node/index.js'
import {nodesFlags} from '../src/commands/nodes.js'
import {withRequirementsTable} from '../scripts/nodes-doc.js'

const DOC = path.resolve(import.meta.dirname, '../docs/nodes.md')
describe('docs/nodes.md', () => {
  const doc = readFileSync(DOC, 'utf8')

  it('has the requirement table generated from src/knowledge/kernel-modules.ts (npm run docs)', () => {
    expect(doc).toBe(withRequirementsTable(doc))
  })

  it('documents every flag of the command', () => {
    for (const name of Object.keys(nodesFlags)) expect(doc, name).toContain(`\`--${name}`)
  })

  it('documents every node check', () => {
    for (const check of nodeChecks) expect(doc, check.id).toContain(`\`${check.id}\``)
  })
})
