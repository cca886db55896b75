/**
 * Step 3: Node single executable application (Node 20: CommonJS main → blob → postject). The blob must be made by
 * the same Node version as the binary it goes into. Its main script is the small loader (sea-loader.ts); the CLI
 * bundle and, for the build platform, its trained V8 code cache are assets (sea-main.ts says why).
 */
import {execFile} from 'node:child_process'
import {existsSync} from 'node:fs'
import {chmod, readFile, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {promisify} from 'node:util'
import {build} from 'esbuild'
import {unsign} from 'macho-unsign'
import {inject} from 'postject'
import {BUNDLE_ASSET, CACHE_ASSET} from './sea-main.js'
import type {Target} from './targets.js'

const run = promisify(execFile)

/** Node's fuse: postject flips it so the binary runs the injected blob instead of behaving as `node`. */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2'

/** Bundles a script of this folder (run from source or from dist/) into one CommonJS file. */
async function script(name: string, outFile: string): Promise<string> {
  const here = path.dirname(fileURLToPath(import.meta.url))
  const source = [`${name}.ts`, `${name}.js`].map((f) => path.join(here, f)).find((f) => existsSync(f))
  if (source === undefined) throw new Error(`${name}.ts or .js not found in ${here}`)
  await build({entryPoints: [source], outfile: outFile, bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'error'})
  return outFile
}

/**
 * The blob for one kind of target. `codeCache`: train a V8 code cache by running the bundle with `node`, which
 * must then be the very binary the blob goes into (V8 accepts a cache only from the same version and flags).
 */
export async function seaBlob(node: string, bundleFile: string, workDir: string, codeCache: boolean): Promise<Buffer> {
  const name = codeCache ? 'sea-cached' : 'sea'
  const loader = await script('sea-loader', path.join(workDir, 'sea-loader.cjs'))
  const assets: Record<string, string> = {[BUNDLE_ASSET]: path.resolve(bundleFile)}
  if (codeCache) {
    const trainer = await script('code-cache-train', path.join(workDir, 'code-cache-train.cjs'))
    assets[CACHE_ASSET] = path.resolve(workDir, `${name}.cache`)
    await run(node, [trainer, bundleFile, assets[CACHE_ASSET]], {maxBuffer: 16 << 20})
  }
  const blobFile = path.resolve(workDir, `${name}.blob`)
  const configFile = `${blobFile}.json`
  const config = {main: path.resolve(loader), output: blobFile, disableExperimentalSEAWarning: true, useSnapshot: false, useCodeCache: false, assets}
  await writeFile(configFile, JSON.stringify(config, null, 2))
  await run(node, ['--experimental-sea-config', configFile])
  return readFile(blobFile)
}

export async function injectBlob(target: Target, node: string, blob: Buffer, outFile: string): Promise<void> {
  const binary = await readFile(node)
  // macOS: a broken signature is worse than none; the signature would no longer match once the blob is in.
  const unsigned = target.macho ? unsign(binary) : null
  await writeFile(outFile, unsigned ? Buffer.from(unsigned) : binary)
  await chmod(outFile, 0o755)
  // postject's LIEF warns about every note section it cannot name (harmless); keep them for when injection fails.
  const warnings: unknown[] = []
  const warn = console.warn
  console.warn = (...args: unknown[]) => warnings.push(args.join(' '))
  try {
    await inject(outFile, 'NODE_SEA_BLOB', blob, {sentinelFuse: SEA_FUSE, ...(target.macho ? {machoSegmentName: 'NODE_SEA'} : {})})
  } catch (error) {
    throw new Error(`postject into ${outFile} failed: ${(error as Error).message}\n${warnings.join('\n')}`)
  } finally {
    console.warn = warn
  }
}
