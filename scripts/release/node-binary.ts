/**
 * Step 2: the Node binary for a target, from the npm registry only (`npm pack node-<os>-<arch>@<version>`: npm checks
 * the tarball's integrity and keeps it in its cache). Extracted once into the work dir and reused.
 */
import {execFile} from 'node:child_process'
import {access, mkdir, rename, rm} from 'node:fs/promises'
import path from 'node:path'
import {promisify} from 'node:util'
import type {Target} from './targets.js'

const run = promisify(execFile)

const exists = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  )

export interface NodeBinary {
  /** The Node executable (its name as in the package: node or node.exe). */
  binary: string
  /** Node's own LICENSE, for THIRD_PARTY_NOTICES; the Windows package has none. */
  license?: string
}

export async function nodeBinary(target: Target, version: string, cacheDir: string): Promise<NodeBinary> {
  const dir = path.join(cacheDir, `${target.nodePackage}-${version}`)
  const binary = path.join(dir, path.basename(target.nodePath))
  const license = path.join(dir, 'LICENSE')
  const found = async (): Promise<NodeBinary> => ({binary, ...((await exists(license)) ? {license} : {})})
  if (await exists(binary)) return found()

  await mkdir(cacheDir, {recursive: true})
  const spec = `${target.nodePackage}@${version}`
  let tarball: string
  try {
    const {stdout} = await run('npm', ['pack', spec, '--pack-destination', cacheDir, '--silent'], {maxBuffer: 1 << 20})
    tarball = path.join(cacheDir, stdout.trim().split('\n').pop() ?? '')
  } catch (error) {
    throw new Error(`npm pack ${spec} failed (is the npm registry reachable?): ${(error as {stderr?: string}).stderr ?? String(error)}`)
  }
  const staging = `${dir}.partial`
  await rm(staging, {recursive: true, force: true})
  await mkdir(staging, {recursive: true})
  await run('tar', ['-xzf', tarball, '-C', staging, '--strip-components', String(target.nodePath.split('/').length), `package/${target.nodePath}`])
  await run('tar', ['-xzf', tarball, '-C', staging, '--strip-components', '1', 'package/LICENSE']).catch(() => undefined)
  await rm(tarball)
  await rm(dir, {recursive: true, force: true})
  await rename(staging, dir)
  return found()
}
