/**
 * `npm run bench`: speed and memory against baselines on the same test API server, printed as ratios.
 * Pick parts with arguments: `npm run bench -- pods startup`. Timing lives here, never in the test suite.
 */
import {benchDaemonSet} from './daemonset.js'
import {benchNodes} from './nodes.js'
import {benchPods} from './pods.js'
import {benchRequests} from './requests.js'
import {benchStartup} from './startup.js'

const parts = {nodes: benchNodes, daemonset: benchDaemonSet, pods: benchPods, requests: benchRequests, startup: () => benchStartup()} as const
type Part = keyof typeof parts

const wanted = process.argv.slice(2)
for (const name of wanted) {
  if (!(name in parts)) {
    process.stderr.write(`error: unknown benchmark "${name}"; use any of: ${Object.keys(parts).join(', ')}\n`)
    process.exit(2)
  }
}
const selected = (wanted.length > 0 ? wanted : Object.keys(parts)) as Part[]
for (const name of selected) {
  process.stdout.write(`\n== ${name} ==\n`)
  process.stdout.write(`${(await parts[name]()).trimEnd()}\n`)
}
