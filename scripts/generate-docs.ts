import {writeFileSync} from 'node:fs'
import {checksMarkdown} from './checks-doc.js'

writeFileSync(new URL('../../docs/checks.md', import.meta.url), checksMarkdown())
process.stdout.write('wrote docs/checks.md\n')
