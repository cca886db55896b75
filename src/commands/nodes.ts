import {MeshReadyCommand} from '../cli/base-command.js'
import {UserError} from '../cli/errors.js'

export default class Nodes extends MeshReadyCommand {
  static override summary = 'Kernel readiness of every node group for sidecar and ambient, iptables and nftables.'
  static override description = 'Not available yet in this version: the nodes check set has not been built, so this command runs nothing and exits 2.'

  async run(): Promise<void> {
    await this.parse(Nodes)
    throw new UserError('the nodes check set is not available yet in this version; run "kubectl mesh-ready check" for the cluster preflight')
  }
}
