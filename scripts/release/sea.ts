/**
 * Step 3: Node single executable application (Node 20: CommonJS main → blob → postject). The blob must be made by
 * the same Node version as the binary it goes into; code cache only when that Node runs on the target's platform.
 */
import {execFile} from 'node:child_process'
import {chmod, readFile, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {promisify} from 'node:util'
import {unsign} from 'macho-unsign'
import {inject} from 'postject'
import type {Target} from './targets.js'

const run = promisify(execFile)

/** Node's fuse: postject flips it so the binary runs the injected blob instead of behaving as `node`. */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2'

export async function seaBlob(node: string, mainFile: string, blobFile: string, codeCache: boolean): Promise<Buffer> {
  const configFile = `${blobFile}.json`
  const config = {main: path.resolve(mainFile), output: path.resolve(blobFile), disableExperimentalSEAWarning: true, useSnapshot: false, useCodeCache: codeCache}
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
