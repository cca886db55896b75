/**
 * `npm run demo`: starts the test API server with the demo scenario (three node groups, one with an old RHEL kernel),
 * puts the built plugin on PATH and runs `kubectl mesh-ready check` through the real kubectl, then stops the server.
 */
import {spawn} from 'node:child_process'
import {mkdtempSync, rmSync, symlinkSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {createInterface} from 'node:readline'
import {fileURLToPath} from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const args = process.argv.slice(2)

const server = spawn(process.execPath, [path.join(root, 'dist/test-cluster/cli.js'), '--scenario', 'demo'], {stdio: ['ignore', 'pipe', 'inherit']})
const ready = await new Promise<{url: string; kubeconfig: string}>((resolve, reject) => {
  server.once('exit', (code) => reject(new Error(`test API server exited early (${code})`)))
  createInterface({input: server.stdout!}).once('line', (line) => resolve(JSON.parse(line)))
})

const pluginDir = mkdtempSync(path.join(tmpdir(), 'mesh-ready-demo-'))
symlinkSync(path.join(root, 'bin/kubectl-mesh_ready.js'), path.join(pluginDir, 'kubectl-mesh_ready'))
process.stderr.write(`demo cluster at ${ready.url}\n$ kubectl mesh-ready check ${args.join(' ')}\n\n`)

const code = await new Promise<number>((resolve) => {
  const child = spawn('kubectl', ['mesh-ready', 'check', ...args], {
    stdio: 'inherit',
    env: {...process.env, KUBECONFIG: ready.kubeconfig, PATH: `${pluginDir}${path.delimiter}${process.env.PATH ?? ''}`},
  })
  child.on('exit', (c) => resolve(c ?? 1))
})
server.kill('SIGTERM')
rmSync(pluginDir, {recursive: true, force: true})
const meaning: Record<number, string> = {
  0: 'ready',
  3: 'at least one check of the planned install failed',
  4: 'warnings only',
  5: 'incomplete: an area could not be judged',
}
process.stderr.write(`\nkubectl mesh-ready exited ${code}${meaning[code] ? ` (${meaning[code]})` : ''}\n`)
// The demo succeeded if the plugin produced a verdict; 1 and 2 mean it could not.
process.exitCode = code === 1 || code === 2 ? code : 0
