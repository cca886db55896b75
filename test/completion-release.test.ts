/**
 * The release archives carry the same generated completion script as `npm run build` writes: scripts/release/build.ts
 * fills the template from the bundle's baked-in manifest (bundleData), the build from oclif's manifest of dist/.
 */
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {bundleData, readPackageJson} from '../scripts/release/bundle.js'
import {completionScript} from '../scripts/release/completion.js'
import {repoRoot} from './helpers/cli.js'

describe('the completion script in the release archives', () => {
  it('is generated from the bundle manifest, identical to the one the build writes, with no template left', async () => {
    const {manifest} = await bundleData(repoRoot, await readPackageJson(repoRoot))
    const script = await completionScript(repoRoot, manifest)
    expect(script).not.toContain('@@TABLE@@')
    expect(script).toMatch(/^cmd\tnodes\t\t\t@nodes\t/m)
    expect(script).toMatch(/^flag\tnodes\t--host-root\t\t@dirs\t/m)
    expect(script).toBe(readFileSync(path.join(repoRoot, 'dist/completion/kubectl_complete-mesh_ready'), 'utf8'))
  })
})
