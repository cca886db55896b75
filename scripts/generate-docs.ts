import {readFileSync, writeFileSync} from 'node:fs'
import {checksMarkdown} from './checks-doc.js'
import {withRequirementsTable} from './nodes-doc.js'
import {permissionsDoc} from './permissions-doc.js'

// Runs from dist/scripts/: the docs are two levels up.
const doc = (name: string) => new URL(`../../docs/${name}`, import.meta.url)
writeFileSync(doc('checks.md'), checksMarkdown())
writeFileSync(doc('permissions.md'), permissionsDoc())
writeFileSync(doc('nodes.md'), withRequirementsTable(readFileSync(doc('nodes.md'), 'utf8')))
process.stdout.write('wrote docs/checks.md, docs/permissions.md and the requirement table in docs/nodes.md\n')
