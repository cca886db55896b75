import type {Command} from '@oclif/core'
import Check from './check.js'
import Cleanup from './cleanup.js'
import Explain from './explain.js'
import Nodes from './nodes.js'
import Platform from './platform.js'
import Pods from './pods.js'
import Version from './version.js'

/**
 * Every command, by id. oclif reads this map (package.json `oclif.commands`, explicit strategy) and so does the
 * single executable (src/bundle-entry.ts), which cannot discover files at run time. A new command is one line here;
 * test/release-commands.test.ts fails when a file in this folder is missing from the map.
 */
export const COMMANDS = {
  check: Check,
  cleanup: Cleanup,
  explain: Explain,
  nodes: Nodes,
  platform: Platform,
  pods: Pods,
  version: Version,
} as const satisfies Record<string, Command.Class>
