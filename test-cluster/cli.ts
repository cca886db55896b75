#!/usr/bin/env node
// Runs the test API server until SIGTERM/SIGINT:
//   node dist/test-cluster/cli.js --scenario demo [--port 0] [--no-tls]
// Prints one line of JSON once listening: {"url":…,"kubeconfig":…,"token":…,"cacheDir":…,"scenario":…}
import {startApiServer} from './index.js'

interface Args {
  scenario: string
  port: number
  tls: boolean
}

function usage(message: string): never {
  process.stderr.write(`${message}\nusage: cli.js --scenario <name|path> [--port N] [--no-tls]\n`)
  process.exit(2)
}

function parseArgs(argv: string[]): Args {
  const args: Args = {scenario: '', port: 0, tls: true}
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined]
    const value = (): string => inline ?? argv[++i] ?? usage(`${flag} needs a value`)
    if (flag === '--scenario') args.scenario = value()
    else if (flag === '--port') {
      args.port = Number(value())
      if (!Number.isInteger(args.port) || args.port < 0 || args.port > 65535) usage('--port must be 0..65535')
    } else if (flag === '--no-tls') args.tls = false
    else if (flag === '--help' || flag === '-h') usage('Runs the mesh-ready test Kubernetes API server.')
    else usage(`unknown argument: ${a}`)
  }
  if (!args.scenario) usage('--scenario is required')
  return args
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2))
  const server = await startApiServer({scenario: args.scenario, port: args.port, tls: args.tls})
  let stopping = false
  const shutdown = (): void => {
    if (stopping) return
    stopping = true
    void server.stop().then(() => process.exit(0))
  }
  process.on('SIGTERM', shutdown)
  process.on('SIGINT', shutdown)
  process.stdout.write(
    `${JSON.stringify({url: server.url, kubeconfig: server.kubeconfigPath, token: server.token, cacheDir: server.cacheDir, scenario: server.scenario.name})}\n`,
  )
}

main().catch((err: unknown) => {
  process.stderr.write(`test apiserver: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
})
