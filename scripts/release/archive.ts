/** Step 4: the krew archive (tar.gz, or zip for Windows) with files at its root, and its sha256. */
import {execFile} from 'node:child_process'
import {createHash} from 'node:crypto'
import {createReadStream} from 'node:fs'
import {rm, utimes} from 'node:fs/promises'
import path from 'node:path'
import {promisify} from 'node:util'
import type {Target} from './targets.js'

const run = promisify(execFile)

/** Fixed file times (SOURCE_DATE_EPOCH when set) so archives differ only when their contents do. */
const fileTime = () => new Date(Number(process.env.SOURCE_DATE_EPOCH ?? 315_532_800) * 1000) // 1980-01-01, zip's epoch

export async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

/** Packs `files` (names inside `dir`) into `outFile`; returns its lowercase hex sha256. */
export async function archive(target: Target, dir: string, files: readonly string[], outFile: string): Promise<string> {
  const time = fileTime()
  await Promise.all(files.map((f) => utimes(path.join(dir, f), time, time)))
  await rm(outFile, {force: true})
  const sorted = [...files].sort()
  if (target.format === 'zip') {
    try {
      await run('zip', ['-X', '-q', '-9', path.resolve(outFile), ...sorted], {cwd: dir})
    } catch (error) {
      const missing = (error as NodeJS.ErrnoException).code === 'ENOENT'
      throw new Error(missing ? 'the Windows archive needs the zip program: apt-get install zip' : `zip failed: ${(error as Error).message}`)
    }
  } else {
    await run('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--use-compress-program=gzip -n', '-cf', path.resolve(outFile), ...sorted], {
      cwd: dir,
    })
  }
  return sha256(outFile)
}
