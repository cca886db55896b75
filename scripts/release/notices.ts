/**
 * THIRD_PARTY_NOTICES: the executable contains Node.js and every bundled npm package; their licenses ask for their
 * notices to travel with copies. Built from esbuild's list of inputs, so it names exactly what is inside.
 */
import {readdir, readFile} from 'node:fs/promises'
import path from 'node:path'

const LICENSE_FILE = /^(licen[cs]e|copying|notice)(\.|-|$)/i

/** `/x/node_modules/@scope/pkg/lib/a.js` → `/x/node_modules/@scope/pkg` (the innermost package). */
export function packageDir(file: string): string | undefined {
  const parts = file.split(path.sep)
  const at = parts.lastIndexOf('node_modules')
  if (at === -1 || at + 1 >= parts.length) return undefined
  const length = parts[at + 1]?.startsWith('@') ? 3 : 2
  return parts.slice(0, at + length).join(path.sep)
}

async function packageNotice(dir: string): Promise<string> {
  const pjson = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')) as {name: string; version: string; license?: string}
  const files = (await readdir(dir)).filter((f) => LICENSE_FILE.test(f)).sort()
  const texts = await Promise.all(files.map((f) => readFile(path.join(dir, f), 'utf8')))
  const body = texts.length > 0 ? texts.join('\n\n') : `(the package ships no license file; package.json says: ${pjson.license ?? 'no license field'})`
  return `${pjson.name}@${pjson.version} (${pjson.license ?? 'unknown license'})\n\n${body.trim()}`
}

export async function thirdPartyNotices(bundleInputs: readonly string[], nodeLicense: string, nodeVersion: string): Promise<string> {
  const dirs = [...new Set(bundleInputs.map(packageDir).filter((d): d is string => d !== undefined))].sort()
  const notices = await Promise.all(dirs.map(packageNotice))
  const rule = `\n\n${'-'.repeat(78)}\n\n`
  const intro = 'This executable contains Node.js and the npm packages below. Their licenses and notices follow.'
  return [intro, `Node.js v${nodeVersion}\n\n${(await readFile(nodeLicense, 'utf8')).trim()}`, ...notices].join(rule) + '\n'
}
